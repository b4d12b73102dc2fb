# shellcheck shell=bash
# PostgreSQL 15: a private cluster in .stack/pg, the roles and the database. Sourced by deploy/stack.sh.
# shellcheck disable=SC2034  # template variables are used by name in render()

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=$STACK_DIR/pg
PG_DATA=$PG_DIR/data
PG_SOCKET_DIR=$PG_DIR/run
PG_HOST=127.0.0.1
PG_DB=fayvad
PG_RESTARTED=0  # set by start_postgres when this up started it; the mail servers then reconnect

# postgres refuses to run as root: every cluster command runs as the postgres
# OS user, from a directory it can read.
as_pg() { (cd "$PG_DIR" && runuser -u postgres -- "$@"); }

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

# The grants to the mail servers' roles are versioned with the migrations (Directory's MailServerRoleGrants,
# docs/adr/0025): ensure_db_roles creates the roles before migrating, the migration grants. This only checks
# (it was grant_mail_role): a migration that drops a view without re-granting shows here, and in the tests.
check_mail_grants() {
  local out
  out=$(psql_super -d "$PG_DB" -t -A 2>&1 <<'SQL'
SELECT o || CASE WHEN to_regclass(o) IS NULL THEN ' MISSING' ELSE ' UNGRANTED ' || r END
FROM (VALUES ('directory.mail_accounts', 'fayvad_mail', 'SELECT'), ('directory.mail_domains', 'fayvad_mail', 'SELECT'),
             ('directory.mail_virtual', 'fayvad_mail', 'SELECT'), ('directory.mail_virtual_direct', 'fayvad_mail', 'SELECT'),
             ('directory.mail_internal_only', 'fayvad_mail', 'SELECT'),
             ('directory.mail_organization_members', 'fayvad_mail', 'SELECT'),
             ('directory.mailbox_usage', 'fayvad_mail', 'INSERT'), ('directory.dkim_signing', 'fayvad_dkim', 'SELECT'),
             ('directory.spam_domains', 'fayvad_mail', 'SELECT'), ('directory.spam_sender_rules', 'fayvad_mail', 'SELECT')) v(o, r, p)
WHERE CASE WHEN to_regclass(o) IS NULL THEN true ELSE NOT has_table_privilege(r, o, p) END;
SQL
  ) || { echo "$out" >&2; die "checking the mail roles' grants failed"; }
  if grep -q MISSING <<<"$out"; then
    warn "mail contract not in the DB yet ($(sed -n 's/ MISSING$//p' <<<"$out" | paste -sd, | sed 's/,/, /g')): every IMAP/SMTP login and delivery will fail until the Directory migration creates it"
  elif [[ -n $out ]]; then
    warn "not granted: $(sed 's/ UNGRANTED / to /' <<<"$out" | paste -sd, | sed 's/,/, /g'); a migration dropped them? Run deploy/stack.sh psql -c 'SELECT directory.grant_mail_server_roles()' and re-grant in that migration"
  else
    log "postgres: fayvad_mail granted on directory.mail_accounts, mail_domains, mail_virtual(_direct), mail_internal_only, mail_organization_members, mailbox_usage, spam_domains, spam_sender_rules; fayvad_dkim on dkim_signing (by the migrations)"
  fi
}

npgsql_cs() { echo "Host=$PG_HOST;Port=$PG_PORT;Database=$PG_DB;Username=fayvad;Password=$DB_PASSWORD"; }

pg_answers() {
  PGPASSWORD=$MAIL_DB_PASSWORD "$PG_BIN/psql" -X -q -t -A -w -h "$PG_HOST" -p "$PG_PORT" \
    -U fayvad_mail -d "$PG_DB" -c 'SELECT 1' 2>/dev/null | grep -qx 1
}

wait_postgres_ready() {
  wait_until "postgres ($PG_HOST:$PG_PORT as fayvad_mail)" "$STACK_LOG_DIR/postgres.log" pg_answers
}

# Last in `down`: Dovecot and Postfix read from it until they are gone.
stop_postgres() {
  pg_running || return 0
  local pid pids
  pid=$(pg_pid)
  log "postgres: stopping (pid $pid)"
  pids="$pid $(descendants "$pid")"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  # shellcheck disable=SC2086
  wait_gone postgres $pids
}
