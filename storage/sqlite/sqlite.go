// Package sqlite is the embedded chat.Store: one SQLite file, one node.
//
// SQLite has one writer at a time. The Store keeps two pools on the same
// file: a writer pool of exactly one connection whose transactions begin
// IMMEDIATE (they take the write lock at BEGIN, so they never fail with
// SQLITE_BUSY halfway and sequence counters are gap-free), and a pool of
// read-only connections that, in WAL mode, read committed data while the
// writer works. Inside InTx every query runs on the transaction.
//
// Do not call the outer Store's write methods from inside an InTx callback:
// the only writer connection belongs to the transaction, so such a call
// waits until its context ends. Use the tx Store handed to the callback.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"parley/storage/sqlerr"
	"parley/storage/sqlrows"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/rs/zerolog"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"parley/chat"
	sqlmigrations "parley/sql/sqlite"
	"parley/storage/sqlite/internal/db"
)

var _ chat.Store = (*Store)(nil)

// busyTimeout bounds how long a connection waits for a lock held by
// another process sharing the file (within this process the writer pool
// already serialises writes).
const busyTimeout = 10 * time.Second

// registerFunctions adds Parley's SQL functions to the modernc driver,
// which keeps them process-wide for every connection it opens afterwards;
// hence a package-level once rather than per-Store state.
var registerFunctions = sync.OnceValue(func() error {
	// parley_lower folds case for all of Unicode (SQLite's lower() knows
	// only ASCII), so "Äijälä" matches "äijälä" as it does on Postgres.
	return sqlite3.RegisterDeterministicScalarFunction("parley_lower", 1,
		func(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return strings.ToLower(v), nil
			case []byte:
				return strings.ToLower(string(v)), nil
			default:
				return v, nil
			}
		})
})

// Store is chat.Store on SQLite.
type Store struct {
	log zerolog.Logger

	// Set on the root Store only.
	readDB, writeDB *sql.DB
	checkpoints     *checkpointer

	// Set on a Store bound to a transaction.
	tx *sql.Tx

	read  *db.Queries // reads: the read pool, or the transaction
	write *db.Queries // writes: the writer connection, or the transaction
}

// Open opens (creating if needed) the database file at path and migrates
// it to the newest schema.
func Open(ctx context.Context, path string, log zerolog.Logger) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, chat.Errorf(chat.EInvalid, "sqlite: database path %q must be a plain file path", path)
	}
	log = log.With().Str("component", "sqlite").Logger()
	if err := registerFunctions(); err != nil {
		return nil, chat.Internal(err, "sqlite: register functions")
	}
	// The embedded default may point at a directory not made yet.
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, chat.Internal(err, "sqlite: create directory for "+path)
	}

	// opened is closed in reverse when a later step fails.
	var opened []io.Closer
	fail := func(err error) (*Store, error) {
		for i := len(opened) - 1; i >= 0; i-- {
			_ = opened[i].Close()
		}
		return nil, err
	}
	writeDB, err := openWriter(ctx, path)
	if err != nil {
		return nil, err
	}
	opened = append(opened, writeDB)
	if err := migrate(ctx, writeDB, log); err != nil {
		return fail(err)
	}
	readDB, err := openReaders(ctx, path)
	if err != nil {
		return fail(err)
	}
	opened = append(opened, readDB)

	// Statements are prepared once per connection: parsing SQL cost a
	// publish more than running it.
	write, err := db.Prepare(ctx, writeDB)
	if err != nil {
		return fail(chat.Internal(err, "sqlite: prepare statements"))
	}
	opened = append(opened, write)
	read, err := db.Prepare(ctx, readDB)
	if err != nil {
		return fail(chat.Internal(err, "sqlite: prepare statements"))
	}
	opened = append(opened, read)
	cpDB, err := sql.Open("sqlite", dsnFor(path))
	if err != nil {
		return fail(chat.Internal(err, "sqlite: open checkpointer"))
	}
	cpDB.SetMaxOpenConns(1)
	cpDB.SetConnMaxLifetime(0)
	cpDB.SetConnMaxIdleTime(0)
	return &Store{
		log:         log,
		readDB:      readDB,
		writeDB:     writeDB,
		checkpoints: startCheckpointer(cpDB, log),
		read:        read,
		write:       write,
	}, nil
}

