#!/usr/bin/env bash
# Runs a command with the test services available, e.g.
#   tools/with-services.sh go test -race ./storage/postgres/
# PostgreSQL and Redis come from PARLEY_TEST_POSTGRES_URL/PARLEY_TEST_REDIS_URL
# when set, else throwaway instances are started and removed afterwards.
# See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || {
	echo "usage: $0 command [args...]" >&2
	exit 2
}
# shellcheck source=tools/ci/services.sh
. tools/ci/services.sh
toolchain_ensure
services_start
# Not exec: the EXIT trap must outlive the command to stop the services.
"$@"
