package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"parley/chat"
	postgresql "parley/sql/postgres"
)

// migrateLockID is the advisory lock key that serialises migrations of one
// database across nodes ("parley" in ASCII).
const migrateLockID int64 = 0x7061726c6579

// Migrate brings the database at url to the newest schema. Nodes starting
// at the same moment take turns: each waits on a session-level advisory
// lock, and whoever comes second finds nothing left to do.
func Migrate(ctx context.Context, url string) error {
	// Parsed as the pool parses it, so that pool settings in the URL
	// (pool_max_conns=...) are not sent to the server as parameters.
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return chat.Internal(err, "parse database url")
	}
	sqlDB := stdlib.OpenDB(*pcfg.ConnConfig)
	defer sqlDB.Close()

	// The lock is held by one dedicated connection for the whole run;
	// pg_advisory_lock blocks (honouring ctx) instead of polling.
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return chat.Internal(err, "connect for migration")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		return chat.Internal(err, "take migration lock")
	}
	defer func() {
		// Closing the connection would release it too; unlocking keeps
		// the pooled connection reusable.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockID)
	}()

	if err := up(ctx, sqlDB); err != nil {
		return chat.Internal(err, "migrate database")
	}
	return nil
}

func up(ctx context.Context, sqlDB *sql.DB) error {
	migrations, err := fs.Sub(postgresql.Migrations, "migrations")
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("goose provider: %w", err)
	}
	_, err = provider.Up(ctx)
	return err
}
