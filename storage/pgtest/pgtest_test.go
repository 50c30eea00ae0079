package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"parley/storage/pgtest"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

func tableExists(t *testing.T, url, table string) bool {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	var ok bool
	if err := conn.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil {
		t.Fatalf("query: %v", err)
	}
	return ok
}

func TestDatabases(t *testing.T) {
	t.Parallel()
	var dropped string
	t.Run("migrated", func(t *testing.T) {
		a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
		if a == b {
			t.Fatal("two calls returned one database")
		}
		if !tableExists(t, a, "messages") || !tableExists(t, b, "goose_db_version") {
			t.Fatal("database is not migrated")
		}
		dropped = a
	})
	t.Run("empty", func(t *testing.T) {
		u := pgtest.NewEmptyDatabase(t)
		if tableExists(t, u, "messages") || tableExists(t, u, "goose_db_version") {
			t.Fatal("empty database has tables")
		}
	})
	// The subtest's cleanup dropped its databases.
	if dropped == "" {
		return // the subtest failed already
	}
	if conn, err := pgx.Connect(t.Context(), dropped); err == nil {
		conn.Close(t.Context())
		t.Fatal("database still exists after its test ended")
	}
}
