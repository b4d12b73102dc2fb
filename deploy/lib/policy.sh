# shellcheck shell=bash
# The policy service (`Fayvad.Host policy-server`): hourly sending limits for every client of the submission port,
# asked by Postfix at end of data (docs/adr/0036), and who may write to an internal-only alias, asked at RCPT
# (docs/adr/0034). Sourced. Needs the Host that migrate built.

POLICY_PID_FILE=$STACK_DIR/policy-server.pid
POLICY_LOG=$STACK_LOG_DIR/policy-server.log

policy_pid() { live_pid "$POLICY_PID_FILE"; }

start_policy_server() {
  if ! host_built; then
    warn "policy-server: not started (${HOST_DLL#"$REPO"/} is not built): submissions go unlimited, mail to internal-only aliases is deferred"
    return 0
  fi
  local pid; pid=$(policy_pid)
  # It read api.env when it started, and runs the Host that migrate just built: a new build or settings restart it.
  if [[ -n $pid ]] && [[ $HOST_DLL -nt $POLICY_PID_FILE || $API_ENV -nt $POLICY_PID_FILE ]]; then
    log "policy-server: the Host or its settings changed, restarting"
    stop_pids policy-server "$pid"
    pid=""
  fi
  if [[ -n $pid ]]; then log "policy-server: already running (pid $pid)"; return 0; fi
  ensure_port_free policy-server "$POLICY_PORT"
  log "policy-server: starting on $LISTEN_ADDRESS:$POLICY_PORT (log: ${POLICY_LOG#"$REPO"/})"
  read_api_env
  (cd "$(dirname "$HOST_DLL")" && exec setsid env DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MALLOC_ARENA_MAX=2 \
      DOTNET_gcServer=0 "${API_SETTINGS[@]}" Logging__Console__FormatterName=simple \
      dotnet "$HOST_DLL" policy-server "--listen=$LISTEN_ADDRESS:$POLICY_PORT" </dev/null >>"$POLICY_LOG" 2>&1 9>&-) &
  echo "$!" >"$POLICY_PID_FILE"
}

wait_policy_ready() {
  [[ -n $(policy_pid) ]] || return 0
  wait_until "policy-server ($POLICY_PORT)" "$POLICY_LOG" port_listens "$POLICY_PORT"
}

signal_policy_server() { signal_stop policy-server "$(policy_pid)"; }
