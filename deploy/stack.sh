#!/usr/bin/env bash
# Local Fayvad mail stack: a project-owned PostgreSQL 15, Dovecot 2.3 and
# Postfix 3.7 on loopback ports, all state under $REPO/.stack (git-ignored).
# System instances (port 5432/25/143, /etc/postfix, /etc/dovecot) are never used.
#
#   deploy/stack.sh up [--api] [--plan]   start (idempotent); --api also runs the .NET API; --plan prints the packages
#                                         it installs (what runs the service) and does nothing else
#   deploy/stack.sh install [--test] [--plan]   install those packages; --test adds what only the tests use
#   deploy/stack.sh down         stop everything `up` started
#   deploy/stack.sh status [--quiet] [--show-secrets]   exit 0 = running, 3 = not
#   deploy/stack.sh logs [-f] [LINES]
#   deploy/stack.sh psql [ARGS]  psql as superuser on the project cluster, DB fayvad
#
# See deploy/README.md for the templates, the data contract and production use.
# This file is the command line only; each concern lives in deploy/lib/:
#   common.sh   paths, settings, logging, ports, pid supervision, templates, readiness helpers
#   install.sh  Debian packages (RUN_PACKAGES; TEST_PACKAGES for the test command), the vmail user, the .stack/ folders
#   env.sh      secrets.env, the demo accounts, stack.env
#   postgres.sh dovecot.sh postfix.sh opendkim.sh dkimverify.sh nsd.sh redis.sh rspamd.sh clamav.sh api.sh
#               one server each: render, start, ready, stop
#   spammaps.sh the loop that renders the spam and virus filters' per-domain maps from PostgreSQL (docs/adr/0035)
#               (api.sh also writes .stack/api.env: the API's settings that migrate, --api and the tests read)
#   policy.sh   the submission policy service (sending limits), a command of the Host that migrate built
set -euo pipefail
# Service users (postgres, dovecot, vmail, postfix) must be able to read what we create.
umask 022

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for part in common install env postgres dovecot postfix opendkim dkimverify nsd redis rspamd clamav spammaps api policy; do
  # shellcheck source=/dev/null
  source "$DEPLOY_DIR/lib/$part.sh"
done
unset part

wait_ready() {
  wait_postgres_ready
  wait_dovecot_ready
  wait_postfix_ready
  wait_opendkim_ready
  wait_dkim_verifier_ready
  wait_nsd_ready
  wait_policy_ready
  wait_redis_ready
  wait_clamav_ready
  wait_rspamd_ready
  log "ready: postgres, IMAP, LMTP, SMTP, submission, OpenDKIM (signer, verifier), NSD, Redis, ClamAV and rspamd answer"
}

# ------------------------------------------------------------------ commands
cmd_up() {
  local with_api=0 arg
  for arg in "$@"; do
    case $arg in --api) with_api=1 ;; --plan) PACKAGE_PLAN=1 ;; *) die "unknown option for up: $arg" ;; esac
  done
  if [[ ${PACKAGE_PLAN:-0} == 1 ]]; then ensure_packages "${RUN_PACKAGES[@]}"; return 0; fi
  require_root
  take_lock
  local t0; t0=$(now)
  if [[ -f $PG_DATA/PG_VERSION ]]; then log "warm start (state exists in ${STACK_DIR#"$REPO"/})"; else log "cold start"; fi
  load_ports saved
  ensure_packages "${RUN_PACKAGES[@]}"
  ensure_vmail_user
  ensure_dirs
  load_secrets
  PG_RESTARTED=0
  start_postgres
  ensure_db_roles
  write_api_env
  run_migrations
  check_mail_grants
  start_redis
  start_spam_maps
  wait_spam_maps_ready
  # rspamd's first start on a machine takes ~30 s (see rspamd.sh): started early, it gets ready while the rest start.
  start_rspamd
  start_dovecot
  start_clamav
  start_opendkim
  start_dkim_verifier
  start_postfix
  start_policy_server
  write_demo_zone
  start_nsd
  wait_ready
  check_demo_dns
  write_stack_env
  ((with_api)) && start_api
  log "stack.env: ${STACK_ENV}"
  log "up took $(elapsed "$t0") s"
}

# The packages without starting anything: what runs the service, and with --test what the tests add (scripts/test.sh).
cmd_install() {
  local packages=("${RUN_PACKAGES[@]}") arg
  for arg in "$@"; do
    case $arg in --test) packages+=("${TEST_PACKAGES[@]}") ;; --plan) PACKAGE_PLAN=1 ;; *) die "usage: install [--test] [--plan]" ;; esac
  done
  if [[ ${PACKAGE_PLAN:-0} != 1 ]]; then require_root; fi
  ensure_packages "${packages[@]}"
}

cmd_down() {
  require_root
  take_lock
  load_ports saved
  local t0; t0=$(now)
  stop_api
  # Postfix and Dovecot each take 1-3 s to wind down their children: signal
  # every server, then wait for all of them; then the DB they read from.
  SIGNALLED_PIDS=""
  signal_postfix
  signal_dovecot
  signal_opendkim
  signal_dkim_verifier
  signal_nsd
  signal_policy_server
  signal_spam_maps
  signal_rspamd
  signal_clamav
  signal_redis
  # shellcheck disable=SC2086
  [[ -z $SIGNALLED_PIDS ]] || wait_gone "postfix/dovecot/opendkim/nsd/rspamd/clamav/redis" $SIGNALLED_PIDS
  stop_postgres
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
  if [[ -n $pid ]]; then line opendkim "running (pid $pid) milter ${DKIM_SOCKET#"$REPO"/}"; else line opendkim stopped; down=1; fi
  pid=$(dkim_verify_pid)
  if [[ -n $pid ]]; then line dkimverify "running (pid $pid) milter ${DKIM_VERIFY_SOCKET#"$REPO"/}"; else line dkimverify stopped; down=1; fi
  pid=$(nsd_pid)
  if [[ -n $pid ]]; then line nsd "running (pid $pid) dns :$DNS_PORT"; else line nsd stopped; down=1; fi
  pid=$(policy_pid)
  if [[ -n $pid ]]; then line policy "running (pid $pid) policy :$POLICY_PORT"; else line policy stopped; fi
  pid=$(redis_pid)
  if [[ -n $pid ]]; then line redis "running (pid $pid) :$REDIS_PORT"; else line redis stopped; down=1; fi
  pid=$(rspamd_pid)
  if [[ -n $pid ]]; then line rspamd "running (pid $pid) milter :$RSPAMD_PORT controller :$RSPAMD_CONTROLLER_PORT"; else line rspamd stopped; down=1; fi
  pid=$(clamd_pid)
  if [[ -n $pid ]]; then line clamd "running (pid $pid) ${CLAMD_SOCKET#"$REPO"/}"; else line clamd stopped; down=1; fi
  pid=$(clamav_milter_pid)
  if [[ -n $pid ]]; then line clamav-milter "running (pid $pid) milter ${CLAMAV_MILTER_SOCKET#"$REPO"/}"; else line clamav-milter stopped; down=1; fi
  pid=$(spam_maps_pid)
  if [[ -n $pid ]]; then line spam-maps "running (pid $pid)"; else line spam-maps stopped; down=1; fi
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

usage() { sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

main() {
  local cmd=${1:-}; shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    install) cmd_install "$@" ;;
    down) cmd_down ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    psql) cmd_psql "$@" ;;
    -h|--help|help|"") usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