// dsnFor is the connection string for path: the pragmas every connection
// needs, then extra. synchronous=FULL: in WAL mode NORMAL may lose the
// last commits on power loss, and an acknowledged message must never be
// lost.
func dsnFor(path string, extra ...string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	for _, p := range extra {
		q.Add("_pragma", p)
	}
	return path + "?" + q.Encode()
}

// openWriter opens the one connection that writes. It never checkpoints
// itself: the checkpointer does, off the commit path (checkpoint.go).
func openWriter(ctx context.Context, path string) (*sql.DB, error) {
	writeDB, err := sql.Open("sqlite", dsnFor(path, "journal_mode(WAL)", "wal_autocheckpoint(0)")+"&_txlock=immediate")
	if err != nil {
		return nil, chat.Internal(err, "sqlite: open writer")
	}
	writeDB.SetMaxOpenConns(1)
	writeDB.SetMaxIdleConns(1)
	writeDB.SetConnMaxLifetime(0)
	writeDB.SetConnMaxIdleTime(0)
	if err := writeDB.PingContext(ctx); err != nil {
		_ = writeDB.Close()
		return nil, chat.Internal(err, "sqlite: open "+path)
	}
	return writeDB, nil
}

// openReaders opens the read-only pool, one connection per core (at
// least 4).
func openReaders(ctx context.Context, path string) (*sql.DB, error) {
	readDB, err := sql.Open("sqlite", dsnFor(path, "query_only(1)"))
	if err != nil {
		return nil, chat.Internal(err, "sqlite: open readers")
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	readDB.SetMaxOpenConns(readers)
	readDB.SetMaxIdleConns(readers)
	if err := readDB.PingContext(ctx); err != nil {
		_ = readDB.Close()
		return nil, chat.Internal(err, "sqlite: open readers")
	}
	return readDB, nil
}

// migrate applies the embedded goose migrations.
func migrate(ctx context.Context, conn *sql.DB, log zerolog.Logger) error {
	migrations, err := fs.Sub(sqlmigrations.Migrations, "migrations")
	if err != nil {
		return chat.Internal(err, "sqlite: migrations")
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, conn, migrations, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return chat.Internal(err, "sqlite: migrations")
	}
	results, err := p.Up(ctx)
	if err != nil {
		return chat.Internal(err, "sqlite: migrate")
	}
	for _, r := range results {
		log.Info().Str("migration", r.Source.Path).Dur("took", r.Duration).Msg("migrated")
	}
	return nil
}

// Close closes both pools. Closing a Store bound to a transaction is a
// no-op: the transaction ends with InTx.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	return errors.Join(s.read.Close(), s.write.Close(), s.readDB.Close(), s.writeDB.Close(), s.checkpoints.stop())
}

// InTx runs fn in one IMMEDIATE transaction; a nested call joins it.
//
// Waiting for the writer connection honours ctx. The transaction itself is
// begun with context.WithoutCancel so that database/sql does not roll it
// back behind fn's back when ctx ends; statements inside still honour ctx,
// and the explicit Rollback (which takes no context in database/sql) always
// runs to the end, so a cancelled request never leaks the connection.
func (s *Store) InTx(ctx context.Context, fn func(tx chat.Store) error) error {
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

// inTx is InTx for the store's own methods, which go on with the
// transaction's *Store.
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return translate(err, "transaction")
	}
	defer conn.Close() // back to the pool once the transaction has ended
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return translate(err, "transaction")
	}
	q := s.write.WithTx(tx) // the writer's prepared statements
	txStore := &Store{log: s.log, tx: tx, read: q, write: q}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(txStore); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			s.log.Error().Err(rbErr).Msg("rollback")
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = tx.Rollback()
		return translate(err, "transaction")
	}
	if err := tx.Commit(); err != nil {
		return translate(err, "commit")
	}
	return nil
}

