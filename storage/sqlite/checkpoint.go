package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/rs/zerolog"
)

// checkpointInterval is how often the checkpointer copies the WAL back
// into the database file.
const checkpointInterval = time.Second

// checkpointer runs WAL checkpoints on a connection of its own. SQLite's
// automatic checkpoint runs inside the commit that crosses the threshold,
// so the single writer (and every post waiting for it) would stall for the
// copy and the database file's fsync. A PASSIVE checkpoint never waits for
// readers or the writer; what it cannot copy now, the next one does.
type checkpointer struct {
	db     *sql.DB
	log    zerolog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(conn *sql.DB, log zerolog.Logger) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: conn, log: log, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.checkpoint(ctx, "PASSIVE")
		}
	}
}

func (c *checkpointer) checkpoint(ctx context.Context, mode string) {
	var busy, frames, copied int64
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied)
	if err != nil && ctx.Err() == nil {
		c.log.Warn().Err(err).Str("mode", mode).Msg("wal checkpoint")
	}
}

// stop ends the loop and closes the connection; closed last, it is the
// one that makes SQLite checkpoint everything and remove the WAL.
func (c *checkpointer) stop() error {
	c.cancel()
	<-c.done
	return c.db.Close()
}
