# shellcheck shell=bash
# Shared by every part of deploy/stack.sh: paths, settings, logging, ports, pid supervision, templates, readiness.
# Sourced, never run. DEPLOY_DIR is set by stack.sh.
# shellcheck disable=SC2034  # variables are used by the other lib files and by name in render()
# shellcheck disable=SC2016  # single quotes on purpose: literal ${...} and $0 for bash -c

REPO=$(cd "$DEPLOY_DIR/.." && pwd)
STACK_DIR=$REPO/.stack
STACK_LOG_DIR=$STACK_DIR/log
STACK_ENV=$STACK_DIR/stack.env
SECRETS_ENV=$STACK_DIR/secrets.env

LISTEN_ADDRESS=127.0.0.1
MAIL_HOSTNAME=${STACK_MAIL_HOSTNAME:-fayvad-stack.localhost}
# Also the authserv-id of the inbound verifier's Authentication-Results; as a regexp for Postfix's header_checks.
MAIL_HOSTNAME_PATTERN=${MAIL_HOSTNAME//./\\.}
MESSAGE_SIZE_LIMIT=$((25 * 1024 * 1024))
WAIT_TIMEOUT=${STACK_WAIT_TIMEOUT:-30}
# What Postfix does with a message while rspamd or clamd cannot answer (docs/adr/0035): accept = deliver it unscanned,
# tempfail = 4xx, the sender retries. Either way nothing that got a 250 is lost.
SPAM_MILTER_DEFAULT_ACTION=${STACK_SPAM_MILTER_DEFAULT_ACTION:-accept}
# ClamAV accepts too: clamav-milter is restarted (a fraction of a second) when a domain's antivirus changes, and mail
# arriving then must not be refused for it; while clamd itself is down, clamav-milter answers 4xx (OnFail Defer).
VIRUS_MILTER_DEFAULT_ACTION=${STACK_VIRUS_MILTER_DEFAULT_ACTION:-accept}
# Mail our own users submit is scored too (a compromised account's spam shows in rspamd's history and headers): 1 = on.
SPAM_SCAN_SUBMISSION=${STACK_SPAM_SCAN_SUBMISSION:-1}

# Only these names are substituted in templates; Dovecot's $mail_plugins or
# Postfix's $myhostname stay as they are.
TEMPLATE_VARS=(STACK_DIR STACK_LOG_DIR LISTEN_ADDRESS MAIL_HOSTNAME MAIL_HOSTNAME_PATTERN MESSAGE_SIZE_LIMIT
               PG_HOST PG_PORT PG_DB PG_SOCKET_DIR MAIL_DB_PASSWORD
               DOVECOT_CONF_DIR DOVECOT_BASE_DIR DOVECOT_STATE_DIR VMAIL_DIR VMAIL_UID VMAIL_GID
               IMAP_PORT LMTP_PORT SMTP_PORT SUBMISSION_PORT DOVEADM_PORT DOVEADM_API_KEY PUSH_HINT_PORT MANAGESIEVE_PORT
               POSTFIX_CONFIG_DIR POSTFIX_QUEUE_DIR POSTFIX_DATA_DIR
               DKIM_SOCKET DKIM_RUN_DIR DKIM_DB_PASSWORD DKIM_VERIFY_DIR DNS_PORT NSD_DIR
               RSPAMD_PORT RSPAMD_CONTROLLER_PORT REDIS_PORT RSPAMD_DIR RSPAMD_MAPS_DIR RSPAMD_DISABLE_HYPERSCAN
               RSPAMD_DEFAULT_THRESHOLD REDIS_DIR CLAMAV_DIR CLAMD_SOCKET CLAMAV_MILTER_SOCKET
               SPAM_MILTER_DEFAULT_ACTION VIRUS_MILTER_DEFAULT_ACTION SPAM_SCAN_SUBMISSION_MILTER POLICY_PORT)

# ------------------------------------------------------------------ logging
log()  { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die()  { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------------------ pid supervision
# A zombie counts as gone: once its parent has exited it waits for pid 1 to
# reap it, which some container inits do only every few seconds.
pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}
read_pid()  { if [[ -f $1 ]]; then head -n1 "$1" | tr -dc '0-9'; fi; }
# When a pid's process started, in seconds since the epoch (field 22 of /proc/PID/stat is in clock ticks since boot).
pid_started() {
  local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  local -a fields; read -r -a fields <<<"$stat"
  local boot; boot=$(awk '/^btime/ { print $2 }' /proc/stat)
  echo $((boot + fields[19] / $(getconf CLK_TCK)))
}
# The pid a server's pid file names, printed only while that process lives. A process that started after its pid file
# was written is another one that got the same pid (after a reboot or a crash): never ours to signal.
live_pid() {
  local pid started; pid=$(read_pid "$1")
  pid_alive "$pid" || return 0
  started=$(pid_started "$pid") || return 0
  ((started <= $(stat -c %Y "$1") + 1)) && echo "$pid"
  return 0
}

# All descendants of a pid (to prove that nothing was left behind after a stop).
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"; descendants "$child"
  done
}

# Waits for pids to exit; kills leftovers by pid after the timeout.
wait_gone() {
  local what=$1; shift
  local deadline=$((SECONDS + 20)) pid left
  while :; do
    left=""
    for pid in "$@"; do pid_alive "$pid" && left+=" $pid"; done
    [[ -z $left ]] && return 0
    if ((SECONDS >= deadline)); then
      warn "$what: still running after 20 s, killing$left"
      # shellcheck disable=SC2086
      kill -9 $left 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
}

stop_pids() {
  local what=$1 pid=$2 pids
  pids="$pid $(descendants "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  wait_gone "$what" $pids
}

# For a server that must be restarted (no reload) when its rendered config changed: call after render.
# Returns 0 when it keeps running as it is (config unchanged); otherwise stops it and returns 1: start it.
keep_or_restart() {
  local what=$1 pid=$2
  [[ -n $pid ]] || return 1
  if ((RENDER_CHANGED)); then
    log "$what: config changed, restarting"
    stop_pids "$what" "$pid"
    return 1
  fi
  log "$what: already running (pid $pid)"
}

# down: signal every server first, wait for all of them together (SIGNALLED_PIDS), so they wind down in parallel.
SIGNALLED_PIDS=""
signal_stop() {
  local what=$1 pid=$2
  [[ -n $pid ]] || return 0
  log "$what: stopping (pid $pid)"
  SIGNALLED_PIDS+=" $pid $(descendants "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------------ ports, lock, root
# Ports: env STACK_*_PORT wins; otherwise what the last `up` wrote (so a restart keeps a stack on its ports).
load_ports() {
  local from_env=${1:-no} saved=""
  if [[ $from_env == saved && -f $STACK_ENV ]]; then saved=$STACK_ENV; fi
  saved_val() { if [[ -n $saved ]]; then sed -n "s/^$1=//p" "$saved" | head -n1; fi; }
  PG_PORT=${STACK_PG_PORT:-$(saved_val PG_PORT)};                 PG_PORT=${PG_PORT:-55432}
  IMAP_PORT=${STACK_IMAP_PORT:-$(saved_val IMAP_PORT)};           IMAP_PORT=${IMAP_PORT:-10143}
  SMTP_PORT=${STACK_SMTP_PORT:-$(saved_val SMTP_PORT)};           SMTP_PORT=${SMTP_PORT:-10025}
  SUBMISSION_PORT=${STACK_SUBMISSION_PORT:-$(saved_val SUBMISSION_PORT)}; SUBMISSION_PORT=${SUBMISSION_PORT:-10587}
  LMTP_PORT=${STACK_LMTP_PORT:-$(saved_val LMTP_PORT)};           LMTP_PORT=${LMTP_PORT:-10024}
  API_PORT=${STACK_API_PORT:-$(saved_val API_PORT)};              API_PORT=${API_PORT:-8000}
  DOVEADM_PORT=${STACK_DOVEADM_PORT:-$(saved_val DOVEADM_PORT)};  DOVEADM_PORT=${DOVEADM_PORT:-10190}
  DNS_PORT=${STACK_DNS_PORT:-$(saved_val DNS_PORT)};              DNS_PORT=${DNS_PORT:-10053}
  # ManageSieve (RFC 5804; 4190 on a real server): users' own filters and vacation, for any Sieve client.
  MANAGESIEVE_PORT=${STACK_MANAGESIEVE_PORT:-$(saved_val MANAGESIEVE_PORT)}; MANAGESIEVE_PORT=${MANAGESIEVE_PORT:-10419}
  # UDP, bound by the API (Mail:Push:HintPort); Dovecot sends push hints there (docs/adr/0021).
  PUSH_HINT_PORT=${STACK_PUSH_HINT_PORT:-$(saved_val PUSH_HINT_PORT)}; PUSH_HINT_PORT=${PUSH_HINT_PORT:-10300}
  # The submission policy service (sending limits, deploy/lib/policy.sh), asked by Postfix.
  POLICY_PORT=${STACK_POLICY_PORT:-$(saved_val POLICY_PORT)};     POLICY_PORT=${POLICY_PORT:-10045}
  # rspamd's milter (Postfix talks to it) and its controller (learning, stat), and Redis (its Bayes store); docs/adr/0035.
  RSPAMD_PORT=${STACK_RSPAMD_PORT:-$(saved_val RSPAMD_PORT)};     RSPAMD_PORT=${RSPAMD_PORT:-10332}
  RSPAMD_CONTROLLER_PORT=${STACK_RSPAMD_CONTROLLER_PORT:-$(saved_val RSPAMD_CONTROLLER_PORT)}
  RSPAMD_CONTROLLER_PORT=${RSPAMD_CONTROLLER_PORT:-10334}
  REDIS_PORT=${STACK_REDIS_PORT:-$(saved_val REDIS_PORT)};        REDIS_PORT=${REDIS_PORT:-10379}
}

# One up/down at a time per checkout (a developer and a test run may race).
# Every daemon is started with 9>&-: an inherited lock fd would hold the lock
# for as long as the daemon runs.
take_lock() {
  install -d -m 0755 "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  flock -w 600 9 || die "another stack.sh up/down holds $STACK_DIR/.lock"
}

require_root() {
  [[ $EUID -eq 0 ]] || die "run as root (needs apt, a vmail user, and starts Dovecot/Postfix as root)"
}

# A clear message beats a bind error buried in a server log.
ensure_port_free() {
  local what=$1 port=$2 holder
  holder=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n1)
  [[ -z $holder ]] || die "$what: port $port is already in use ($holder); pick another with STACK_*_PORT"
}

# ------------------------------------------------------------------ templates
# render TEMPLATE DEST MODE OWNER:GROUP -> sets RENDER_CHANGED=1 when DEST changed.
render() {
  local src=$1 dst=$2 mode=$3 owner=$4 tmp vars="" v
  for v in "${TEMPLATE_VARS[@]}"; do vars+="\${$v} "; done
  tmp=$(mktemp "$dst.XXXXXX")
  ( export "${TEMPLATE_VARS[@]}"; envsubst "$vars" <"$src" >"$tmp" )
  if grep -n '\${[A-Z_]*}' "$tmp" >&2; then rm -f "$tmp"; die "unrendered placeholder in $src"; fi
  chmod "$mode" "$tmp"; chown "$owner" "$tmp"
  if cmp -s "$tmp" "$dst" 2>/dev/null; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$dst"; RENDER_CHANGED=1
  fi
}

# ------------------------------------------------------------------ readiness
# Reads the greeting of a TCP service; succeeds when it starts with $2.
greets() {
  local port=$1 expect=$2 bye=$3
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/'"$LISTEN_ADDRESS"'/$0" || exit 1
    IFS= read -r line <&3 || exit 1
    printf "%s\r\n" "$2" >&3
    [[ $line == "$1"* ]]' "$port" "$expect" "$bye" 2>/dev/null
}

port_listens() {
  [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
}

wait_until() {
  local what=$1 logfile=$2; shift 2
  local deadline=$((SECONDS + WAIT_TIMEOUT))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "----- last lines of $logfile" >&2
      tail -n 30 "$logfile" >&2 || true
      die "$what did not answer within $WAIT_TIMEOUT s"
    fi
    sleep 0.1
  done
}

urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in [A-Za-z0-9._~-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  echo "$out"
}
