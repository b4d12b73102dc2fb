#!/usr/bin/env bash
# Push benchmark (issue #6): latency from the mail server's OK (SMTP 250 / IMAP APPEND OK) to the event on the SSE
# stream, INBOX and another folder, each against a raw IMAP client of the same mailbox measured in the same run; and
# the cost of N users with an open stream each (API memory, threads, idle CPU, IMAP and PostgreSQL connections).
#
#   bench/push.sh [options]        options go to the bench (--messages 200 --streams 200 ...; --help lists them)
#   KEEP_STACK=1 bench/push.sh     leave the stack (and the API) running afterwards
#
# Brings up the stack with the API as its own process (deploy/stack.sh up --api, which builds and runs the current
# code in Release), runs bench/Fayvad.PushBench in Release, prints the figures (also kept in
# .stack/log/push-bench.txt), and stops what it started. Ports: STACK_*_PORT, as for deploy/stack.sh.
# Runs as root (stack.sh, and ss -p / /proc / doveadm to look at the API and the servers). See bench/README-push.md.
# shellcheck disable=SC2317  # finish and stop_api_only run from the EXIT trap
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

log() { printf '[push] %s\n' "$*" >&2; }
[[ $EUID -eq 0 ]] || { log "run as root (deploy/stack.sh needs it, and so do ss -p, /proc/<api>/ and doveadm)"; exit 1; }

BENCH_PROJECT=bench/Fayvad.PushBench/Fayvad.PushBench.csproj
BENCH_DLL=bench/Fayvad.PushBench/bin/Release/net10.0/Fayvad.PushBench.dll
API_PID_FILE=.stack/api.pid
RESULTS=.stack/log/push-bench.txt

api_running() {
  local pid; pid=$(head -n1 "$API_PID_FILE" 2>/dev/null | tr -dc '0-9' || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# What ran before us stays; what we started goes.
stack_was_up=0 api_was_up=0
if deploy/stack.sh status --quiet >/dev/null 2>&1; then stack_was_up=1; fi
if api_running; then api_was_up=1; fi

# Only the API (when the servers were already up without it): the way stack.sh's down stops it, by process group.
stop_api_only() {
  local pid; pid=$(head -n1 "$API_PID_FILE" 2>/dev/null | tr -dc '0-9' || true)
  [[ -n $pid ]] || return 0
  log "stopping the API we started (process group $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  rm -f "$API_PID_FILE"
}

finish() {
  local code=$?
  trap - EXIT
  if [[ ${KEEP_STACK:-0} == 1 ]]; then
    log "KEEP_STACK=1: leaving the stack running (deploy/stack.sh down stops it)"
  elif ((stack_was_up == 0)); then
    log "stopping the stack we started"
    deploy/stack.sh down >&2 || log "WARNING: deploy/stack.sh down failed"
  elif ((api_was_up == 0)); then
    stop_api_only
  else
    log "the stack and the API were running before: left as they were"
  fi
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM

log "building the bench (Release)"
dotnet build "$BENCH_PROJECT" -c Release -warnaserror --nologo -v quiet -clp:NoSummary >&2

if ((api_was_up)); then
  log "WARNING: the API was already running; stack.sh does not rebuild or restart it, so it may not run the current"
  log "         code and its memory/CPU history is not fresh. For a clean measurement: deploy/stack.sh down first."
fi
log "deploy/stack.sh up --api"
deploy/stack.sh up --api 2>&1 | sed 's/^/[push] /' >&2

mkdir -p "$(dirname "$RESULTS")"
set +e
dotnet "$BENCH_DLL" --stack-env .stack/stack.env "$@" | tee "$RESULTS"
code=${PIPESTATUS[0]}
set -e
log "bench exit code $code; figures kept in $RESULTS"
exit "$code"
