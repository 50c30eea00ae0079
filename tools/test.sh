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

# PARLEY_TEST_SHORT=1 (make test-short): go test -short without the race
# detector, where the slowest tests (browser, multi-node, soak) skip.
# Otherwise the full suite, which must not skip anything.
mode=(-race)
summary=(-no-skip)
if [ -n "${PARLEY_TEST_SHORT:-}" ]; then
	mode=(-short)
	summary=()
fi
printf '\n==> go test %s %s\n' "${mode[*]}" "${PARLEY_TEST_PACKAGES:-./...}"
# go test -json (kept in test-artifacts/go-test.json) through
# tools/testsummary, which prints the usual ok/FAIL/--- FAIL lines and the
# output of failed tests, then the counts of tests run, failed and skipped
# and the slowest tests; the same text is kept in test-artifacts/go-test.log.
go build -o test-artifacts/testsummary ./tools/testsummary
if go test "${mode[@]}" -json -count=1 -timeout "${PARLEY_TEST_TIMEOUT:-20m}" ${PARLEY_TEST_FLAGS:-} ${PARLEY_TEST_PACKAGES:-./...} 2>&1 |
	tee test-artifacts/go-test.json |
	test-artifacts/testsummary "${summary[@]}" |
	tee test-artifacts/go-test.log; then
	:
else
	failed+=("go test")
fi

# Every fuzz target for a short, fixed time (FUZZTIME, default 10s each;
# the seed corpora already ran as plain tests above). Not in test-short.
if [ -z "${PARLEY_TEST_SHORT:-}" ]; then
	printf '\n==> fuzz (%s per target)\n' "${FUZZTIME:-10s}"
	if tools/fuzz.sh 2>&1 | tee test-artifacts/fuzz.log; then :; else failed+=("fuzz"); fi
fi

if tools/check.sh; then :; else failed+=("checks"); fi

if [ ${#failed[@]} -gt 0 ]; then
	printf '\nmake test FAILED: %s\n' "${failed[*]}" >&2
	grep -E '^(--- FAIL|FAIL|panic:)' test-artifacts/go-test.log >&2 || true
	exit 1
fi
printf '\nmake test passed\n'
