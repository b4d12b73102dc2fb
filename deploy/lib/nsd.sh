# shellcheck shell=bash
# NSD: loopback authoritative DNS for the zones fayvad.com and test (DNS checks, tests). Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

NSD_DIR=$STACK_DIR/nsd
NSD_CONF=$NSD_DIR/nsd.conf

nsd_pid() { live_pid "$NSD_DIR/run/nsd.pid"; }

# A zone with only its SOA and NS until someone publishes records into it.
ensure_zone() {
  local zone=$1 file=$NSD_DIR/zones/$1.zone
  [[ -f $file ]] && return 0
  cat >"$file" <<ZONE
\$ORIGIN $zone.
\$TTL 60
@ IN SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 60
@ IN NS ns.$zone.
ns IN A $LISTEN_ADDRESS
ZONE
}
start_nsd() {
  RENDER_CHANGED=0
  render "$DEPLOY_DIR/nsd/nsd.conf" "$NSD_CONF" 0644 root:root
  ensure_zone fayvad.com
  ensure_zone test
  keep_or_restart nsd "$(nsd_pid)" && return 0
  ensure_port_free nsd "$DNS_PORT"
  log "nsd: starting (DNS $LISTEN_ADDRESS:$DNS_PORT, zones fayvad.com and test)"
  nsd -c "$NSD_CONF" </dev/null >>"$STACK_LOG_DIR/nsd.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/nsd.log" >&2; die "nsd did not start"; }
}

dns_answers() {
  nsd-control -c "$NSD_CONF" status >/dev/null 2>&1
}

wait_nsd_ready() {
  wait_until "nsd ($DNS_PORT)" "$STACK_LOG_DIR/nsd.log" dns_answers
}

signal_nsd() { signal_stop nsd "$(nsd_pid)"; }
