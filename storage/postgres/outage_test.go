package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/pgtest"
	"parley/storage/postgres"
	"parley/storage/storetest"
	"parley/tools/freeport"
)

// With the server stopped, every kind of store call (a read, a session
// check, a group-committed topic post, a transaction) answers
// chat.EUnavailable, the code that tells callers to retry, never
// EInternal; once the server is back the same pool serves again and the
// retried post is stored once. Runs on a private cluster: the shared one
// is never stopped.
func TestServerDownAnswersUnavailable(t *testing.T) {
	t.Parallel()
	srv := pgtest.StartServer(t, freeport.Port(t))
	url := srv.Database("outage")
	s, err := postgres.Open(t.Context(), url, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := storetest.NewFixture(t, s, "outage")
	g := f.NewGroup(t, "group", f.EmployeeA.ID)
	tp := f.NewTopic(t, g.ID, "topic")
	post := func(ctx context.Context) (chat.TopicPost, error) {
		p := chat.TopicPost{Message: chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(tp.ID),
			AuthorID: f.EmployeeA.ID, ClientMsgID: "outage-1", Body: "sent during the outage"}}
		posts := []chat.TopicPost{p}
		err := s.TopicPostBatch(ctx, posts)
		return posts[0], err
	}

	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"UserGet":    func() error { _, err := s.UserGet(ctx, f.Tenant.ID, f.EmployeeA.ID); return err },
		"SessionGet": func() error { _, err := s.SessionGet(ctx, "no-such-session"); return err },
		"SessionsAlive": func() error {
			_, err := s.SessionsAlive(ctx, []string{"x"}, time.Now(), time.Now(), time.Now())
			return err
		},
		"LoginFailureCount": func() error { _, err := s.LoginFailureCount(ctx, "k", time.Now()); return err },
		"TopicPostBatch": func() error {
			p, err := post(ctx)
			if err == nil {
				err = p.Err
			}
			return err
		},
		"InTx": func() error {
			return s.InTx(ctx, func(tx chat.Store) error {
				_, err := tx.ChannelLastSeq(ctx, f.Tenant.ID, chat.TopicChannel(tp.ID))
				return err
			})
		},
	}
	for name, call := range calls {
		// Twice: the first call meets the pool's connections the server
		// ended, the second a server that refuses new ones.
		for i := range 2 {
			if err := call(); !chat.IsCode(err, chat.EUnavailable) {
				t.Errorf("%s (call %d) with the server down: code %q (%v), want %q", name, i+1, chat.ErrorCode(err), err, chat.EUnavailable)
			} else if chat.ErrorRetryAfter(err) <= 0 {
				t.Errorf("%s: an unavailable answer without a retry-after", name)
			}
		}
	}
	if ctx.Err() != nil {
		t.Fatal("calls against a stopped server waited for the deadline instead of failing")
	}

	srv.Start()
	p, err := post(t.Context())
	if err == nil {
		err = p.Err
	}
	storetest.NoErr(t, err, "post after the server is back")
	again, err := post(t.Context())
	if err == nil && again.Err == nil {
		t.Fatal("the same client_msg_id was stored twice")
	}
	hist, err := s.MessageHistory(t.Context(), f.Tenant.ID, chat.TopicChannel(tp.ID), 0, 10)
	storetest.NoErr(t, err, "history")
	if len(hist) != 1 || hist[0].ID != p.Message.ID {
		t.Fatalf("history after recovery: %d messages, want the one post", len(hist))
	}
}
