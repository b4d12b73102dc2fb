# imapsieve: a message copied or moved out of Junk teaches rspamd's Bayes filter that it is not spam, unless it went
# to Trash (deleting spam says nothing about it; docs/adr/0035).
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];
if environment :matches "imap.mailbox" "*" {
  set "mailbox" "${1}";
}
if string "${mailbox}" "Trash" {
  stop;
}
pipe :copy "learn-ham.sh";
