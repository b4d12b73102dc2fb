# shellcheck shell=bash
# ClamAV 1.4: clamd (scanner) and clamav-milter (Postfix's inbound listener asks it), both on unix sockets under
# .stack/clamav, running as the clamav user (docs/adr/0035). Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

CLAMAV_DIR=$STACK_DIR/clamav
CLAMD_SOCKET=$CLAMAV_DIR/run/clamd.sock
# Postfix's smtpd connects here; the milter makes it group postfix, mode 660.
CLAMAV_MILTER_SOCKET=$CLAMAV_DIR/run/milter.sock

clamd_pid() { live_pid "$CLAMAV_DIR/run/clamd.pid"; }
clamav_milter_pid() { live_pid "$CLAMAV_DIR/run/clamav-milter.pid"; }

# The test stack's signature database: one body signature for the EICAR anti-virus test string (a public test file
# every scanner detects, harmless by design), kept as hex so the repository holds no test virus. Production uses
# freshclam's databases in the same folder instead (deploy/README.md, "Spam and viruses").
EICAR_HEX=58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a

write_clamav_signatures() {
  local db=$CLAMAV_DIR/db/fayvad-test.ndb
  local line="Fayvad.Test.EICAR:0:*:$EICAR_HEX"
  if [[ $(cat "$db" 2>/dev/null) != "$line" ]]; then
    printf '%s\n' "$line" >"$db.new"; chmod 0644 "$db.new"; mv -f "$db.new" "$db"
    RENDER_CHANGED=1
  fi
}

start_clamav() {
  RENDER_CHANGED=0
  install -d -m 0755 "$CLAMAV_DIR"
  install -d -m 0755 -o clamav -g clamav "$CLAMAV_DIR/db" "$CLAMAV_DIR/maps"
  # setgid postfix: the sockets are for clamav (clamd) and postfix (the milter) only.
  install -d -m 2750 -o clamav -g postfix "$CLAMAV_DIR/run"
  local f
  for f in clamd.log clamav-milter.log; do
    [[ -f $STACK_LOG_DIR/$f ]] || install -m 0640 -o clamav -g clamav /dev/null "$STACK_LOG_DIR/$f"
  done
  [[ -s $CLAMAV_DIR/maps/allowlist ]] || printf '# none\n' >"$CLAMAV_DIR/maps/allowlist"
  render "$DEPLOY_DIR/clamav/clamd.conf" "$CLAMAV_DIR/clamd.conf" 0644 root:root
  write_clamav_signatures
  local clamd_changed=$RENDER_CHANGED
  if ! keep_or_restart clamd "$(clamd_pid)"; then
    rm -f "$CLAMD_SOCKET"
    log "clamd: starting (${CLAMD_SOCKET#"$REPO"/}, signatures in ${CLAMAV_DIR#"$REPO"/}/db)"
    clamd -c "$CLAMAV_DIR/clamd.conf" </dev/null >>"$STACK_LOG_DIR/clamd.log" 2>&1 9>&- ||
      { tail -n 30 "$STACK_LOG_DIR/clamd.log" >&2; die "clamd did not start"; }
  fi
  RENDER_CHANGED=$clamd_changed
  render "$DEPLOY_DIR/clamav/clamav-milter.conf" "$CLAMAV_DIR/clamav-milter.conf" 0644 root:root
  keep_or_restart clamav-milter "$(clamav_milter_pid)" && return 0
  run_clamav_milter
}

run_clamav_milter() {
  rm -f "$CLAMAV_MILTER_SOCKET"
  log "clamav-milter: starting (milter ${CLAMAV_MILTER_SOCKET#"$REPO"/})"
  clamav-milter -c "$CLAMAV_DIR/clamav-milter.conf" </dev/null >>"$STACK_LOG_DIR/clamav-milter.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/clamav-milter.log" >&2; die "clamav-milter did not start"; }
}


wait_clamav_ready() {
  wait_until "clamd (${CLAMD_SOCKET#"$REPO"/})" "$STACK_LOG_DIR/clamd.log" milter_socket_ready "$CLAMD_SOCKET" clamd_pid
  wait_until "clamav-milter (${CLAMAV_MILTER_SOCKET#"$REPO"/})" "$STACK_LOG_DIR/clamav-milter.log" \
    milter_socket_ready "$CLAMAV_MILTER_SOCKET" clamav_milter_pid
}

signal_clamav() {
  signal_stop clamav-milter "$(clamav_milter_pid)"
  signal_stop clamd "$(clamd_pid)"
}
