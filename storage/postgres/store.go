// Package postgres implements chat.Store on PostgreSQL with pgx/v5 and
// sqlc-generated queries (internal/db). It is the engine for running many
// Parley nodes against one database.
package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"parley/storage/sqlerr"
	"parley/storage/sqlrows"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

var _ chat.Store = (*Store)(nil)

// Store is a chat.Store on a pgx pool. Inside InTx it is bound to the
// transaction instead.
type Store struct {
	pool *pgxpool.Pool
	q    *db.Queries
	tx   pgx.Tx // nil outside a transaction
	log  zerolog.Logger
	// Counters of TopicPostBatch statements, shared with the Stores bound
	// to transactions; tests hold the batched path to them.
	*postCounters
}

type postCounters struct {
	postStatements atomic.Int64 // batch statements run
	postsRefused   atomic.Int64 // statements the server refused (then posted one by one)
}

// PostStatements returns how many TopicPostBatch statements the store has
// run and how many of them the server refused; each refused batch was
// retried one post per statement.
func (s *Store) PostStatements() (run, refused int64) {
	return s.postStatements.Load(), s.postsRefused.Load()
}

// Open migrates the database at url to the newest schema (Migrate: nodes
// opening at the same moment take turns on an advisory lock) and connects
// to it, as sqlite.Open migrates its file.
func Open(ctx context.Context, url string, log zerolog.Logger) (*Store, error) {
	if err := Migrate(ctx, url); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, chat.Internal(err, "parse database url")
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (the number of CPUs, at least 4) queues
		// publishes behind each other on a small machine: a publish holds
		// its connection for about ten round trips.
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, chat.Internal(err, "open database pool")
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, chat.Internal(err, "connect to database")
	}
	return &Store{pool: pool, q: db.New(pool), log: log.With().Str("component", "storage.postgres").Logger(),
		postCounters: &postCounters{}}, nil
}

// Close closes the pool. On a transaction-bound Store it does nothing.
func (s *Store) Close() error {
	if s.tx == nil {
		s.pool.Close()
	}
	return nil
}

// Pool exposes the pool for tests and health checks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in one transaction; nested calls join the outer one.
func (s *Store) InTx(ctx context.Context, fn func(tx chat.Store) error) error {
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err, "begin transaction")
	}
	done := false
	defer func() {
		if done {
			return
		}
		// A cancelled request must still give its connection back clean;
		// this also runs when fn panics.
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			s.log.Error().Err(rbErr).Msg("rollback failed")
		}
	}()
	if err := fn(&Store{pool: s.pool, q: s.q.WithTx(tx), tx: tx, log: s.log, postCounters: s.postCounters}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, "commit transaction")
	}
	done = true
	return nil
}

// engine is what PostgreSQL's errors mean (sqlerr holds the answers).
var engine = sqlerr.Engine{
	NoRows:    func(err error) bool { return errors.Is(err, pgx.ErrNoRows) },
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

// violation classifies a constraint failure by its SQLSTATE.
func violation(err error) (sqlerr.Violation, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlerr.None, ""
	}
	switch pe.Code {
	case "23505": // unique_violation
		return sqlerr.Unique, uniqueKey(pe.ConstraintName)
	case "23503": // foreign_key_violation
		if strings.HasPrefix(pe.Message, "update or delete") {
			return sqlerr.StillReferenced, ""
		}
		return sqlerr.MissingRef, ""
	case "23502", "23514", "22001", "22003", "22P02", "22007", "22008", "22021":
		// not null, check, too long, out of range, bad text, bad date
		// and bad encoding: the input was wrong.
		return sqlerr.BadValue, ""
	}
	return sqlerr.None, ""
}

// uniqueKey names a unique constraint in sqlerr's terms.
func uniqueKey(constraint string) string {
	switch constraint {
	case "users_email_key":
		return sqlerr.KeyEmail
	case "roles_tenant_key":
		return sqlerr.KeyRoleKey
	case "messages_client_id":
		return sqlerr.KeyClientMsgID
	case "messages_channel_kind_channel_id_seq_key", "channel_events_pkey":
		return sqlerr.KeySeq
	case "sessions_pkey":
		return sqlerr.KeySession
	}
	return ""
}

// outage reports whether err says the database could not be reached, did
// not answer in time or is going away, rather than that the statement was
// wrong: the same request may succeed once the server is back, so callers
// are told to retry (chat.EUnavailable), never that Parley has a bug or
// that they must log in again. A statement whose connection broke after it
// was sent may or may not have committed; a retry with the same
// client_msg_id then answers with the stored message.
func outage(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pe.Code == "53300": // too_many_connections
			return true
		}
		// The server answered: anything else is about the statement or
		// the configuration (a wrong password is not an outage).
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || // no server at the address, or none that took us
		pgconn.SafeToRetry(err) || // failed before anything was sent
		pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, context.DeadlineExceeded) || // waiting for a pooled connection
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || // the server hung up mid-statement
		errors.As(err, &ne)
}

// orNow keeps a given time and fills a zero one with the current time as
// both engines store it.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return chat.SystemClock{}.Now()
	}
	return t
}

// limit converts a caller's "at most n" to the int32 a query takes: 0 or
// less is chat.DefaultPageSize, more than chat.MaxBatchSize is
// chat.MaxBatchSize, on both engines.
func limit(n int) int32 { return int32(chat.BatchLimit(n)) }

// page returns the keyset cursor and limit of p.
func page(p chat.Page) (after int64, lim int32) {
	p = p.Normalize()
	return p.After, int32(p.Limit)
}

// nonNil returns s, or an empty slice for nil, since array columns are NOT
// NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nilIfEmpty gives chat types nil for empty id lists, as both engines do.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func errorf(code, format string, args ...any) error { return chat.Errorf(code, format, args...) }
