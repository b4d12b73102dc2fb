#!/usr/bin/env bash
# Issue #5 benchmark. Brings up the project's own stack with the API (deploy/stack.sh up --api), seeds the bench
# mailboxes (skipped when they already hold their 10,000 messages), runs bench/Fayvad.Bench in Release, prints the
# tables (a copy goes to .stack/bench-last.txt), and stops what it started. See bench/README.md.
#
#   bench/run.sh [Fayvad.Bench options]        e.g. bench/run.sh --iterations 100 --load-seconds 10
#   KEEP_STACK=1 bench/run.sh                  leave the stack (and the API) running afterwards
#   STACK_API_PORT=8100 STACK_IMAP_PORT=11143 ... bench/run.sh   other ports, read by deploy/stack.sh
#
# Secrets are read from .stack/stack.env by the program; nothing here prints or stores one.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

STACK_DIR=$REPO/.stack
API_PID_FILE=$STACK_DIR/api.pid
OUT=$STACK_DIR/bench-last.txt

log() { printf '[bench/run] %s\n' "$*"; }

api_running() {
  local pid
  pid=$(head -n1 "$API_PID_FILE" 2>/dev/null | tr -dc '0-9') || true
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

stack_was_up=0
api_was_up=0
if deploy/stack.sh status --quiet >/dev/null 2>&1; then stack_was_up=1; fi
if api_running; then api_was_up=1; fi

# Stops what this script started, and only that: the whole stack if it was down, else the API if it was not running.
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local code=$?
  if [[ ${KEEP_STACK:-0} == 1 ]]; then
    log "KEEP_STACK=1: the stack stays up (deploy/stack.sh down stops it)"
  elif ((stack_was_up == 0)); then
    log "stopping the stack it started"
    deploy/stack.sh down || log "warning: deploy/stack.sh down failed"
  elif ((api_was_up == 0)) && api_running; then
    # stack.sh starts the API with setsid: its pid is the process group of `dotnet run` and the API under it.
    local pid i
    pid=$(head -n1 "$API_PID_FILE" | tr -dc '0-9')
    log "stopping the API it started (process group $pid); the rest of the stack was already running and stays"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$API_PID_FILE"
  fi
  exit "$code"
}
trap cleanup EXIT

# The bench measures the server, not the per-caller brake (docs/adr/0018): one bench user makes thousands of calls a
# minute. Applies to an API this script starts; one already running keeps its own setting.
export RateLimiting__Enabled=${RateLimiting__Enabled:-false}
((api_was_up == 1)) && log "the API was already running: its rate limits stay as they were started (429s are counted as failures)"
log "stack: deploy/stack.sh up --api (RateLimiting__Enabled=$RateLimiting__Enabled)"
deploy/stack.sh up --api

log "build: bench/Fayvad.Bench (Release)"
dotnet build bench/Fayvad.Bench/Fayvad.Bench.csproj -c Release -nologo -v quiet -clp:NoSummary

log "run (output also in ${OUT#"$REPO"/})"
set +e
dotnet bench/Fayvad.Bench/bin/Release/net10.0/Fayvad.Bench.dll --stack-env "$STACK_DIR/stack.env" "$@" 2>&1 | tee "$OUT"
code=${PIPESTATUS[0]}
set -e
exit "$code"
