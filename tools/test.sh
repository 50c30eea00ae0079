#!/usr/bin/env bash
# The full suite (make test, .ci/run): start or find the services, run every
# Go test under the race detector, then the static checks. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tools/ci/services.sh
. tools/ci/services.sh
toolchain_ensure
services_start

mkdir -p test-artifacts
failed=()

printf '\n==> go test -race %s\n' "${PARLEY_TEST_PACKAGES:-./...}"
# Plain output (not -json) so the usual ok/FAIL/--- FAIL lines are readable
# in CI logs; a copy is kept in test-artifacts/go-test.log.
if go test -race -count=1 -timeout "${PARLEY_TEST_TIMEOUT:-20m}" ${PARLEY_TEST_FLAGS:-} ${PARLEY_TEST_PACKAGES:-./...} 2>&1 |
	tee test-artifacts/go-test.log; then
	:
else
	failed+=("go test")
fi

if tools/check.sh; then :; else failed+=("checks"); fi

if [ ${#failed[@]} -gt 0 ]; then
	printf '\nmake test FAILED: %s\n' "${failed[*]}" >&2
	grep -E '^(--- FAIL|FAIL|panic:)' test-artifacts/go-test.log >&2 || true
	exit 1
fi
printf '\nmake test passed\n'
