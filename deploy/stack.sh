#!/usr/bin/env bash
# Local Fayvad mail stack: a project-owned PostgreSQL 15, Dovecot 2.3 and
# Postfix 3.7 on loopback ports, all state under $REPO/.stack (git-ignored).
# System instances (port 5432/25/143, /etc/postfix, /etc/dovecot) are never used.
#
#   deploy/stack.sh up [--api]   start (idempotent); --api also runs the .NET API
#   deploy/stack.sh down         stop everything `up` started
#   deploy/stack.sh status [--quiet] [--show-secrets]   exit 0 = running, 3 = not
#   deploy/stack.sh logs [-f] [LINES]
#   deploy/stack.sh psql [ARGS]  psql as superuser on the project cluster, DB fayvad
#
# See deploy/README.md for the templates, the data contract and production use.
# shellcheck disable=SC2034  # template variables are used by name in render()
# shellcheck disable=SC2016  # single quotes on purpose: literal ${...} and $0 for bash -c
set -euo pipefail
# Service users (postgres, dovecot, vmail, postfix) must be able to read what we create.
umask 022

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$DEPLOY_DIR/.." && pwd)
STACK_DIR=$REPO/.stack
STACK_LOG_DIR=$STACK_DIR/log
STACK_ENV=$STACK_DIR/stack.env
SECRETS_ENV=$STACK_DIR/secrets.env

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=$STACK_DIR/pg
PG_DATA=$PG_DIR/data
PG_SOCKET_DIR=$PG_DIR/run
PG_HOST=127.0.0.1
PG_DB=fayvad

DOVECOT_CONF_DIR=$STACK_DIR/dovecot/conf
DOVECOT_CONF=$DOVECOT_CONF_DIR/dovecot.conf
DOVECOT_BASE_DIR=$STACK_DIR/dovecot/run
DOVECOT_STATE_DIR=$STACK_DIR/dovecot/state
VMAIL_DIR=$STACK_DIR/vmail

POSTFIX_CONFIG_DIR=$STACK_DIR/postfix/etc
POSTFIX_QUEUE_DIR=$STACK_DIR/postfix/queue
POSTFIX_DATA_DIR=$STACK_DIR/postfix/data

DKIM_DIR=$STACK_DIR/opendkim
DKIM_CONF=$DKIM_DIR/opendkim.conf
DKIM_RUN_DIR=$DKIM_DIR/run

NSD_DIR=$STACK_DIR/nsd
NSD_CONF=$NSD_DIR/nsd.conf

API_PROJECT=$REPO/src/Host/Fayvad.Host
API_PID_FILE=$STACK_DIR/api.pid
API_LOG=$STACK_LOG_DIR/api.log

LISTEN_ADDRESS=127.0.0.1
MAIL_HOSTNAME=${STACK_MAIL_HOSTNAME:-fayvad-stack.localhost}
MESSAGE_SIZE_LIMIT=$((25 * 1024 * 1024))
IMAP_MASTER_USER=fayvad_api
WAIT_TIMEOUT=${STACK_WAIT_TIMEOUT:-30}
API_WAIT_TIMEOUT=${STACK_API_TIMEOUT:-600}
PG_RESTARTED=0  # set by start_postgres when this up started it; the mail servers then reconnect

PACKAGES=(postgresql-15 dovecot-imapd dovecot-lmtpd dovecot-pgsql dovecot-fts-xapian dovecot-sieve
          postfix postfix-pgsql gettext-base openssl curl lua-socket
          opendkim opendkim-tools libopendbx1-pgsql nsd python3-dkim python3-dnspython
          nodejs chromium   # nodejs, chromium: the OpenAPI lint and the docs page check (tools/openapi)
          nginx systemd)    # nginx, systemd-analyze: the deploy tests (deploy/nginx, deploy/systemd)
SECRET_NAMES=(DB_PASSWORD MAIL_DB_PASSWORD DKIM_DB_PASSWORD IMAP_MASTER_PASSWORD DOVEADM_API_KEY
              DEMO_SUPERADMIN_PASSWORD DEMO_ORGADMIN_PASSWORD DEMO_USER_PASSWORD DEMO_USER2_PASSWORD
              DEMO_SERVICE_PASSWORD)
