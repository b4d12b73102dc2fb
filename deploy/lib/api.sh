# shellcheck shell=bash
# The .NET host: `migrate` (schema + demo seed) on every up, and the API itself with `up --api`. Sourced.

API_PROJECT=$REPO/src/Host/Fayvad.Host
API_PID_FILE=$STACK_DIR/api.pid
API_LOG=$STACK_LOG_DIR/api.log
API_WAIT_TIMEOUT=${STACK_API_TIMEOUT:-600}
API_ENV=$STACK_DIR/api.env
# The api.env the running API was started with: `up --api` restarts it when api.env differs.
API_ENV_STARTED=$STACK_DIR/api.env.started

# The Host's settings for this stack, in .NET's environment form (Section__Key=value): the one file that `migrate`,
# `up --api` (and so the benches), and the API tests' hosts (StackSettings.ApiSettings) read. A setting that follows
# from the stack is one row in stack_settings (env.sh), which stack.env is written from too. The same form fits
# systemd's EnvironmentFile= and `docker run --env-file`. Seed__*: the demo organization and its accounts, seeded by
# migrate (the tests' hosts turn Seed__Demo off).
write_api_env() {
  write_settings "$API_ENV" 2 "# Written by deploy/stack.sh up (stack_settings, deploy/lib/env.sh): the API's settings for this stack, '__' = ':'. 0600 (secrets)."
}

# api.env as NAME=value words for env(1): values come from load_secrets' charset and the paths above, no quoting.
read_api_env() { mapfile -t API_SETTINGS < <(sed -e '/^#/d' -e '/^$/d' "$API_ENV"); }

run_migrations() {
  if [[ ${STACK_SKIP_MIGRATE:-0} == 1 ]]; then
    log "migrate: skipped (STACK_SKIP_MIGRATE=1)"; return 0
  fi
  if [[ ! -f $API_PROJECT/Fayvad.Host.csproj ]]; then
    log "migrate: skipped (${API_PROJECT#"$REPO"/}/Fayvad.Host.csproj does not exist yet)"; return 0
  fi
  log "migrate: dotnet run -- migrate (log: ${STACK_LOG_DIR#"$REPO"/}/migrate.log)"
  local t0; t0=$(now)
  read_api_env
  if ! (cd "$REPO" && env DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 "${API_SETTINGS[@]}" \
        dotnet run --project "$API_PROJECT" -c Release -- migrate \
        </dev/null >"$STACK_LOG_DIR/migrate.log" 2>&1 9>&-); then
    tail -n 40 "$STACK_LOG_DIR/migrate.log" >&2
    die "migrate failed"
  fi
  log "migrate: done in $(elapsed "$t0") s"
}

# The Host `dotnet run` builds (migrate, --api): its commands (IModuleCommand) run from it, with no second build.
HOST_DLL=$API_PROJECT/bin/Release/net10.0/Fayvad.Host.dll
HOST_COMMAND_LOG=$STACK_LOG_DIR/host-commands.log

host_built() { [[ -f $HOST_DLL ]]; }

# host_command NAME ARGS...: `Fayvad.Host NAME ARGS` with api.env's settings; its answer on stdout, its log (stderr)
# appended to host-commands.log. From the output folder, so the Host's appsettings.json applies.
host_command() {
  read_api_env
  printf '%s %s\n' "$(date -u +%FT%TZ)" "$*" >>"$HOST_COMMAND_LOG"
  (cd "$(dirname "$HOST_DLL")" && env DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 "${API_SETTINGS[@]}" \
    dotnet "$HOST_DLL" "$@" </dev/null 2>>"$HOST_COMMAND_LOG" 9>&-)
}

api_pid() { live_pid "$API_PID_FILE"; }

api_healthy() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://localhost:$API_PORT/fayvad_api/health") == 200 ]]
}

start_api() {
  if [[ ! -f $API_PROJECT/Fayvad.Host.csproj ]]; then
    log "api: skipped (${API_PROJECT#"$REPO"/}/Fayvad.Host.csproj does not exist yet)"; return 0
  fi
  local pid; pid=$(api_pid)
  # A running API read its settings when it started: a changed api.env (a new port, secret or setting) restarts it.
  if [[ -n $pid && -f $API_ENV_STARTED ]] && ! cmp -s "$API_ENV" "$API_ENV_STARTED"; then
    log "api: settings changed since it started (api.env), restarting"
    stop_api
    pid=""
  fi
  if [[ -z $pid ]]; then
    ensure_port_free api "$API_PORT"
    log "api: building and starting on http://localhost:$API_PORT (log: ${API_LOG#"$REPO"/})"
    # setsid: `dotnet run` starts the app as a child process; its own process
    # group lets `down` stop both by pid group.
    read_api_env
    (cd "$REPO" && exec setsid env DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" "${API_SETTINGS[@]}" \
        ASPNETCORE_URLS="http://localhost:$API_PORT" \
        dotnet run --project "$API_PROJECT" -c Release </dev/null >>"$API_LOG" 2>&1 9>&-) &
    pid=$!
    echo "$pid" >"$API_PID_FILE"
    install -m 0600 "$API_ENV" "$API_ENV_STARTED"
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
  if [[ -z $pid ]]; then rm -f "$API_PID_FILE" "$API_ENV_STARTED"; return 0; fi
  log "api: stopping (process group $pid)"
  local pids; pids="$pid $(descendants "$pid")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  wait_gone api $pids
  rm -f "$API_PID_FILE" "$API_ENV_STARTED"
}
