package storetest

import (
	"slices"
	"testing"
	"time"

	"parley/chat"
)

func testSessionLifecycle(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")
	now := f.Now
	ss := chat.Session{
		ID: "sess-1", TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(24 * time.Hour),
		IP: "192.0.2.1", UserAgent: "test/1.0",
	}
	NoErr(t, s.SessionCreate(ctx, ss), "SessionCreate")
	WantCode(t, s.SessionCreate(ctx, ss), chat.EConflict)

	got, err := s.SessionGet(ctx, "sess-1")
	NoErr(t, err, "SessionGet")
	if got.ID != ss.ID || got.TenantID != ss.TenantID || got.UserID != ss.UserID || got.IP != ss.IP || got.UserAgent != ss.UserAgent {
		t.Fatalf("SessionGet = %+v, want %+v", got, ss)
	}
	SameTime(t, "CreatedAt", got.CreatedAt, now)
	SameTime(t, "LastSeenAt", got.LastSeenAt, now)
	SameTime(t, "ExpiresAt", got.ExpiresAt, ss.ExpiresAt)

	later := now.Add(time.Minute)
	NoErr(t, s.SessionTouch(ctx, "sess-1", later), "SessionTouch")
	got, err = s.SessionGet(ctx, "sess-1")
	NoErr(t, err, "SessionGet")
	SameTime(t, "LastSeenAt after touch", got.LastSeenAt, later)

	NoErr(t, s.SessionDelete(ctx, "sess-1"), "SessionDelete")
	_, err = s.SessionGet(ctx, "sess-1")
	WantNotFound(t, err)
	WantNotFound(t, s.SessionDelete(ctx, "sess-1"))
	WantNotFound(t, s.SessionTouch(ctx, "sess-1", later))

	// A session belongs to a user of its tenant.
	b := NewFixture(t, s, "B")
	bad := ss
	bad.ID, bad.TenantID = "sess-bad", b.Tenant.ID
	WantNotFound(t, s.SessionCreate(ctx, bad))
}

func testSessionDeleteByUser(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")
	now := a.Now
	mk := func(id string, tenantID, userID int64) {
		t.Helper()
		NoErr(t, s.SessionCreate(ctx, chat.Session{ID: id, TenantID: tenantID, UserID: userID,
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}), "SessionCreate")
	}
	mk("a1", a.Tenant.ID, a.EmployeeA.ID)
	mk("a2", a.Tenant.ID, a.EmployeeA.ID)
	mk("a3", a.Tenant.ID, a.EmployeeB.ID)
	mk("b1", b.Tenant.ID, b.EmployeeA.ID)

	// Another tenant's id revokes nothing.
	ids, err := s.SessionDeleteByUser(ctx, b.Tenant.ID, a.EmployeeA.ID)
	wantNone(t, "SessionDeleteByUser across tenants", ids, err)
	ids, err = s.SessionDeleteByUser(ctx, a.Tenant.ID, a.EmployeeA.ID)
	NoErr(t, err, "SessionDeleteByUser")
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a1", "a2"}) {
		t.Fatalf("revoked %v, want [a1 a2]", ids)
	}
	for _, id := range []string{"a1", "a2"} {
		_, err := s.SessionGet(ctx, id)
		WantNotFound(t, err)
	}
	for _, id := range []string{"a3", "b1"} {
		_, err := s.SessionGet(ctx, id)
		NoErr(t, err, "other sessions stay: "+id)
	}
	ids, err = s.SessionDeleteByUser(ctx, a.Tenant.ID, a.EmployeeA.ID)
	wantNone(t, "SessionDeleteByUser again", ids, err)
}

func testSessionDeleteExpired(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")
	now := f.Now
	mk := func(id string, lastSeen, expires time.Time) {
		t.Helper()
		NoErr(t, s.SessionCreate(ctx, chat.Session{ID: id, TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID,
			CreatedAt: now.Add(-48 * time.Hour), LastSeenAt: lastSeen, ExpiresAt: expires}), "SessionCreate")
	}
	mk("fresh", now, now.Add(time.Hour))
	mk("expired", now, now.Add(-time.Second))
	mk("idle", now.Add(-3*time.Hour), now.Add(time.Hour))
	n, err := s.SessionDeleteExpired(ctx, now, now.Add(-2*time.Hour))
	NoErr(t, err, "SessionDeleteExpired")
	if n != 2 {
		t.Fatalf("deleted %d sessions, want 2", n)
	}
	_, err = s.SessionGet(ctx, "fresh")
	NoErr(t, err, "fresh session stays")
	for _, id := range []string{"expired", "idle"} {
		_, err := s.SessionGet(ctx, id)
		WantNotFound(t, err)
	}
}

