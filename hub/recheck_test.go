package hub

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"parley/chat"
)

// batchService records each batch of sessions the fake service is asked
// about and can fail the check.
type batchService struct {
	*fakeService
	mu      sync.Mutex
	batches [][]string
	fail    bool
}

func (s *batchService) SessionsAlive(ctx context.Context, ids []string) (map[string]int64, error) {
	s.mu.Lock()
	s.batches = append(s.batches, append([]string(nil), ids...))
	fail := s.fail
	s.mu.Unlock()
	if fail {
		// What the store answers while the database is down.
		return nil, chat.Unavailable(errors.New("dial tcp: connection refused"), "sessions")
	}
	return s.fakeService.SessionsAlive(ctx, ids)
}

func (s *batchService) asked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.batches)
}

// The recheck asks once per batch of sessions and closes exactly the
// revoked ones; a check that fails because the store is unavailable
// closes nothing (no socket is sent to the login page by a database
// outage), and checking resumes once the store answers again.
func TestSessionRecheckBatched(t *testing.T) {
	t.Parallel()
	fake := newFakeService()
	svc := &batchService{fakeService: fake, fail: true}
	e := newEnv(t, fake, nil, func(c *Config) {
		c.Service = svc
		c.SessionRecheck = 20 * time.Millisecond
	})
	e.svc.addSession("s1", 1, 1)
	e.svc.addSession("s2", 1, 2)
	e.svc.addSession("s3", 1, 3)
	c1, c1b, c2, c3 := e.dial("s1"), e.dial("s1"), e.dial("s2"), e.dial("s3")
	for _, c := range []*client{c1, c1b, c2, c3} {
		c.nextType("subscribed")
	}
	// While the check fails, nobody is cut off.
	eventually(t, "failed rechecks", func() bool { return svc.asked() >= 3 })
	e.svc.revoke("s2")
	e.svc.addSession("s3", 1, 4) // the session now names another user
	svc.mu.Lock()
	svc.fail = false
	svc.mu.Unlock()
	for _, c := range []*client{c2, c3} {
		if code := c.closed(); code != CloseAuthRevoked {
			t.Fatalf("revoked session's socket closed with %d, want %d", code, CloseAuthRevoked)
		}
	}
	// Both sockets of the valid session stay usable.
	for _, c := range []*client{c1, c1b} {
		c.subscribe("s", "topic:1", nil)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	for _, b := range svc.batches {
		if len(b) == 0 || len(b) > SessionBatch {
			t.Fatalf("batch of %d sessions", len(b))
		}
		seen := map[string]bool{}
		for _, id := range b {
			if seen[id] {
				t.Fatalf("session %s twice in one batch %v", id, b)
			}
			seen[id] = true
		}
	}
}
