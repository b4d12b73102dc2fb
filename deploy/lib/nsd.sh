# shellcheck shell=bash
# NSD: loopback authoritative DNS for the zones fayvad.com and test (DNS checks, tests). Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

NSD_DIR=$STACK_DIR/nsd
NSD_CONF=$NSD_DIR/nsd.conf

nsd_pid() { live_pid "$NSD_DIR/run/nsd.pid"; }

# The demo domain (DemoSeeder.Domain) is the zone fayvad.com; its records are what GET domains/{id}/dns/ lists.
DEMO_ZONE=fayvad.com
DEMO_ZONE_CHANGED=0

zone_header() {
  local zone=$1 serial=$2
  cat <<ZONE
\$ORIGIN $zone.
\$TTL 60
@ IN SOA ns.$zone. hostmaster.$zone. $serial 3600 600 86400 60
@ IN NS ns.$zone.
ns IN A $LISTEN_ADDRESS
ZONE
}

# A zone with only its SOA and NS until someone publishes records into it.
ensure_zone() {
  local zone=$1 file=$NSD_DIR/zones/$1.zone
  [[ -f $file ]] && return 0
  zone_header "$zone" 1 >"$file"
}

# The demo domain's zone from what the Directory holds now (`Fayvad.Host dns-zone`, the list of GET dns/): MX, SPF,
# every live DKIM selector (a pending one, the active one, a retired one during its overlap), DMARC and SRV, plus the
# A record of mail.fayvad.com, the MX/SRV target (Directory:Dns:MailHost is unset here). Run on every `up` after
# migrate, so a rotation's new selector is published before the check; rewritten (new serial) only when it changed.
write_demo_zone() {
  local file=$NSD_DIR/zones/$DEMO_ZONE.zone records body serial old
  DEMO_ZONE_CHANGED=0
  if ! host_built; then
    log "demo dns: skipped (the Host is not built: migrate builds it)"; return 0
  fi
  if ! records=$(host_command dns-zone "$DEMO_ZONE"); then
    warn "demo dns: Fayvad.Host dns-zone $DEMO_ZONE failed (${HOST_COMMAND_LOG#"$REPO"/}): its mail stays unsigned"; return 0
  fi
  body=$(printf 'mail IN A %s\n%s' "$LISTEN_ADDRESS" "$records")
  # Unchanged but for the serial: NSD keeps what it serves.
  if [[ -f $file ]] && [[ $(sed '1,5d' "$file") == "$body" ]]; then return 0; fi
  old=""
  [[ -f $file ]] && old=$(sed -n 's/^@ IN SOA [^ ]* [^ ]* \([0-9]*\) .*/\1/p' "$file")
  serial=$(date +%s)
  ((serial > ${old:-0})) || serial=$((old + 1))
  { zone_header "$DEMO_ZONE" "$serial"; printf '%s\n' "$body"; } >"$file.new"
  mv -f "$file.new" "$file"
  DEMO_ZONE_CHANGED=1
  log "demo dns: ${file#"$REPO"/} rewritten (serial $serial) from the Directory's records of $DEMO_ZONE"
}

start_nsd() {
  RENDER_CHANGED=0
  render "$DEPLOY_DIR/nsd/nsd.conf" "$NSD_CONF" 0644 root:root
  ensure_zone "$DEMO_ZONE"
  ensure_zone test
  if keep_or_restart nsd "$(nsd_pid)"; then
    if ((DEMO_ZONE_CHANGED)); then
      nsd-control -c "$NSD_CONF" reload "$DEMO_ZONE." >>"$STACK_LOG_DIR/nsd.log" 2>&1 || warn "nsd: reload of $DEMO_ZONE failed"
    fi
    return 0
  fi
  ensure_port_free nsd "$DNS_PORT"
  log "nsd: starting (DNS $LISTEN_ADDRESS:$DNS_PORT, zones fayvad.com and test)"
  nsd -c "$NSD_CONF" </dev/null >>"$STACK_LOG_DIR/nsd.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/nsd.log" >&2; die "nsd did not start"; }
}

# The demo domain's check (`Fayvad.Host dns-check`, as POST verify-dns/ does) once NSD serves its zone: a pending key
# whose record is seen starts signing, the one it replaces retires (ADR 0019); until then the old key keeps signing.
# NSD 4.6 can lose a reload (NLnetLabs/nsd#421, seen by TestDns): then it is restarted and the check runs again.
check_demo_dns() {
  local out=""
  host_built || return 0
  if ! out=$(host_command dns-check "$DEMO_ZONE" --wait=15) && ((DEMO_ZONE_CHANGED)); then
    log "demo dns: the check did not see the new records; restarting nsd"
    stop_pids nsd "$(nsd_pid)"
    start_nsd
    wait_nsd_ready
    out=$(host_command dns-check "$DEMO_ZONE" --wait=15) || true
  fi
  if [[ -z $out ]]; then
    warn "demo dns: Fayvad.Host dns-check $DEMO_ZONE failed (${HOST_COMMAND_LOG#"$REPO"/})"
  elif [[ $(head -n1 <<<"$out") == "$DEMO_ZONE: ok "* ]]; then
    log "demo dns: $(tail -n1 <<<"$out")"
  else
    warn "demo dns: $DEMO_ZONE's records are not all seen; its mail may go out unsigned:"
    sed 's/^/    /' <<<"$out" >&2
  fi
}

dns_answers() {
  nsd-control -c "$NSD_CONF" status >/dev/null 2>&1
}

wait_nsd_ready() {
  wait_until "nsd ($DNS_PORT)" "$STACK_LOG_DIR/nsd.log" dns_answers
}

signal_nsd() { signal_stop nsd "$(nsd_pid)"; }