# The bare-username superadmin the Django client's direct-call pages log in as (not a secret; env wins).
DEMO_SERVICE_USER=${DEMO_SERVICE_USER:-fayvad_service}
# Only these names are substituted in templates; Dovecot's $mail_plugins or
# Postfix's $myhostname stay as they are.
TEMPLATE_VARS=(STACK_DIR STACK_LOG_DIR LISTEN_ADDRESS MAIL_HOSTNAME MESSAGE_SIZE_LIMIT
               PG_HOST PG_PORT PG_DB PG_SOCKET_DIR MAIL_DB_PASSWORD
               DOVECOT_CONF_DIR DOVECOT_BASE_DIR DOVECOT_STATE_DIR VMAIL_DIR VMAIL_UID VMAIL_GID
               IMAP_PORT LMTP_PORT SMTP_PORT SUBMISSION_PORT DOVEADM_PORT DOVEADM_API_KEY PUSH_HINT_PORT
               POSTFIX_CONFIG_DIR POSTFIX_QUEUE_DIR POSTFIX_DATA_DIR
               DKIM_PORT DKIM_RUN_DIR DKIM_DB_PASSWORD DNS_PORT NSD_DIR)

# ------------------------------------------------------------------ helpers
log()  { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die()  { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# postgres refuses to run as root: every cluster command runs as the postgres
# OS user, from a directory it can read.
as_pg() { (cd "$PG_DIR" && runuser -u postgres -- "$@"); }

# A zombie counts as gone: once its parent has exited it waits for pid 1 to
# reap it, which some container inits do only every few seconds.
pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}
read_pid()  { if [[ -f $1 ]]; then head -n1 "$1" | tr -dc '0-9'; fi; }

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
  DKIM_PORT=${STACK_DKIM_PORT:-$(saved_val DKIM_PORT)};           DKIM_PORT=${DKIM_PORT:-10891}
  DNS_PORT=${STACK_DNS_PORT:-$(saved_val DNS_PORT)};              DNS_PORT=${DNS_PORT:-10053}
  # UDP, bound by the API (Mail:Push:HintPort); Dovecot sends push hints there (docs/adr/0021).
  PUSH_HINT_PORT=${STACK_PUSH_HINT_PORT:-$(saved_val PUSH_HINT_PORT)}; PUSH_HINT_PORT=${PUSH_HINT_PORT:-10300}
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

# ------------------------------------------------------------------ 1. packages
ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing missing packages: ${missing[*]}"
  # The lock timeout lets a concurrent apt run finish instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
}

ensure_vmail_user() {
  if ! getent passwd vmail >/dev/null; then
    log "creating system user vmail (owner of all mailboxes)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "Fayvad virtual mail" vmail
  fi
  VMAIL_UID=$(id -u vmail)
  VMAIL_GID=$(id -g vmail)
}

ensure_dirs() {
  install -d -m 0755 "$STACK_DIR" "$STACK_LOG_DIR" "$STACK_DIR/dovecot" "$STACK_DIR/postfix"
  install -d -m 0700 -o postgres -g postgres "$PG_DIR" "$PG_SOCKET_DIR"
  install -d -m 0750 -o root -g dovecot "$DOVECOT_CONF_DIR"
  install -d -m 0755 "$DOVECOT_STATE_DIR"
  install -d -m 0770 -o vmail -g vmail "$VMAIL_DIR"
  install -d -m 0755 "$POSTFIX_CONFIG_DIR" "$POSTFIX_QUEUE_DIR"
  # Postfix master dies with "open lock file ... Permission denied" otherwise.
  install -d -m 0700 -o postfix -g postfix "$POSTFIX_DATA_DIR"
  # OpenDKIM drops to the opendkim user: its config (with the DB password) is 0640 root:opendkim.
  install -d -m 0750 -o root -g opendkim "$DKIM_DIR"
  install -d -m 0750 -o opendkim -g opendkim "$DKIM_RUN_DIR"
  install -d -m 0755 "$NSD_DIR" "$NSD_DIR/zones" "$NSD_DIR/state" "$NSD_DIR/run"
  # A repo under a private home directory would lock the service users out.
  local u
  for u in postgres vmail dovecot postfix; do
    runuser -u "$u" -- test -x "$STACK_DIR" ||
      die "user $u cannot enter $STACK_DIR: make the path to the repo traversable (chmod o+x on its parents)"
  done
}

# ------------------------------------------------------------------ 2. secrets
# Env wins; otherwise the value saved in secrets.env; otherwise a new random one
# is generated and saved. Env-provided values are not written to disk.
load_secrets() {
  local name value saved
  touch "$SECRETS_ENV"; chmod 0600 "$SECRETS_ENV"
  for name in "${SECRET_NAMES[@]}"; do
    value=${!name:-}
    if [[ -z $value ]]; then
      saved=$(sed -n "s/^$name=//p" "$SECRETS_ENV" | tail -n1)
      value=$saved
    fi
    if [[ -z $value ]]; then
      value=$(openssl rand -base64 18 | tr -d '/+=')
      printf '%s=%s\n' "$name" "$value" >>"$SECRETS_ENV"
      log "generated $name into ${SECRETS_ENV#"$REPO"/}"
    fi
    # These values end up in libpq conninfo, Postfix map files, connection
    # strings and URLs: a conservative charset keeps all of them valid unquoted.
    [[ $value =~ ^[A-Za-z0-9._~+=-]+$ ]] ||
      die "$name may only contain letters, digits and . _ ~ + = -"
    printf -v "$name" '%s' "$value"
  done
}

