#!/usr/bin/env bash
# Renders the spam and virus filters' per-domain settings from PostgreSQL every 2 s (docs/adr/0035), so a change made
# through the API reaches the next message within seconds:
#   $RSPAMD_MAPS_DIR/domains.map   "<domain> <antispam 0|1> <spam_threshold>"       (rspamd.local.lua)
#   $RSPAMD_MAPS_DIR/senders.map   "<domain>|<sender or @domain> allow|block"        (rspamd.local.lua)
#   $CLAMAV_DIR/maps/allowlist     "To:<regex>" per domain with antivirus off        (clamav-milter's AllowList)
# rspamd rereads a changed map by itself; clamav-milter reads its allow list only at start, so it is restarted (by
# pid) when that list changed. A failed query (PostgreSQL down) keeps the last maps. Started and stopped by
# deploy/stack.sh (deploy/lib/spammaps.sh); the password comes in PGPASSWORD, never on the command line.
set -u
umask 022
: "${PSQL:?}" "${PG_HOST:?}" "${PG_PORT:?}" "${PG_DB:?}" "${RSPAMD_MAPS_DIR:?}" "${CLAMAV_DIR:?}" "${PGPASSWORD:?}"

log() { printf '%s spam-maps: %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }

query() {
  "$PSQL" -X -q -t -A -F ' ' -w -h "$PG_HOST" -p "$PG_PORT" -U fayvad_mail -d "$PG_DB" -c "$1" 2>/dev/null
}

# replace FILE < content: 0 when FILE changed.
replace() {
  local file=$1 tmp=$1.tmp
  cat >"$tmp"
  if cmp -s "$tmp" "$file"; then rm -f "$tmp"; return 1; fi
  chmod 0644 "$tmp"; mv -f "$tmp" "$file"
}

# The query's rows, one a line; a comment when there are none (clamav-milter refuses an empty line as a regex).
lines() { if [[ -n $1 ]]; then printf '%s\n' "$1"; else printf '# none\n'; fi; }

restart_clamav_milter() {
  local pidfile=$CLAMAV_DIR/run/clamav-milter.pid pid
  pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null)
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$CLAMAV_DIR/run/milter.sock"
  clamav-milter -c "$CLAMAV_DIR/clamav-milter.conf" </dev/null >/dev/null 2>&1 && log "clamav-milter restarted (allow list changed)"
}

while :; do
  if out=$(query "SELECT domain, CASE WHEN antispam THEN 1 ELSE 0 END, spam_threshold FROM directory.spam_domains ORDER BY domain"); then
    lines "$out" | replace "$RSPAMD_MAPS_DIR/domains.map" && log "domains.map: $(grep -vc '^#' "$RSPAMD_MAPS_DIR/domains.map") domains"
  fi
  if out=$(query "SELECT domain || '|' || sender, action FROM directory.spam_sender_rules ORDER BY 1"); then
    lines "$out" | replace "$RSPAMD_MAPS_DIR/senders.map" && log "senders.map: $(grep -vc '^#' "$RSPAMD_MAPS_DIR/senders.map") entries"
  fi
  # Domain names hold only letters, digits, '-' and '.': escaping the dots makes each a literal basic regex.
  if out=$(query "SELECT 'To:.*@' || replace(domain, '.', '\\.') || '\$' FROM directory.spam_domains WHERE NOT antivirus ORDER BY domain"); then
    if lines "$out" | replace "$CLAMAV_DIR/maps/allowlist"; then
      log "clamav allow list: $(grep -vc '^#' "$CLAMAV_DIR/maps/allowlist") domains with antivirus off"
      restart_clamav_milter
    fi
  fi
  # For deploy/stack.sh up: one pass is done (whatever PostgreSQL answered).
  [[ -f $RSPAMD_MAPS_DIR/.rendered ]] || : >"$RSPAMD_MAPS_DIR/.rendered"
  sleep 2
done
