# shellcheck shell=bash
# Dovecot 2.3: IMAP, LMTP, doveadm HTTP, SASL for Postfix, quota, fts, push hints. Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

DOVECOT_CONF_DIR=$STACK_DIR/dovecot/conf
DOVECOT_CONF=$DOVECOT_CONF_DIR/dovecot.conf
DOVECOT_BASE_DIR=$STACK_DIR/dovecot/run
DOVECOT_STATE_DIR=$STACK_DIR/dovecot/state
VMAIL_DIR=$STACK_DIR/vmail
# The API logs in as any user through this master user (docs/adr/0006).
IMAP_MASTER_USER=fayvad_api

dovecot_pid() { live_pid "$DOVECOT_BASE_DIR/master.pid"; }

render_dovecot() {
  RENDER_CHANGED=0
  render "$DEPLOY_DIR/dovecot/dovecot.conf" "$DOVECOT_CONF" 0644 root:root
  render "$DEPLOY_DIR/dovecot/dovecot-sql.conf.ext" "$DOVECOT_CONF_DIR/dovecot-sql.conf.ext" 0640 root:dovecot
  render "$DEPLOY_DIR/dovecot/dovecot-dict-sql.conf.ext" "$DOVECOT_CONF_DIR/dovecot-dict-sql.conf.ext" 0640 root:dovecot
  # Run by the mail processes (vmail) through push_notification_lua: outside the 0750 conf folder, which they cannot enter.
  render "$DEPLOY_DIR/dovecot/push-hints.lua" "$STACK_DIR/dovecot/push-hints.lua" 0644 root:root
  # Outside conf/ as the other scripts; run as root by the quota-warning service.
  render "$DEPLOY_DIR/dovecot/quota-warning.sh" "$STACK_DIR/dovecot/quota-warning.sh" 0755 root:root
  # Holds the doveadm HTTP API key: read by Dovecot's config process (root) only.
  render "$DEPLOY_DIR/dovecot/doveadm-api.conf.ext" "$DOVECOT_CONF_DIR/doveadm-api.conf.ext" 0600 root:root
  # The duplicate check LMTP runs before delivery: read (and its compiled form) by the vmail user, so outside conf/.
  # So are spam filing (sieve_after) and the imapsieve training scripts with the programs they pipe to.
  install -d -m 0755 "$STACK_DIR/dovecot/sieve" "$STACK_DIR/dovecot/sieve/bin"
  local script
  for script in duplicates spam-to-junk learn-spam learn-ham; do
    if ! cmp -s "$DEPLOY_DIR/dovecot/sieve/$script.sieve" "$STACK_DIR/dovecot/sieve/$script.sieve" ||
       [[ ! -f $STACK_DIR/dovecot/sieve/$script.svbin ]]; then
      install -m 0644 "$DEPLOY_DIR/dovecot/sieve/$script.sieve" "$STACK_DIR/dovecot/sieve/$script.sieve"
      sievec -c "$DOVECOT_CONF" "$STACK_DIR/dovecot/sieve/$script.sieve" 2>/dev/null ||
        sievec "$STACK_DIR/dovecot/sieve/$script.sieve"
      chmod 0644 "$STACK_DIR/dovecot/sieve/$script.svbin"
      RENDER_CHANGED=1
    fi
  done
  for script in learn-spam.sh learn-ham.sh; do
    render "$DEPLOY_DIR/dovecot/sieve/pipe/$script" "$STACK_DIR/dovecot/sieve/bin/$script" 0755 root:root
  done
  # Master user for the API. Re-hash only when the password changed (bcrypt is
  # salted, so a fresh hash would always look like a change). The auth process
  # runs as dovecot: 0600 root:root makes master logins fail, 0640 root:dovecot works.
  local file=$DOVECOT_CONF_DIR/master-users hash=""
  [[ -f $file ]] && hash=$(sed -n "s/^$IMAP_MASTER_USER://p" "$file")
  if [[ -z $hash ]] || ! doveadm -O pw -t "$hash" -p "$IMAP_MASTER_PASSWORD" >/dev/null 2>&1; then
    hash=$(doveadm -O pw -s BLF-CRYPT -p "$IMAP_MASTER_PASSWORD")
    install -m 0640 -o root -g dovecot /dev/null "$file.new"
    printf '%s:%s\n' "$IMAP_MASTER_USER" "$hash" >"$file.new"
    mv -f "$file.new" "$file"
    RENDER_CHANGED=1
  fi
}

start_dovecot() {
  render_dovecot
  local pid; pid=$(dovecot_pid)
  if [[ -n $pid ]]; then
    if ((RENDER_CHANGED)); then
      log "dovecot: config changed, reloading"
      doveadm -c "$DOVECOT_CONF" reload
    elif ((PG_RESTARTED)); then
      # Its auth, dict and quota-status processes keep failing on their dead SQL connections or wait out a reconnect
      # back-off of up to 25 s: end them (by pid, children of this master), the master starts fresh ones on demand.
      # Not a reload: that would end every open IMAP session a few seconds later (docs/adr/0017, 0023).
      log "dovecot: PostgreSQL restarted, restarting its auth, dict and quota-status processes"
      local child
      for child in $(ps -o pid=,comm= --ppid "$pid" | awk '$2 ~ /^(auth|auth-worker|dict|quota-status)$/ { print $1 }'); do
        kill -TERM "$child" 2>/dev/null || true
      done
    fi
    log "dovecot: already running (pid $pid)"
    return 0
  fi
  ensure_port_free "dovecot IMAP" "$IMAP_PORT"
  ensure_port_free "dovecot LMTP" "$LMTP_PORT"
  ensure_port_free "dovecot doveadm HTTP" "$DOVEADM_PORT"
  ensure_port_free "dovecot ManageSieve" "$MANAGESIEVE_PORT"
  log "dovecot: starting (IMAP $LISTEN_ADDRESS:$IMAP_PORT, LMTP $LISTEN_ADDRESS:$LMTP_PORT, doveadm HTTP $LISTEN_ADDRESS:$DOVEADM_PORT, ManageSieve $LISTEN_ADDRESS:$MANAGESIEVE_PORT)"
  # stdio to the log: a daemon must not hold the caller's terminal or pipe open.
  dovecot -c "$DOVECOT_CONF" </dev/null >>"$STACK_LOG_DIR/dovecot.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/dovecot.log" >&2; die "dovecot did not start"; }
}

# Any HTTP answer will do (401 without the key): the listener is up.
doveadm_answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$LISTEN_ADDRESS:$DOVEADM_PORT/doveadm/v1") != 000 ]]
}

wait_dovecot_ready() {
  wait_until "dovecot IMAP ($IMAP_PORT)" "$STACK_LOG_DIR/dovecot.log" greets "$IMAP_PORT" '* OK' 'a LOGOUT'
  wait_until "dovecot LMTP ($LMTP_PORT)" "$STACK_LOG_DIR/dovecot.log" greets "$LMTP_PORT" '220' 'QUIT'
  wait_until "dovecot doveadm HTTP ($DOVEADM_PORT)" "$STACK_LOG_DIR/dovecot.log" doveadm_answers
  # The greeting's first line is its first capability.
  wait_until "dovecot ManageSieve ($MANAGESIEVE_PORT)" "$STACK_LOG_DIR/dovecot.log" greets "$MANAGESIEVE_PORT" '"IMPLEMENTATION"' 'LOGOUT'
}

# = "doveadm -c $DOVECOT_CONF stop" minus its blocking wait, so that both
# servers wind down at the same time (down waits for SIGNALLED_PIDS).
signal_dovecot() { signal_stop dovecot "$(dovecot_pid)"; }