# ------------------------------------------------------------------ rendering
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

# ------------------------------------------------------------------ 3. PostgreSQL
pg_running() { [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
pg_pid()     { read_pid "$PG_DATA/postmaster.pid"; }
psql_super() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres "$@"; }

start_postgres() {
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    log "postgres: initdb ${PG_DATA#"$REPO"/}"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$STACK_LOG_DIR/initdb.log" 2>&1 ||
      { tail -n 20 "$STACK_LOG_DIR/initdb.log" >&2; die "initdb failed"; }
    # Our settings live in their own file so they are re-rendered on every up.
    echo "include 'postgresql.stack.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  RENDER_CHANGED=0
  render "$DEPLOY_DIR/postgres/postgresql.stack.conf" "$PG_DATA/postgresql.stack.conf" 0600 postgres:postgres
  render "$DEPLOY_DIR/postgres/pg_hba.conf" "$PG_DATA/pg_hba.conf" 0600 postgres:postgres
  if pg_running; then
    if ((RENDER_CHANGED)); then
      log "postgres: config changed, reloading (a port change needs down + up)"
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null
    fi
    log "postgres: already running (pid $(pg_pid))"
  else
    ensure_port_free postgres "$PG_PORT"
    PG_RESTARTED=1
    log "postgres: starting on $PG_HOST:$PG_PORT"
    touch "$STACK_LOG_DIR/postgres.log"; chown postgres:postgres "$STACK_LOG_DIR/postgres.log"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$STACK_LOG_DIR/postgres.log" -w -t "$WAIT_TIMEOUT" start \
      </dev/null >/dev/null 9>&- ||
      { tail -n 30 "$STACK_LOG_DIR/postgres.log" >&2; die "postgres did not start"; }
  fi
}

ensure_db_roles() {
  # Passwords go through psql variables on stdin: never on a command line (ps)
  # and quoted by psql (:'var').
  psql_super -d postgres <<SQL
\set app_pw '$DB_PASSWORD'
\set mail_pw '$MAIL_DB_PASSWORD'
\set dkim_pw '$DKIM_DB_PASSWORD'
SELECT 'CREATE ROLE fayvad LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad') \gexec
SELECT 'CREATE ROLE fayvad_mail LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_mail') \gexec
SELECT 'CREATE ROLE fayvad_dkim LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fayvad_dkim') \gexec
ALTER ROLE fayvad WITH LOGIN PASSWORD :'app_pw';
ALTER ROLE fayvad_mail WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'mail_pw';
ALTER ROLE fayvad_dkim WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'dkim_pw';
SELECT 'CREATE DATABASE $PG_DB OWNER fayvad' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB') \gexec
SQL
}

# Grants must follow the migration (the objects are created by it) and be
# re-applied after every migration that drops/recreates a view.
grant_mail_role() {
  local out
  out=$(psql_super -d "$PG_DB" -t -A 2>&1 <<'SQL'
DO $$
DECLARE missing text[] := '{}';
BEGIN
  IF to_regnamespace('directory') IS NULL THEN
    RAISE NOTICE 'MISSING schema directory';
    RETURN;
  END IF;
  GRANT USAGE ON SCHEMA directory TO fayvad_mail;
  IF to_regclass('directory.mail_accounts') IS NOT NULL THEN
    GRANT SELECT ON directory.mail_accounts TO fayvad_mail;
  ELSE missing := missing || 'directory.mail_accounts'::text; END IF;
  IF to_regclass('directory.mail_domains') IS NOT NULL THEN
    GRANT SELECT ON directory.mail_domains TO fayvad_mail;
  ELSE missing := missing || 'directory.mail_domains'::text; END IF;
  IF to_regclass('directory.mailbox_usage') IS NOT NULL THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON directory.mailbox_usage TO fayvad_mail;
  ELSE missing := missing || 'directory.mailbox_usage'::text; END IF;
  -- The signer reads its one view (private keys of signing domains) and nothing else; fayvad_mail never sees keys.
  IF to_regclass('directory.dkim_signing') IS NOT NULL THEN
    GRANT USAGE ON SCHEMA directory TO fayvad_dkim;
    GRANT SELECT ON directory.dkim_signing TO fayvad_dkim;
  ELSE missing := missing || 'directory.dkim_signing'::text; END IF;
  IF cardinality(missing) > 0 THEN
    RAISE NOTICE 'MISSING %', array_to_string(missing, ', ');
  END IF;
END $$;
SQL
  ) || { echo "$out" >&2; die "granting fayvad_mail failed"; }
  if grep -q MISSING <<<"$out"; then
    warn "mail contract not in the DB yet ($(sed -n 's/.*MISSING //p' <<<"$out")): every IMAP/SMTP login and delivery will fail until the Directory migration creates it"
  else
    log "postgres: fayvad_mail granted on directory.mail_accounts, mail_domains, mailbox_usage; fayvad_dkim on dkim_signing"
  fi
}

