#!/usr/bin/env bash
# The project's test command: brings up the real stack (PostgreSQL, Dovecot, Postfix), runs every test
# project against it, stops what it started, and prints last one line "N passed, N failed".
#   KEEP_STACK=1 scripts/test.sh   leave the stack running afterwards (for a developer's next run)
#   scripts/test.sh --plan         print the Debian packages it installs (the service's and the tests') and stop
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

# What only the tests use (Chromium, nginx, Node.js and npm, dkimpy...) is installed here, not by `up` (deploy/README.md).
if [[ ${1:-} == --plan ]]; then exec deploy/stack.sh install --test --plan; fi

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

if ! deploy/stack.sh install --test; then
  echo "[test] the packages the tests need could not be installed" | tee -a "$log"
  finish 1
fi
if ! deploy/stack.sh status --quiet >/dev/null 2>&1; then started_stack=1; fi
if ! deploy/stack.sh up; then
  echo "[test] the stack did not come up" | tee -a "$log"
  finish 1
fi

# The OpenAPI linter, the docs page check and the generated TypeScript client's type check (tools/openapi, versions
# pinned by its package-lock.json) run inside the API tests.
if ! (cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
  echo "[test] npm ci in tools/openapi failed: the OpenAPI lint and docs page tests will fail" | tee -a "$log"
fi

rm -f artifacts/openapi.json artifacts/openapi-lint.txt artifacts/docs-page.txt artifacts/docs-page.png
dotnet test --solution Fayvad.sln -c Release 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
# What the document tools said (DocumentToolsTests writes them under artifacts/).
[[ -f artifacts/openapi-lint.txt ]] && echo "[test] openapi lint: $(grep -E 'valid|error|warning' artifacts/openapi-lint.txt | grep -v '^\s*║' | tail -n1)"
[[ -f artifacts/docs-page.txt ]] && sed 's/^/[test] /' artifacts/docs-page.txt
# The names of failed tests, near the end where CI's tail shows them.
grep -oE 'failed Fayvad\.[A-Za-z0-9_.]+[^ ]*' "$log" | sort -u | sed 's/^/[test] /' | head -n 20
finish "$code"