func testSessionAlive(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")
	now := f.Now
	mk := func(id string, u chat.User, lastSeen, expires time.Time) {
		t.Helper()
		NoErr(t, s.SessionCreate(ctx, chat.Session{ID: id, TenantID: u.TenantID, UserID: u.ID,
			CreatedAt: now.Add(-48 * time.Hour), LastSeenAt: lastSeen, ExpiresAt: expires}), "SessionCreate")
	}
	mk("fresh", f.EmployeeA, now.Add(-30*time.Second), now.Add(time.Hour))
	mk("stale", f.Manager, now.Add(-time.Hour), now.Add(time.Hour))
	mk("other-tenant", b.EmployeeA, now, now.Add(time.Hour))
	mk("expired", f.EmployeeA, now, now.Add(-time.Second))
	mk("idle", f.EmployeeA, now.Add(-3*time.Hour), now.Add(time.Hour))
	mk("deactivated", f.EmployeeB, now, now.Add(time.Hour))
	gone := f.EmployeeB
	gone.Active = false
	NoErr(t, s.UserUpdate(ctx, gone), "UserUpdate")

	ids := []string{"fresh", "stale", "other-tenant", "expired", "idle", "deactivated", "unknown"}
	alive, err := s.SessionsAlive(ctx, ids, now, now.Add(-2*time.Hour), now.Add(-time.Minute))
	NoErr(t, err, "SessionsAlive")
	want := map[string]int64{"fresh": f.EmployeeA.ID, "stale": f.Manager.ID, "other-tenant": b.EmployeeA.ID}
	if len(alive) != len(want) {
		t.Fatalf("SessionsAlive = %v, want %v", alive, want)
	}
	for id, u := range want {
		if alive[id] != u {
			t.Fatalf("SessionsAlive = %v, want %v", alive, want)
		}
	}
	// Only sessions last seen before touchBefore are touched.
	got, err := s.SessionGet(ctx, "stale")
	NoErr(t, err, "SessionGet")
	SameTime(t, "touched LastSeenAt", got.LastSeenAt, now)
	got, err = s.SessionGet(ctx, "fresh")
	NoErr(t, err, "SessionGet")
	SameTime(t, "untouched LastSeenAt", got.LastSeenAt, now.Add(-30*time.Second))
	got, err = s.SessionGet(ctx, "idle")
	NoErr(t, err, "SessionGet")
	SameTime(t, "idle LastSeenAt", got.LastSeenAt, now.Add(-3*time.Hour))
	if alive, err := s.SessionsAlive(ctx, nil, now, now.Add(-2*time.Hour), now); err != nil || len(alive) != 0 {
		t.Fatalf("SessionsAlive(nil) = %v, %v", alive, err)
	}
}

func testSessionLoginFailures(t *testing.T, s chat.Store) {
	ctx := t.Context()
	now := Now()
	window := now.Add(-15 * time.Minute)
	// wantCount checks the failures of key counted since since.
	wantCount := func(key string, since time.Time, want int64, what string) {
		t.Helper()
		n, err := s.LoginFailureCount(ctx, key, since)
		NoErr(t, err, "LoginFailureCount")
		if n != want {
			t.Fatalf("%s: count = %d, want %d", what, n, want)
		}
	}

	// An old failure outside the window does not count.
	n, err := s.LoginFailureAdd(ctx, "acct:a", now.Add(-time.Hour), window)
	NoErr(t, err, "LoginFailureAdd")
	if n != 0 {
		t.Fatalf("failure outside the window counted: %d", n)
	}
	for i := 1; i <= 3; i++ {
		n, err := s.LoginFailureAdd(ctx, "acct:a", now.Add(time.Duration(i)*time.Second), window)
		NoErr(t, err, "LoginFailureAdd")
		if n != int64(i) {
			t.Fatalf("failure %d counted as %d", i, n)
		}
	}
	_, err = s.LoginFailureAdd(ctx, "ip:192.0.2.1", now, window)
	NoErr(t, err, "LoginFailureAdd")

	wantCount("acct:a", window, 3, "failures in the window")
	wantCount("acct:a", now.Add(-2*time.Hour), 4, "failures over a longer window")
	wantCount("acct:unknown", window, 0, "an unknown key")

	NoErr(t, s.LoginFailureClear(ctx, "acct:a"), "LoginFailureClear")
	wantCount("acct:a", now.Add(-2*time.Hour), 0, "after clear")
	wantCount("ip:192.0.2.1", window, 1, "another key after clearing one")
	NoErr(t, s.LoginFailureClear(ctx, "acct:never"), "LoginFailureClear of an unknown key")
}

func testSessionLoginFailuresConcurrent(t *testing.T, s chat.Store) {
	ctx := t.Context()
	now := Now()
	const n = 10
	counts := make(chan int64, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c, err := s.LoginFailureAdd(ctx, "acct:race", now.Add(time.Duration(i)*time.Millisecond), now.Add(-time.Minute))
			counts <- c
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("LoginFailureAdd: %v", err)
		}
		// Each failure counts at least itself.
		if c := <-counts; c < 1 || c > n {
			t.Fatalf("LoginFailureAdd counted %d, want 1..%d", c, n)
		}
	}
	total, err := s.LoginFailureCount(ctx, "acct:race", now.Add(-time.Minute))
	NoErr(t, err, "LoginFailureCount")
	if total != n {
		t.Fatalf("count = %d after %d concurrent failures", total, n)
	}
}