# ------------------------------------------------------------------ 4. migrations
npgsql_cs() { echo "Host=$PG_HOST;Port=$PG_PORT;Database=$PG_DB;Username=fayvad;Password=$DB_PASSWORD"; }

run_migrations() {
  if [[ ${STACK_SKIP_MIGRATE:-0} == 1 ]]; then
    log "migrate: skipped (STACK_SKIP_MIGRATE=1)"; return 0
  fi
  if [[ ! -f $API_PROJECT/Fayvad.Host.csproj ]]; then
    log "migrate: skipped (${API_PROJECT#"$REPO"/}/Fayvad.Host.csproj does not exist yet)"; return 0
  fi
  log "migrate: dotnet run -- migrate (log: ${STACK_LOG_DIR#"$REPO"/}/migrate.log)"
  local t0; t0=$(now)
  if ! (cd "$REPO" && env DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
        ConnectionStrings__Fayvad="$(npgsql_cs)" \
        Seed__Demo=true \
        Seed__SuperadminPassword="$DEMO_SUPERADMIN_PASSWORD" \
        Seed__OrgAdminPassword="$DEMO_ORGADMIN_PASSWORD" \
        Seed__UserPassword="$DEMO_USER_PASSWORD" \
        Seed__User2Password="$DEMO_USER2_PASSWORD" \
        Seed__ServiceUsername="$DEMO_SERVICE_USER" \
        Seed__ServicePassword="$DEMO_SERVICE_PASSWORD" \
        dotnet run --project "$API_PROJECT" -c Release -- migrate \
        </dev/null >"$STACK_LOG_DIR/migrate.log" 2>&1 9>&-); then
    tail -n 40 "$STACK_LOG_DIR/migrate.log" >&2
    die "migrate failed"
  fi
  log "migrate: done in $(elapsed "$t0") s"
}

# ------------------------------------------------------------------ 6. Dovecot
dovecot_pid() {
  local pid; pid=$(read_pid "$DOVECOT_BASE_DIR/master.pid")
  if pid_alive "$pid"; then echo "$pid"; fi
}

render_dovecot() {
  RENDER_CHANGED=0
  render "$DEPLOY_DIR/dovecot/dovecot.conf" "$DOVECOT_CONF" 0644 root:root
  render "$DEPLOY_DIR/dovecot/dovecot-sql.conf.ext" "$DOVECOT_CONF_DIR/dovecot-sql.conf.ext" 0640 root:dovecot
  render "$DEPLOY_DIR/dovecot/dovecot-dict-sql.conf.ext" "$DOVECOT_CONF_DIR/dovecot-dict-sql.conf.ext" 0640 root:dovecot
  # Run by the mail processes (vmail) through push_notification_lua: outside the 0750 conf folder, which they cannot enter.
  render "$DEPLOY_DIR/dovecot/push-hints.lua" "$STACK_DIR/dovecot/push-hints.lua" 0644 root:root
  # Holds the doveadm HTTP API key: read by Dovecot's config process (root) only.
  render "$DEPLOY_DIR/dovecot/doveadm-api.conf.ext" "$DOVECOT_CONF_DIR/doveadm-api.conf.ext" 0600 root:root
  # The duplicate check LMTP runs before delivery: read (and its compiled form) by the vmail user, so outside conf/.
  install -d -m 0755 "$STACK_DIR/dovecot/sieve"
  if ! cmp -s "$DEPLOY_DIR/dovecot/sieve/duplicates.sieve" "$STACK_DIR/dovecot/sieve/duplicates.sieve" ||
     [[ ! -f $STACK_DIR/dovecot/sieve/duplicates.svbin ]]; then
    install -m 0644 "$DEPLOY_DIR/dovecot/sieve/duplicates.sieve" "$STACK_DIR/dovecot/sieve/duplicates.sieve"
    sievec -c "$DOVECOT_CONF" "$STACK_DIR/dovecot/sieve/duplicates.sieve" 2>/dev/null ||
      sievec "$STACK_DIR/dovecot/sieve/duplicates.sieve"
    chmod 0644 "$STACK_DIR/dovecot/sieve/duplicates.svbin"
    RENDER_CHANGED=1
  fi
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
      # Its dict and quota-status processes keep failing on their dead SQL connections: end them (by pid, children of
      # this master), the master starts fresh ones on demand. Not a reload: that would end every open IMAP session a
      # few seconds later (docs/adr/0017).
      log "dovecot: PostgreSQL restarted, restarting its dict and quota-status processes"
      local child
      for child in $(ps -o pid=,comm= --ppid "$pid" | awk '$2 == "dict" || $2 == "quota-status" { print $1 }'); do
        kill -TERM "$child" 2>/dev/null || true
      done
    fi
    log "dovecot: already running (pid $pid)"
    return 0
  fi
  ensure_port_free "dovecot IMAP" "$IMAP_PORT"
  ensure_port_free "dovecot LMTP" "$LMTP_PORT"
  ensure_port_free "dovecot doveadm HTTP" "$DOVEADM_PORT"
  log "dovecot: starting (IMAP $LISTEN_ADDRESS:$IMAP_PORT, LMTP $LISTEN_ADDRESS:$LMTP_PORT, doveadm HTTP $LISTEN_ADDRESS:$DOVEADM_PORT)"
  # stdio to the log: a daemon must not hold the caller's terminal or pipe open.
  dovecot -c "$DOVECOT_CONF" </dev/null >>"$STACK_LOG_DIR/dovecot.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/dovecot.log" >&2; die "dovecot did not start"; }
}

