package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// A file another process keeps locked past the busy timeout answers
// chat.EUnavailable (retry later), as a PostgreSQL outage does, never
// EInternal; once the lock is gone the same store writes again.
func TestLockedFileAnswersUnavailable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "parley.db")
	copyFile(t, templatePath(t), path)
	s := open(t, path)
	f := storetest.NewFixture(t, s, "locked")

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	lock, err := other.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// An exclusive lock, as a backup tool or a stuck second process holds.
	if _, err := lock.ExecContext(t.Context(), "INSERT INTO companies (tenant_id, name, created_at) SELECT tenant_id, 'lock', created_at FROM companies LIMIT 1"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	c := chat.Company{TenantID: f.Tenant.ID, Name: "blocked"}
	err = s.CompanyCreate(t.Context(), &c)
	if !chat.IsCode(err, chat.EUnavailable) || chat.ErrorRetryAfter(err) <= 0 {
		t.Fatalf("write while another process holds the lock: code %q (%v), want %q with a retry-after",
			chat.ErrorCode(err), err, chat.EUnavailable)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	c = chat.Company{TenantID: f.Tenant.ID, Name: "after"}
	storetest.NoErr(t, s.CompanyCreate(t.Context(), &c), "write after the lock is gone")
}
