#!/usr/bin/env bash
# The project's test command: brings up the real stack (PostgreSQL, Dovecot, Postfix), runs every test
# project against it, stops what it started, and prints last one line "N passed, N failed".
#   KEEP_STACK=1 scripts/test.sh   leave the stack running afterwards (for a developer's next run)
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

log="$(mktemp -t fayvad-test.XXXXXX)"
started_stack=0

finish() {
  local code=$1 passed failed
  passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+' || true)
  failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+' || true)
  if [[ $started_stack == 1 && ${KEEP_STACK:-0} != 1 ]]; then
    deploy/stack.sh down >/dev/null 2>&1 || echo "[test] warning: stack down failed" >&2
  fi
  rm -f "$log"
  # A run that never reached the test summary (build error, stack failure) counts as one failure.
  if [[ -z $passed || -z $failed ]]; then
    passed=${passed:-0}; failed=$(( ${failed:-0} > 0 ? failed : 1 ))
  fi
  (( code != 0 && failed == 0 )) && failed=1
  echo "$passed passed, $failed failed"
  exit "$code"
}

if ! deploy/stack.sh status --quiet >/dev/null 2>&1; then started_stack=1; fi
if ! deploy/stack.sh up; then
  echo "[test] the stack did not come up" | tee -a "$log"
  finish 1
fi

dotnet test --solution Fayvad.sln -c Release 2>&1 | tee "$log"
finish "${PIPESTATUS[0]}"