// engine is what SQLite's errors mean (sqlerr holds the answers).
var engine = sqlerr.Engine{
	NoRows:    func(err error) bool { return errors.Is(err, sql.ErrNoRows) },
	Outage:    outage,
	Violation: violation,
}

// translate turns a driver error into chat's vocabulary; what names the
// thing concerned ("user", "message"). Every method returns through it.
func translate(err error, what string) error { return engine.Translate(err, what, "") }

// translateRef is translate for a statement whose reference points at
// ref: a missing reference answers "<ref> not found".
func translateRef(err error, what, ref string) error { return engine.Translate(err, what, ref) }

// mustAffect turns "no row changed" into not found:
// mustAffect("user")(q.UserUpdate(ctx, ...)).
func mustAffect(what string) func(n int64, err error) error { return engine.MustAffect(what) }

// list converts a list query's rows with conv, or translates its failure
// (what names the rows): return list("drafts", toDraft)(q.DraftList(...)).
func list[R, T any](what string, conv func(R) T) func([]R, error) ([]T, error) {
	return sqlrows.List(func(err error) error { return translate(err, what) }, conv)
}

// one is list for a query of one row; no row answers not found.
func one[R, T any](what string, conv func(R) T) func(R, error) (T, error) {
	return sqlrows.One(func(err error) error { return translate(err, what) }, conv)
}

// tryList is list for a conversion that can fail; that failure passes
// unchanged.
func tryList[R, T any](what string, conv func(R) (T, error)) func([]R, error) ([]T, error) {
	return sqlrows.TryList(func(err error) error { return translate(err, what) }, conv)
}

// violation classifies a constraint failure by its extended result code.
// SQLite reports a missing reference and a deleted row still referenced
// alike (FOREIGN KEY constraint failed); Parley deletes no row that others
// reference without ON DELETE, so it answers as a missing reference.
func violation(err error) (sqlerr.Violation, string) {
	var se *sqlite3.Error
	if !errors.As(err, &se) {
		return sqlerr.None, ""
	}
	switch se.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlerr.Unique, uniqueKey(se.Error())
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlerr.MissingRef, ""
	case sqlite3lib.SQLITE_CONSTRAINT_NOTNULL, sqlite3lib.SQLITE_CONSTRAINT_CHECK:
		return sqlerr.BadValue, ""
	}
	return sqlerr.None, ""
}

// uniqueKey names a unique constraint in sqlerr's terms from the columns
// SQLite lists ("UNIQUE constraint failed: users.email").
func uniqueKey(msg string) string {
	switch {
	case strings.Contains(msg, "users.email"):
		return sqlerr.KeyEmail
	case strings.Contains(msg, "roles.key"):
		return sqlerr.KeyRoleKey
	case strings.Contains(msg, "messages.client_msg_id"):
		return sqlerr.KeyClientMsgID
	case strings.Contains(msg, ".seq"):
		return sqlerr.KeySeq
	case strings.Contains(msg, "sessions.id"):
		return sqlerr.KeySession
	}
	return ""
}

// outage reports whether err says the database file cannot be used right
// now (locked by another process past busyTimeout, an I/O error, a full
// disk, a file that cannot be opened or written) or the wait for the
// writer ran out of time, rather than that the statement was wrong:
// callers are told to retry (chat.EUnavailable), as on PostgreSQL.
func outage(err error) bool {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code of an extended one
		case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_IOERR, sqlite3lib.SQLITE_FULL,
			sqlite3lib.SQLITE_READONLY, sqlite3lib.SQLITE_CANTOPEN, sqlite3lib.SQLITE_PROTOCOL:
			return true
		}
		return false
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// now is the current time as stored: UTC, microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// orNow returns t, or now when t is zero (Create methods keep a given time).
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// micros encodes a time as stored: unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros decodes a stored time.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func microsPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := micros(*t)
	return &v
}

func fromMicrosPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMicros(*v)
	return &t
}

// limit converts a caller's "at most n" to the int64 a query takes: 0 or
// less is chat.DefaultPageSize, more than chat.MaxBatchSize is
// chat.MaxBatchSize, on both engines.
func limit(n int) int64 { return int64(chat.BatchLimit(n)) }