# ------------------------------------------------------------------ 6. Postfix
postfix_pid() {
  local pid; pid=$(read_pid "$POSTFIX_QUEUE_DIR/pid/master.pid")
  if pid_alive "$pid"; then echo "$pid"; fi
}

start_postfix() {
  RENDER_CHANGED=0
  render "$DEPLOY_DIR/postfix/main.cf" "$POSTFIX_CONFIG_DIR/main.cf" 0644 root:root
  render "$DEPLOY_DIR/postfix/master.cf" "$POSTFIX_CONFIG_DIR/master.cf" 0644 root:root
  local map
  for map in pgsql-mail-domains.cf pgsql-mail-accounts.cf pgsql-sender-login.cf; do
    render "$DEPLOY_DIR/postfix/$map" "$POSTFIX_CONFIG_DIR/$map" 0640 root:postfix
  done
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

# ------------------------------------------------------------------ 6. OpenDKIM
dkim_pid() {
  local pid; pid=$(read_pid "$DKIM_RUN_DIR/opendkim.pid")
  if pid_alive "$pid"; then echo "$pid"; fi
}

# Tables come from SQL per message, so only a config change needs a restart (OpenDKIM has no reload of its DSNs).
start_opendkim() {
  RENDER_CHANGED=0
  # The password sits in an OpenDKIM DSN (user:pwd@port+host): separators there would split it.
  [[ $DKIM_DB_PASSWORD =~ ^[A-Za-z0-9._~-]+$ ]] || die "DKIM_DB_PASSWORD may only contain letters, digits and . _ ~ -"
  render "$DEPLOY_DIR/opendkim/opendkim.conf" "$DKIM_CONF" 0640 root:opendkim
  local pid; pid=$(dkim_pid)
  if [[ -n $pid ]]; then
    if ((RENDER_CHANGED)); then
      log "opendkim: config changed, restarting"
      stop_pids opendkim "$pid"
    else
      log "opendkim: already running (pid $pid)"
      return 0
    fi
  fi
  ensure_port_free opendkim "$DKIM_PORT"
  log "opendkim: starting (milter $LISTEN_ADDRESS:$DKIM_PORT, keys from directory.dkim_signing)"
  opendkim -x "$DKIM_CONF" </dev/null >>"$STACK_LOG_DIR/opendkim.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/opendkim.log" >&2; die "opendkim did not start"; }
}

stop_pids() {
  local what=$1 pid=$2 pids
  pids="$pid $(descendants "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  wait_gone "$what" $pids
}

# ------------------------------------------------------------------ 6. NSD (loopback authoritative DNS)
nsd_pid() {
  local pid; pid=$(read_pid "$NSD_DIR/run/nsd.pid")
  if pid_alive "$pid"; then echo "$pid"; fi
}

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
  local pid; pid=$(nsd_pid)
  if [[ -n $pid ]]; then
    if ((RENDER_CHANGED)); then
      log "nsd: config changed, restarting"
      stop_pids nsd "$pid"
    else
      log "nsd: already running (pid $pid)"
      return 0
    fi
  fi
  ensure_port_free nsd "$DNS_PORT"
  log "nsd: starting (DNS $LISTEN_ADDRESS:$DNS_PORT, zones fayvad.com and test)"
  nsd -c "$NSD_CONF" </dev/null >>"$STACK_LOG_DIR/nsd.log" 2>&1 9>&- ||
    { tail -n 30 "$STACK_LOG_DIR/nsd.log" >&2; die "nsd did not start"; }
}

dns_answers() {
  nsd-control -c "$NSD_CONF" status >/dev/null 2>&1
}

# ------------------------------------------------------------------ 7. readiness
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

