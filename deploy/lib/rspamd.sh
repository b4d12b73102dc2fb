# shellcheck shell=bash
# rspamd 3.4: spam scoring as a milter on inbound (and submitted) mail, Bayes in Redis, learning through its controller
# (docs/adr/0035). Debian's module defaults from /etc/rspamd, this stack's own workers and overrides under
# .stack/rspamd; nothing of the system's rspamd service is used. Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

RSPAMD_DIR=$STACK_DIR/rspamd
RSPAMD_MAPS_DIR=$RSPAMD_DIR/maps
# Hyperscan would compile every regexp at first start (minutes of CPU on a 2-core machine); PCRE serves a test stack.
RSPAMD_DISABLE_HYPERSCAN=${STACK_RSPAMD_DISABLE_HYPERSCAN:-true}
# A domain's spam_threshold when the map does not list it (the client's default).
RSPAMD_DEFAULT_THRESHOLD=5

rspamd_pid() { live_pid "$RSPAMD_DIR/run/rspamd.pid"; }

# The submission listener's milters (master.cf): OpenDKIM's signer, then rspamd when submitted mail is scored.
rspamd_submission_milter() {
  if [[ $SPAM_SCAN_SUBMISSION == 1 ]]; then
    printf ', { inet:%s:%s, default_action=%s }' "$LISTEN_ADDRESS" "$RSPAMD_PORT" "$SPAM_MILTER_DEFAULT_ACTION"
  fi
}
SPAM_SCAN_SUBMISSION_MILTER=""

start_rspamd() {
  RENDER_CHANGED=0
  install -d -m 0755 "$RSPAMD_DIR" "$RSPAMD_DIR/conf" "$RSPAMD_DIR/conf/local.d" "$RSPAMD_MAPS_DIR"
  install -d -m 0750 -o _rspamd -g _rspamd "$RSPAMD_DIR/db" "$RSPAMD_DIR/run"
  [[ -f $STACK_LOG_DIR/rspamd.log ]] || install -m 0640 -o _rspamd -g _rspamd /dev/null "$STACK_LOG_DIR/rspamd.log"
  # The maps must exist before rspamd reads them (spammaps.sh fills them from PostgreSQL).
  local map
  for map in domains.map senders.map; do [[ -f $RSPAMD_MAPS_DIR/$map ]] || : >"$RSPAMD_MAPS_DIR/$map"; done
  render "$DEPLOY_DIR/rspamd/rspamd.conf" "$RSPAMD_DIR/conf/rspamd.conf" 0644 root:root
  render "$DEPLOY_DIR/rspamd/rspamd.local.lua" "$RSPAMD_DIR/conf/rspamd.local.lua" 0644 root:root
  local f
  for f in "$DEPLOY_DIR"/rspamd/local.d/*; do
    render "$f" "$RSPAMD_DIR/conf/local.d/${f##*/}" 0644 root:root
  done
  keep_or_restart rspamd "$(rspamd_pid)" && return 0
  ensure_port_free "rspamd milter" "$RSPAMD_PORT"
  ensure_port_free "rspamd controller" "$RSPAMD_CONTROLLER_PORT"
  log "rspamd: starting (milter $LISTEN_ADDRESS:$RSPAMD_PORT, controller $LISTEN_ADDRESS:$RSPAMD_CONTROLLER_PORT)"
  rspamd -c "$RSPAMD_DIR/conf/rspamd.conf" -u _rspamd -g _rspamd \
    --var "LOCAL_CONFDIR=$RSPAMD_DIR/conf" --var "DBDIR=$RSPAMD_DIR/db" --var "RUNDIR=$RSPAMD_DIR/run" \
    </dev/null >>"$STACK_LOG_DIR/rspamd.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/rspamd.log" >&2; die "rspamd did not start"; }
}

# The first start on a machine compiles the URL matcher's suffix list (about 30 s here), cached in db/ afterwards.
wait_rspamd_ready() {
  local WAIT_TIMEOUT=$((WAIT_TIMEOUT > 120 ? WAIT_TIMEOUT : 120))
  wait_until "rspamd milter ($RSPAMD_PORT)" "$STACK_LOG_DIR/rspamd.log" port_listens "$RSPAMD_PORT"
  wait_until "rspamd controller ($RSPAMD_CONTROLLER_PORT)" "$STACK_LOG_DIR/rspamd.log" rspamd_controller_answers
}

rspamd_controller_answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$LISTEN_ADDRESS:$RSPAMD_CONTROLLER_PORT/ping") == 200 ]]
}

signal_rspamd() { signal_stop rspamd "$(rspamd_pid)"; }
