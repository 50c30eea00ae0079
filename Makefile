# Parley developer targets. See docs/testing.md.
GO ?= go
SQLC ?= $(GO) tool -modfile=tools/sqlc.mod sqlc

.PHONY: all test test-short check build sqlc bench

all: build

# The full suite: services (started privately unless PARLEY_TEST_* are set),
# go test -race ./..., then the checks (make check).
test:
	tools/test.sh

# Fast feedback: go test -short (no race detector; the slowest tests skip)
# against the same services, then the checks.
test-short:
	PARLEY_TEST_SHORT=1 tools/test.sh

# Static checks only (no services): gofmt, go vet, go mod tidy -diff,
# staticcheck, function size (gocyclo, funclen), sqlc diff.
check:
	tools/check.sh

build:
	$(GO) build -o parley ./cmd/parley

# Regenerate the sqlc code after changing sql/*/queries or migrations.
sqlc:
	$(SQLC) generate

# Load benchmark against throwaway services; pass flags with BENCH_ARGS=...
bench:
	tools/with-services.sh $(GO) run ./cmd/parley-bench $(BENCH_ARGS)
