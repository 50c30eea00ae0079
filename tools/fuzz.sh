#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time (make test runs
# it; see docs/testing.md). Targets are found by listing func Fuzz in the
# test files, so a new one is never forgotten. FUZZTIME per target
# (default 10s). A failure leaves its input under the package's
# testdata/fuzz/FuzzXxx/: commit it as a regression entry. FUZZ_SAVE=1
# also copies the inputs the engine found interesting (its cache under
# $GOCACHE/fuzz) into testdata/fuzz/FuzzXxx/, which is how the committed
# corpus is grown: FUZZTIME=60s FUZZ_SAVE=1 tools/fuzz.sh, then commit.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
failed=()
n=0
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"${line#*:}")
	pkg=$(dirname "$file")
	n=$((n + 1))
	printf '==> fuzz %s %s (%s)\n' "$pkg" "$name" "$fuzztime"
	log=$(mktemp)
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 1 "$pkg" 2>&1 | tee "$log"; then
		# The fuzzing engine itself sometimes ends a run that found nothing
		# with "context deadline exceeded" when -fuzztime runs out under
		# load (no failing input is written). That is not a finding; a real
		# one always writes its input under testdata/fuzz.
		if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
			echo "fuzz: $pkg $name: the fuzzing engine's deadline flake, no failing input; not a finding" >&2
		else
			failed+=("$pkg $name")
		fi
	fi
	rm -f "$log"
	if [ "${FUZZ_SAVE:-}" = 1 ]; then
		cache="$(go env GOCACHE)/fuzz/$(go list "$pkg")/$name"
		if [ -d "$cache" ]; then
			mkdir -p "$pkg/testdata/fuzz/$name"
			cp -n "$cache"/* "$pkg/testdata/fuzz/$name/" 2>/dev/null || true
			echo "fuzz: corpus of $name: $(ls "$pkg/testdata/fuzz/$name" | wc -l) inputs"
		fi
	fi
done < <(grep -rE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
if [ "$n" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
printf 'fuzz: %d targets passed\n' "$n"
