package chat_test

// The chat tests' shared kit: the real engines every service test runs on,
// a clock the test moves by hand and a publisher that records events.

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/pgtest"
	"parley/storage/postgres"
	"parley/storage/sqlite"
)

// engine is one real chat.Store implementation; both must behave the same.
type engine struct {
	name string
	// open returns a fresh, empty, migrated store owned by t.
	open func(t *testing.T) chat.Store
	// nodes returns n stores on one fresh database, as n nodes (PostgreSQL)
	// or processes (SQLite) sharing it would have.
	nodes func(t *testing.T, n int) []chat.Store
}

// engines are the real stores the chat tests run on.
var engines = []engine{
	{
		name: "sqlite",
		open: newSQLite,
		nodes: func(t *testing.T, n int) []chat.Store {
			path := filepath.Join(t.TempDir(), "parley.db")
			out := make([]chat.Store, n)
			for i := range out {
				out[i] = openSQLite(t, path)
			}
			return out
		},
	},
	{
		name: "postgres",
		open: func(t *testing.T) chat.Store {
			return openPostgres(t, pgtest.NewDatabase(t))
		},
		nodes: func(t *testing.T, n int) []chat.Store {
			url := pgtest.NewDatabase(t)
			out := make([]chat.Store, n)
			for i := range out {
				out[i] = openPostgres(t, url)
			}
			return out
		},
	},
}

// onEngines runs fn once per engine, as parallel subtests named after it.
func onEngines(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// newSQLite returns a store on a fresh SQLite database, closed when t ends.
func newSQLite(t *testing.T) chat.Store {
	t.Helper()
	return openSQLite(t, filepath.Join(t.TempDir(), "parley.db"))
}

// openSQLite opens (migrating if need be) the SQLite database at path,
// closed when t ends.
func openSQLite(t *testing.T, path string) chat.Store {
	t.Helper()
	return openStore(t, sqlite.Open, path)
}

// openPostgres opens a store on the PostgreSQL database at url, closed
// when t ends.
func openPostgres(t *testing.T, url string) chat.Store {
	t.Helper()
	return openStore(t, postgres.Open, url)
}

// openStore opens a store with an engine's Open, closed when t ends.
func openStore[S interface {
	chat.Store
	Close() error
}](t *testing.T, open func(context.Context, string, zerolog.Logger) (S, error), dsn string) chat.Store {
	t.Helper()
	st, err := open(t.Context(), dsn, zerolog.Nop())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// actingAs returns a context carrying u's principal as Authenticate builds
// it, without a session.
func actingAs(t *testing.T, svc *chat.Service, u chat.User) context.Context {
	t.Helper()
	p, err := svc.PrincipalFor(t.Context(), u.TenantID, u.ID)
	if err != nil {
		t.Fatalf("principal of user %d: %v", u.ID, err)
	}
	return chat.WithPrincipal(t.Context(), p)
}

// fakeClock is a chat.Clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t, in UTC at the stores' microsecond precision.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC().Truncate(time.Microsecond)
}

// Advance moves the clock on by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder is a chat.Publisher that keeps what was published. The service
// publishes synchronously after commit, so a returned call's events are
// already here.
type recorder struct {
	mu  sync.Mutex
	evs []chat.Event
}

func (r *recorder) Publish(_ context.Context, ev chat.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

// take returns the events published since the last take.
func (r *recorder) take() []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.evs
	r.evs = nil
	return evs
}

// of returns the events of type typ published since the last take.
func (r *recorder) of(typ chat.EventType) []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []chat.Event
	for _, ev := range r.evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// notifications returns the notification events published to a user since
// the last take.
func (r *recorder) notifications(userID int64) []chat.NotificationEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []chat.NotificationEvent
	for _, ev := range r.evs {
		if ev.Channel == chat.UserChannel(userID) && ev.Type == chat.EventNotification {
			out = append(out, ev.Data.(chat.NotificationEvent))
		}
	}
	return out
}
