#!/bin/sh
# Run by Dovecot's quota-warning service (as root, so dovecot-lda can read the whole config) when a mailbox's usage
# crosses a quota_warning threshold upwards: $1 = the percentage, $2 = the user. dovecot-lda looks the user up, becomes
# its vmail uid and files the notice in INBOX, with the quota not enforced, so the notice arrives even in the grace.
percent=$1
user=$2
case $percent in *[!0-9]*|'') exit 64 ;; esac
if [ "$percent" -ge 95 ]; then
  next="Mail that would not fit is refused (its sender gets \"552 5.2.2 Mailbox is full\"); nothing already in the mailbox is lost."
else
  next="At 100 % new mail is refused (its sender gets \"552 5.2.2 Mailbox is full\"); nothing already in the mailbox is lost."
fi
{
  printf 'From: Mail server <postmaster@${MAIL_HOSTNAME}>\n'
  printf 'To: <%s>\n' "$user"
  printf 'Subject: Your mailbox is %s%% full\n' "$percent"
  printf 'Date: %s\n' "$(LC_ALL=C date -R)"
  printf 'Message-ID: <quota-%s-%s.%s@${MAIL_HOSTNAME}>\n' "$percent" "$(date +%s)" "$$"
  printf 'Auto-Submitted: auto-generated\n'
  printf 'X-Fayvad-Notice: quota-%s\n' "$percent"
  printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
  printf 'Your mailbox %s has used %s %% of its storage quota.\n\n%s\n\n' "$user" "$percent" "$next"
  printf 'Delete or move mail you no longer need (empty Trash and Junk too), or ask your administrator for a larger quota.\n'
} | /usr/lib/dovecot/dovecot-lda -c "${DOVECOT_CONF_DIR}/dovecot.conf" -d "$user" -o "plugin/quota=count:User quota:noenforcing"
