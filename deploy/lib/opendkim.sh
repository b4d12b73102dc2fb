# shellcheck shell=bash
# OpenDKIM: the milter that signs submitted mail with keys from directory.dkim_signing. Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

DKIM_DIR=$STACK_DIR/opendkim
DKIM_CONF=$DKIM_DIR/opendkim.conf
DKIM_RUN_DIR=$DKIM_DIR/run
# Postfix's smtpd connects here; the run folder is setgid postfix, so the socket (UMask 007) is group postfix only.
DKIM_SOCKET=$DKIM_RUN_DIR/milter.sock  # as in opendkim.conf and master.cf

dkim_pid() { live_pid "$DKIM_RUN_DIR/opendkim.pid"; }


# Tables come from SQL per message, so only a config change needs a restart (OpenDKIM has no reload of its DSNs).
start_opendkim() {
  RENDER_CHANGED=0
  # The password sits in an OpenDKIM DSN (user:pwd@port+host): separators there would split it.
  [[ $DKIM_DB_PASSWORD =~ ^[A-Za-z0-9._~-]+$ ]] || die "DKIM_DB_PASSWORD may only contain letters, digits and . _ ~ -"
  render "$DEPLOY_DIR/opendkim/opendkim.conf" "$DKIM_CONF" 0640 root:opendkim
  local pid; pid=$(dkim_pid)
  if [[ -n $pid ]] && ((PG_RESTARTED)) && ((!RENDER_CHANGED)); then
    # OpenDKIM (2.11, no _FFR_POSTGRESQL_RECONNECT_HACK) reconnects only when OpenDBX calls the error fatal; a query
    # on a connection PostgreSQL ended can fail "non-fatal" forever, and every send then gets 451 4.7.1 (docs/adr/0023).
    log "opendkim: PostgreSQL restarted, restarting"
    stop_pids opendkim "$pid"
    pid=""
  fi
  keep_or_restart opendkim "$pid" && return 0
  run_opendkim opendkim "$DKIM_CONF" "$DKIM_SOCKET" opendkim.log "keys from directory.dkim_signing"
}

# One OpenDKIM instance (the signer here, the verifier in dkimverify.sh) on its unix socket: name, config, socket,
# log file under the stack's log folder, what to say of it, and optionally a library to preload.
run_opendkim() {
  local name=$1 conf=$2 socket=$3 logfile=$STACK_LOG_DIR/$4 what=$5 preload=${6:-}
  # A socket left by an instance that did not end cleanly: nobody listens on it.
  rm -f "$socket"
  log "$name: starting (milter ${socket#"$REPO"/}, $what)"
  env ${preload:+LD_PRELOAD="$preload"} opendkim -x "$conf" </dev/null >>"$logfile" 2>&1 9>&- ||
    { tail -n 30 "$logfile" >&2; die "$name did not start"; }
}

# Ready once its socket exists and its pid file names a live process (the second argument prints that pid).
milter_socket_ready() { [[ -S $1 && -n $($2) ]]; }

wait_opendkim_ready() {
  wait_until "opendkim milter (${DKIM_SOCKET#"$REPO"/})" "$STACK_LOG_DIR/opendkim.log" milter_socket_ready "$DKIM_SOCKET" dkim_pid
}

signal_opendkim() { signal_stop opendkim "$(dkim_pid)"; }