pg_answers() {
  PGPASSWORD=$MAIL_DB_PASSWORD "$PG_BIN/psql" -X -q -t -A -w -h "$PG_HOST" -p "$PG_PORT" \
    -U fayvad_mail -d "$PG_DB" -c 'SELECT 1' 2>/dev/null | grep -qx 1
}

# Any HTTP answer will do (401 without the key): the listener is up.
doveadm_answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$LISTEN_ADDRESS:$DOVEADM_PORT/doveadm/v1") != 000 ]]
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

wait_ready() {
  wait_until "postgres ($PG_HOST:$PG_PORT as fayvad_mail)" "$STACK_LOG_DIR/postgres.log" pg_answers
  wait_until "dovecot IMAP ($IMAP_PORT)" "$STACK_LOG_DIR/dovecot.log" greets "$IMAP_PORT" '* OK' 'a LOGOUT'
  wait_until "dovecot LMTP ($LMTP_PORT)" "$STACK_LOG_DIR/dovecot.log" greets "$LMTP_PORT" '220' 'QUIT'
  wait_until "dovecot doveadm HTTP ($DOVEADM_PORT)" "$STACK_LOG_DIR/dovecot.log" doveadm_answers
  wait_until "postfix inbound SMTP ($SMTP_PORT)" "$STACK_LOG_DIR/postfix.log" greets "$SMTP_PORT" '220' 'QUIT'
  wait_until "postfix submission ($SUBMISSION_PORT)" "$STACK_LOG_DIR/postfix.log" greets "$SUBMISSION_PORT" '220' 'QUIT'
  wait_until "opendkim milter ($DKIM_PORT)" "$STACK_LOG_DIR/opendkim.log" port_listens "$DKIM_PORT"
  wait_until "nsd ($DNS_PORT)" "$STACK_LOG_DIR/nsd.log" dns_answers
  log "ready: postgres, IMAP, LMTP, SMTP, submission, OpenDKIM and NSD answer"
}

# ------------------------------------------------------------------ 8. stack.env
urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in [A-Za-z0-9._~-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  echo "$out"
}

write_stack_env() {
  local tmp; tmp=$(mktemp "$STACK_ENV.XXXXXX")
  cat >"$tmp" <<EOF
API_URL=http://localhost:$API_PORT
IMAP_HOST=$LISTEN_ADDRESS
IMAP_PORT=$IMAP_PORT
SMTP_HOST=$LISTEN_ADDRESS
SMTP_PORT=$SMTP_PORT
SUBMISSION_PORT=$SUBMISSION_PORT
LMTP_PORT=$LMTP_PORT
DOVEADM_URL=http://$LISTEN_ADDRESS:$DOVEADM_PORT/doveadm/v1
DOVEADM_PORT=$DOVEADM_PORT
PUSH_HINT_PORT=$PUSH_HINT_PORT
DOVEADM_API_KEY=$DOVEADM_API_KEY
PG_HOST=$PG_HOST
PG_PORT=$PG_PORT
API_PORT=$API_PORT
DATABASE_URL=postgres://fayvad:$(urlencode "$DB_PASSWORD")@$PG_HOST:$PG_PORT/$PG_DB
DB_CONNECTION=$(npgsql_cs)
MAIL_DB_USER=fayvad_mail
MAIL_DB_PASSWORD=$MAIL_DB_PASSWORD
IMAP_MASTER_USER=$IMAP_MASTER_USER
IMAP_MASTER_PASSWORD=$IMAP_MASTER_PASSWORD
DEMO_SUPERADMIN_USER=superadmin@fayvad.com
DEMO_SUPERADMIN_PASSWORD=$DEMO_SUPERADMIN_PASSWORD
DEMO_ORGADMIN_USER=admin@fayvad.com
DEMO_ORGADMIN_PASSWORD=$DEMO_ORGADMIN_PASSWORD
DEMO_USER_USER=d.kuria@fayvad.com
DEMO_USER_PASSWORD=$DEMO_USER_PASSWORD
DEMO_USER2_USER=j.wanjiru@fayvad.com
DEMO_USER2_PASSWORD=$DEMO_USER2_PASSWORD
DEMO_SERVICE_USER=$DEMO_SERVICE_USER
DEMO_SERVICE_PASSWORD=$DEMO_SERVICE_PASSWORD
STACK_DIR=$STACK_DIR
DOVECOT_CONF=$DOVECOT_CONF
POSTFIX_CONFIG_DIR=$POSTFIX_CONFIG_DIR
DKIM_PORT=$DKIM_PORT
DKIM_DB_USER=fayvad_dkim
DKIM_DB_PASSWORD=$DKIM_DB_PASSWORD
DNS_PORT=$DNS_PORT
NSD_CONF=$NSD_CONF
NSD_ZONES_DIR=$NSD_DIR/zones
EOF
  chmod 0600 "$tmp"; mv -f "$tmp" "$STACK_ENV"
}

