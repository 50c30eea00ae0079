package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/chat"
	"parley/hub"
	"parley/storage/pgtest"
	"parley/tools/freeport"
)

// PostgreSQL stopped for 5 s under a running node (a private cluster this
// test owns; the shared server is never stopped), as an operator's restart
// or a failover would:
//   - publishes answer at once with an error frame of code unavailable
//     (retry), never internal;
//   - open sockets stay open through several session rechecks, and none is
//     closed with 4003 (which sends the browser to login);
//   - HTTP answers 503 with Retry-After: an authed API call, a login, and
//     a WebSocket upgrade with a valid session cookie (never 401);
//   - once the server is back, the retried publishes (same client_msg_id)
//     are stored once each, every subscriber sees each once, and the
//     sessions from before the outage still work.
//
// It logs how long the node took to serve again after the database did
// (docs/operations.md, "Failures").
func TestOutsidePostgresDownFiveSeconds(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartServer(t, freeport.Port(t))
	dbURL := pg.Database("parley")
	s := startOutsideHub(t, "sqlite", func(c *Config) {
		c.DatabaseURL = dbURL
		c.SessionKeys = []string{"outage-test-session-key-0123456789abcdef"}
	}, func(h *hub.Config) { h.SessionRecheck = 200 * time.Millisecond })
	aliceID, alice := s.user("alice@example.com", "employee", "messenger_manager")
	bobID, bob := s.user("bob@example.com", "employee")
	ch := fmt.Sprintf("topic:%d", s.topic(alice, s.group("Outage", aliceID, bobID), map[string]any{"name": "During the outage"}))
	as, bs := dialSocket(t, alice), dialSocket(t, bob)
	as.subscribe(ch, 0)
	bs.subscribe(ch, 0)
	publish := func(cid string) frame {
		t.Helper()
		return as.request(map[string]any{"type": "publish", "channel": ch, "body": "body of " + cid, "client_msg_id": cid})
	}
	if f := publish("before"); f.Type != "ack" {
		t.Fatalf("publish before the outage: %+v", f)
	}

	pg.Stop()
	down := time.Now()
	cids := []string{"during-1", "during-2", "during-3"}
	var slowest time.Duration
	for _, cid := range cids {
		start := time.Now()
		f := publish(cid)
		slowest = max(slowest, time.Since(start))
		if f.Type != "error" || f.Code != chat.EUnavailable {
			t.Fatalf("publish with PostgreSQL down: %s", f.Raw)
		}
	}
	retryAfter := func(what string, res response) {
		t.Helper()
		expect(t, what, res, http.StatusServiceUnavailable, chat.EUnavailable, "")
		if res.header.Get("Retry-After") == "" {
			t.Fatalf("%s: 503 without Retry-After", what)
		}
	}
	retryAfter("GET /api/v1/me", alice.do("GET", "/api/v1/me", nil))
	retryAfter("login", newClient(t, s.base).do("POST", "/api/v1/session",
		map[string]string{"email": "bob@example.com", "password": outsidePassword}))
	retryAfter("GET /api/v1/messenger/groups", bob.do("GET", "/api/v1/messenger/groups", nil))
	status, header := upgradeStatus(t, alice)
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Fatalf("WebSocket upgrade with a valid session, PostgreSQL down: %d (Retry-After %q), want 503 with Retry-After",
			status, header.Get("Retry-After"))
	}
	// Keep the database down for 5 s; the hub rechecks sessions every
	// 200 ms meanwhile, and no socket may be closed.
	for time.Since(down) < 5*time.Second {
		for _, sock := range []*socket{as, bs} {
			sock.mu.Lock()
			closed, code := sock.closed, sock.status
			sock.mu.Unlock()
			if closed {
				t.Fatalf("a socket closed (%v) while PostgreSQL was down", code)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}

	pg.Start()
	up := time.Now()
	// The client retries with backoff and the same client_msg_id until the
	// first publish is stored.
	var first frame
	for {
		first = publish(cids[0])
		if first.Type == "ack" {
			break
		}
		if first.Code != chat.EUnavailable {
			t.Fatalf("publish retried after PostgreSQL came back: %s", first.Raw)
		}
		if time.Since(up) > time.Minute {
			t.Fatal("publishes still unavailable a minute after PostgreSQL came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	recovered := time.Since(up)
	ids := map[string]int64{cids[0]: first.MessageID}
	for _, cid := range cids[1:] {
		f := publish(cid)
		if f.Type != "ack" || f.Duplicate {
			t.Fatalf("publish %s after recovery: %s", cid, f.Raw)
		}
		ids[cid] = f.MessageID
	}
	// One more retry of each (its ack may have been lost too): duplicates.
	for _, cid := range cids {
		if f := publish(cid); f.Type != "ack" || !f.Duplicate || f.MessageID != ids[cid] {
			t.Fatalf("second retry of %s: %s, want duplicate of message %d", cid, f.Raw, ids[cid])
		}
	}
	if f := publish("after"); f.Type != "ack" {
		t.Fatalf("publish after recovery: %+v", f)
	}
	for _, sock := range []*socket{as, bs} {
		evs := sock.waitEvents(ch, "message.new", 5) // before, 3 during, after
		seen := map[string]int{}
		for _, ev := range evs {
			seen[ev.message(t).ClientMsgID]++
		}
		for _, cid := range append([]string{"before", "after"}, cids...) {
			if seen[cid] != 1 {
				t.Fatalf("subscriber saw %s %d times; events %v", cid, seen[cid], seen)
			}
		}
		if len(evs) != 5 {
			t.Fatalf("subscriber saw %d message events, want 5", len(evs))
		}
	}
	// The sessions from before the outage still work: nobody logs in again.
	expect(t, "GET /api/v1/me after recovery", alice.do("GET", "/api/v1/me", nil), 200, "", "")
	expect(t, "GET /api/v1/me after recovery", bob.do("GET", "/api/v1/me", nil), 200, "", "")
	dialSocket(t, bob)
	t.Logf("PostgreSQL down 5 s: publishes answered unavailable within %v; first retried publish stored %v after PostgreSQL accepted connections again",
		slowest.Round(time.Millisecond), recovered.Round(time.Millisecond))
}

// upgradeStatus tries a WebSocket upgrade with c's cookie and returns the
// HTTP status it was refused with (101 if it was accepted).
func upgradeStatus(t *testing.T, c *client) (int, http.Header) {
	t.Helper()
	h := http.Header{}
	if ck := c.cookie(); ck != nil {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	h.Set("Origin", c.base)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws?v=1", &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		_ = ws.CloseNow()
		return http.StatusSwitchingProtocols, res.Header
	}
	if res == nil {
		t.Fatalf("WebSocket dial: %v", err)
	}
	return res.StatusCode, res.Header
}
