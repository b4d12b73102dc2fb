# shellcheck shell=bash
# Postfix 3.7: inbound SMTP and authenticated submission, maps from PostgreSQL, LMTP to Dovecot. Sourced.
# shellcheck disable=SC2034  # template variables are used by name in render()

POSTFIX_CONFIG_DIR=$STACK_DIR/postfix/etc
POSTFIX_QUEUE_DIR=$STACK_DIR/postfix/queue
POSTFIX_DATA_DIR=$STACK_DIR/postfix/data

postfix_pid() { live_pid "$POSTFIX_QUEUE_DIR/pid/master.pid"; }

start_postfix() {
  RENDER_CHANGED=0
  SPAM_SCAN_SUBMISSION_MILTER=$(rspamd_submission_milter)
  render "$DEPLOY_DIR/postfix/main.cf" "$POSTFIX_CONFIG_DIR/main.cf" 0644 root:root
  render "$DEPLOY_DIR/postfix/master.cf" "$POSTFIX_CONFIG_DIR/master.cf" 0644 root:root
  render "$DEPLOY_DIR/postfix/header_checks" "$POSTFIX_CONFIG_DIR/header_checks" 0644 root:root
  local map
  for map in pgsql-mail-domains.cf pgsql-mail-accounts.cf pgsql-sender-login.cf pgsql-virtual.cf pgsql-internal-only.cf; do
    render "$DEPLOY_DIR/postfix/$map" "$POSTFIX_CONFIG_DIR/$map" 0640 root:postfix
  done
  # Rendered by earlier stacks, now the policy server's (docs/adr/0034): a password file nothing reads is removed.
  rm -f "$POSTFIX_CONFIG_DIR/pgsql-internal-only-senders.cf" "$POSTFIX_CONFIG_DIR/internal-only-policy"
  local pid; pid=$(postfix_pid)
  if [[ -n $pid ]]; then
    if ((RENDER_CHANGED)); then
      log "postfix: config changed, reloading"
      postfix -c "$POSTFIX_CONFIG_DIR" reload 2>>"$STACK_LOG_DIR/postfix.log"
    elif ((PG_RESTARTED)); then
      # proxymap marks a PostgreSQL it lost as down for 60 s (451 "Temporary lookup failure"): new processes now.
      log "postfix: PostgreSQL restarted, reloading"
      postfix -c "$POSTFIX_CONFIG_DIR" reload 2>>"$STACK_LOG_DIR/postfix.log"
    fi
    log "postfix: already running (pid $pid)"
    return 0
  fi
  ensure_port_free "postfix inbound" "$SMTP_PORT"
  ensure_port_free "postfix submission" "$SUBMISSION_PORT"
  log "postfix: starting (inbound $LISTEN_ADDRESS:$SMTP_PORT, submission $LISTEN_ADDRESS:$SUBMISSION_PORT)"
  # Absolute config path: a relative one makes postfix exit 1 silently.
  if ! postfix -c "$POSTFIX_CONFIG_DIR" start </dev/null >>"$STACK_LOG_DIR/postfix.log" 2>&1 9>&-; then
    tail -n 30 "$STACK_LOG_DIR/postfix.log" >&2
    log "hint: 'postfix -c $POSTFIX_CONFIG_DIR start-fg' with maillog_file=/dev/stdout shows why"
    die "postfix did not start"
  fi
}

wait_postfix_ready() {
  wait_until "postfix inbound SMTP ($SMTP_PORT)" "$STACK_LOG_DIR/postfix.log" greets "$SMTP_PORT" '220' 'QUIT'
  wait_until "postfix submission ($SUBMISSION_PORT)" "$STACK_LOG_DIR/postfix.log" greets "$SUBMISSION_PORT" '220' 'QUIT'
}

# = "postfix stop" (SIGTERM to master, which ends its children) without
# postfix-script's 1 s polling sleeps (mail still queued simply stays in the queue).
signal_postfix() { signal_stop postfix "$(postfix_pid)"; }