# ------------------------------------------------------------------ API (--api)
api_pid() {
  local pid; pid=$(read_pid "$API_PID_FILE")
  if pid_alive "$pid"; then echo "$pid"; fi
}

api_healthy() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://localhost:$API_PORT/fayvad_api/health") == 200 ]]
}

start_api() {
  if [[ ! -f $API_PROJECT/Fayvad.Host.csproj ]]; then
    log "api: skipped (${API_PROJECT#"$REPO"/}/Fayvad.Host.csproj does not exist yet)"; return 0
  fi
  local pid; pid=$(api_pid)
  if [[ -z $pid ]]; then
    ensure_port_free api "$API_PORT"
    log "api: building and starting on http://localhost:$API_PORT (log: ${API_LOG#"$REPO"/})"
    # setsid: `dotnet run` starts the app as a child process; its own process
    # group lets `down` stop both by pid group.
    (cd "$REPO" && exec setsid env DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
        ASPNETCORE_URLS="http://localhost:$API_PORT" \
        ConnectionStrings__Fayvad="$(npgsql_cs)" \
        Mail__Imap__Host="$LISTEN_ADDRESS" Mail__Imap__Port="$IMAP_PORT" \
        Mail__Imap__MasterUser="$IMAP_MASTER_USER" Mail__Imap__MasterPassword="$IMAP_MASTER_PASSWORD" \
        Mail__Smtp__Host="$LISTEN_ADDRESS" Mail__Smtp__Port="$SUBMISSION_PORT" \
        Mail__Smtp__InboundPort="$SMTP_PORT" \
        Directory__Dns__Server="$LISTEN_ADDRESS" Directory__Dns__Port="$DNS_PORT" \
        Mail__Doveadm__Url="http://$LISTEN_ADDRESS:$DOVEADM_PORT/doveadm/v1" Mail__Doveadm__ApiKey="$DOVEADM_API_KEY" \
        Mail__Push__Mode="${STACK_PUSH_MODE:-hints}" Mail__Push__HintAddress="$LISTEN_ADDRESS" Mail__Push__HintPort="$PUSH_HINT_PORT" \
        dotnet run --project "$API_PROJECT" -c Release </dev/null >>"$API_LOG" 2>&1 9>&-) &
    pid=$!
    echo "$pid" >"$API_PID_FILE"
  else
    log "api: already running (pid $pid)"
  fi
  local deadline=$((SECONDS + API_WAIT_TIMEOUT))
  until api_healthy; do
    if ! pid_alive "$pid"; then
      tail -n 40 "$API_LOG" >&2; rm -f "$API_PID_FILE"; die "api exited before answering /fayvad_api/health"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$API_LOG" >&2; die "api: GET /fayvad_api/health not 200 within $API_WAIT_TIMEOUT s (still running, pid $pid)"
    fi
    sleep 0.5
  done
  log "api: healthy at http://localhost:$API_PORT/fayvad_api/health"
}

stop_api() {
  local pid; pid=$(api_pid)
  if [[ -z $pid ]]; then rm -f "$API_PID_FILE"; return 0; fi
  log "api: stopping (process group $pid)"
  local pids; pids="$pid $(descendants "$pid")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  wait_gone api $pids
  rm -f "$API_PID_FILE"
}

# ------------------------------------------------------------------ commands
cmd_up() {
  local with_api=0 arg
  for arg in "$@"; do
    case $arg in --api) with_api=1 ;; *) die "unknown option for up: $arg" ;; esac
  done
  require_root
  take_lock
  local t0; t0=$(now)
  if [[ -f $PG_DATA/PG_VERSION ]]; then log "warm start (state exists in ${STACK_DIR#"$REPO"/})"; else log "cold start"; fi
  load_ports saved
  ensure_packages
  ensure_vmail_user
  ensure_dirs
  load_secrets
  PG_RESTARTED=0
  start_postgres
  ensure_db_roles
  run_migrations
  grant_mail_role
  start_dovecot
  start_opendkim
  start_postfix
  start_nsd
  wait_ready
  write_stack_env
  ((with_api)) && start_api
  log "stack.env: ${STACK_ENV}"
  log "up took $(elapsed "$t0") s"
}

