// Package pgtest gives tests their own PostgreSQL database. The server comes
// from PARLEY_TEST_POSTGRES_URL; each database is cloned from a migrated
// template, which is built once and shared by every test binary that runs
// the same migrations.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	postgresql "parley/sql/postgres"
	"parley/storage/postgres"
)

// EnvURL names the variable holding the admin URL of the test server;
// EnvURLAlias is read when it is unset.
const (
	EnvURL      = "PARLEY_TEST_POSTGRES_URL"
	EnvURLAlias = "PARLEY_TEST_DATABASE_URL"
)

// templateLockID serialises template builds across test binaries.
const templateLockID int64 = 0x7061726c_74706c // "parltpl"

// NewDatabase creates a fresh, migrated database, drops it when t ends and
// returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	tmpl, err := template(admin)
	if err != nil {
		t.Fatalf("pgtest: build template database: %v", err)
	}
	return create(t, admin, "TEMPLATE "+pgx.Identifier{tmpl}.Sanitize())
}

// NewEmptyDatabase creates a database without any schema (for migration
// tests), drops it when t ends and returns its URL.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	return create(t, adminURL(t), "TEMPLATE template0")
}

func adminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		u = os.Getenv(EnvURLAlias)
	}
	if u == "" {
		t.Fatalf("pgtest: %s is not set; point it at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", EnvURL)
	}
	return u
}

func create(t testing.TB, admin, from string) string {
	t.Helper()
	name := "parley_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" "+from); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// FORCE ends connections a test left open (a leak goleak or the
		// test itself reports); the database must go either way.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// templates remembers the template of each admin URL for this binary; the
// test binary is the unit of sharing, so this is its one piece of state.
var templates struct {
	sync.Mutex
	names map[string]string
}

// template returns the name of the migrated template database, building it
// if no test binary has yet. Its name carries a hash of the migrations, so
// a changed schema gets a new template instead of a stale one.
func template(admin string) (string, error) {
	templates.Lock()
	defer templates.Unlock()
	if name, ok := templates.names[admin]; ok {
		return name, nil
	}
	name, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name = "parley_template_" + name
	if err := buildTemplate(admin, name); err != nil {
		return "", err
	}
	if templates.names == nil {
		templates.names = map[string]string{}
	}
	templates.names[admin] = name
	return name, nil
}

func buildTemplate(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	// Concurrent test binaries wait here; the first builds, the rest find
	// the template done.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockID); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLockID)

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return nil
	}
	// Build under another name and rename when complete, so a build that
	// died half-way is never taken for a template.
	building := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop half-built template: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	u, err := withDatabase(admin, building)
	if err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, u); err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("rename template: %w", err)
	}
	return nil
}

// migrationsHash names the current migrations by their content.
func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	err := fs.WalkDir(postgresql.Migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(postgresql.Migrations, n)
		if err != nil {
			return "", fmt.Errorf("read migration: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// withDatabase returns admin with its database replaced by name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
