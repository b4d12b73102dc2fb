# shellcheck shell=bash
# shellcheck disable=SC2034  # WAIT_TIMEOUT is read by wait_until
# The renderer of the spam and virus filters' per-domain maps (deploy/rspamd/spam-maps.sh): a small loop reading
# PostgreSQL as fayvad_mail every 2 s (docs/adr/0035). Sourced by deploy/stack.sh.

SPAM_MAPS_PID_FILE=$STACK_DIR/spam-maps.pid

spam_maps_pid() { live_pid "$SPAM_MAPS_PID_FILE"; }

# After PostgreSQL, before rspamd and clamav-milter read the maps: one pass here so they start with current data.
start_spam_maps() {
  install -d -m 0755 "$RSPAMD_MAPS_DIR"
  install -d -m 0755 -o clamav -g clamav "$CLAMAV_DIR" "$CLAMAV_DIR/maps"
  local pid; pid=$(spam_maps_pid)
  if [[ -n $pid ]]; then log "spam-maps: already running (pid $pid)"; return 0; fi
  rm -f "$RSPAMD_MAPS_DIR/.rendered"
  log "spam-maps: starting (PostgreSQL -> ${RSPAMD_MAPS_DIR#"$REPO"/}, ${CLAMAV_DIR#"$REPO"/}/maps every 2 s)"
  setsid env PSQL="$PG_BIN/psql" PG_HOST="$PG_HOST" PG_PORT="$PG_PORT" PG_DB="$PG_DB" PGPASSWORD="$MAIL_DB_PASSWORD" \
    RSPAMD_MAPS_DIR="$RSPAMD_MAPS_DIR" CLAMAV_DIR="$CLAMAV_DIR" \
    "$DEPLOY_DIR/rspamd/spam-maps.sh" </dev/null >>"$STACK_LOG_DIR/spam-maps.log" 2>&1 9>&- &
  echo $! >"$SPAM_MAPS_PID_FILE"
}

# The first pass is done (a map PostgreSQL could not fill stays as it was: empty at first, all domains on).
spam_maps_written() { [[ -f $RSPAMD_MAPS_DIR/.rendered ]]; }

wait_spam_maps_ready() {
  local WAIT_TIMEOUT=10
  wait_until "spam-maps (${RSPAMD_MAPS_DIR#"$REPO"/}/domains.map)" "$STACK_LOG_DIR/spam-maps.log" spam_maps_written
}

signal_spam_maps() { signal_stop spam-maps "$(spam_maps_pid)"; }