cmd_down() {
  require_root
  take_lock
  load_ports saved
  local t0 pid pids; t0=$(now)
  stop_api
  # Postfix and Dovecot each take 1-3 s to wind down their children: signal
  # both masters, then wait (mail still queued simply stays in the queue);
  # then the DB they both read from.
  pids=""
  pid=$(postfix_pid)
  if [[ -n $pid ]]; then
    log "postfix: stopping (pid $pid)"
    pids+=" $pid $(descendants "$pid")"
    # = "postfix stop" (SIGTERM to master, which ends its children) without
    # postfix-script's 1 s polling sleeps.
    kill -TERM "$pid" 2>/dev/null || true
  fi
  pid=$(dovecot_pid)
  if [[ -n $pid ]]; then
    log "dovecot: stopping (pid $pid)"
    pids+=" $pid $(descendants "$pid")"
    # = "doveadm -c $DOVECOT_CONF stop" minus its blocking wait, so that both
    # servers wind down at the same time.
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for pid in $(dkim_pid) $(nsd_pid); do
    log "opendkim/nsd: stopping (pid $pid)"
    pids+=" $pid $(descendants "$pid")"
    kill -TERM "$pid" 2>/dev/null || true
  done
  # shellcheck disable=SC2086
  [[ -z $pids ]] || wait_gone "postfix/dovecot/opendkim/nsd" $pids
  if pg_running; then
    pid=$(pg_pid)
    log "postgres: stopping (pid $pid)"
    pids="$pid $(descendants "$pid")"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    # shellcheck disable=SC2086
    wait_gone postgres $pids
  fi
  log "down took $(elapsed "$t0") s"
}

# Exit 0 when PostgreSQL, Dovecot and Postfix all run, 3 otherwise (the API is
# optional), so scripts can ask "status --quiet" whether they must start/stop it.
cmd_status() {
  require_root
  load_ports saved
  local pid show=0 quiet=0 down=0 arg
  for arg in "$@"; do
    case $arg in
      --show-secrets) show=1 ;;
      -q|--quiet) quiet=1 ;;
      *) die "usage: status [--quiet] [--show-secrets]" ;;
    esac
  done
  line() { ((quiet)) || printf '  %-10s %s\n' "$1" "$2"; }
  ((quiet)) || echo "stack: $STACK_DIR"
  if pg_running; then line postgres "running (pid $(pg_pid)) $PG_HOST:$PG_PORT"; else line postgres stopped; down=1; fi
  pid=$(dovecot_pid)
  if [[ -n $pid ]]; then line dovecot "running (pid $pid) imap :$IMAP_PORT lmtp :$LMTP_PORT"; else line dovecot stopped; down=1; fi
  pid=$(postfix_pid)
  if [[ -n $pid ]]; then line postfix "running (pid $pid) smtp :$SMTP_PORT submission :$SUBMISSION_PORT"; else line postfix stopped; down=1; fi
  pid=$(dkim_pid)
  if [[ -n $pid ]]; then line opendkim "running (pid $pid) milter :$DKIM_PORT"; else line opendkim stopped; down=1; fi
  pid=$(nsd_pid)
  if [[ -n $pid ]]; then line nsd "running (pid $pid) dns :$DNS_PORT"; else line nsd stopped; down=1; fi
  pid=$(api_pid)
  if [[ -n $pid ]]; then line api "running (pid $pid) http://localhost:$API_PORT"; else line api "not running (up --api starts it)"; fi
  if ((quiet)); then return $((down ? 3 : 0)); fi
  if [[ -f $STACK_ENV ]]; then
    echo "$STACK_ENV:"
    if ((show)); then
      sed 's/^/  /' "$STACK_ENV"
    else
      # Passwords masked unless --show-secrets (status output ends up in CI logs).
      sed -E -e 's/^([A-Z0-9_]*PASSWORD)=.*/\1=*****/' \
             -e 's/^(DB_CONNECTION=.*Password=).*/\1*****/' \
             -e 's#^(DATABASE_URL=postgres://[^:]*:)[^@]*@#\1*****@#' \
             -e 's/^/  /' "$STACK_ENV"
      echo "  (passwords masked: status --show-secrets, or read the file)"
    fi
  else
    echo "no stack.env yet: run deploy/stack.sh up"
  fi
  return $((down ? 3 : 0))
}

cmd_logs() {
  local follow=0 lines=50 f files=()
  for arg in "$@"; do
    case $arg in -f|--follow) follow=1 ;; *[!0-9]*) die "usage: logs [-f] [LINES]" ;; *) lines=$arg ;; esac
  done
  for f in "$STACK_LOG_DIR"/*.log; do [[ -f $f ]] && files+=("$f"); done
  ((${#files[@]})) || die "no logs in $STACK_LOG_DIR"
  if ((follow)); then exec tail -n "$lines" -F "${files[@]}"; fi
  tail -n "$lines" "${files[@]}"
}

cmd_psql() {
  require_root
  load_ports saved
  pg_running || die "postgres is not running: deploy/stack.sh up"
  exec runuser -u postgres -- "$PG_BIN/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d "$PG_DB" "$@"
}

usage() { sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

main() {
  local cmd=${1:-}; shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    psql) cmd_psql "$@" ;;
    -h|--help|help|"") usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
