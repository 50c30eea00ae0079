package main

import (
	"testing"
	"time"

	"parley/hub"
	"parley/storage/pgtest"
)

// On PostgreSQL, with a short PARLEY_SESSION_RECHECK: a password reset by
// the CLI (another process, no event) closes that user's socket with 4003
// by the batched session check, while other users' sockets stay open and
// keep their sessions.
func TestOutsideCLIResetPasswordClosesSocketPostgres(t *testing.T) {
	t.Parallel()
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword,
		"PARLEY_DATABASE_URL=" + pgtest.NewDatabase(t), "PARLEY_SESSION_KEYS=recheck-test-session-key-0123456789abcdef",
		"PARLEY_SESSION_RECHECK=300ms"}
	p := start(t, env)
	admin := newClient(t, p.url)
	admin.login("admin@example.com", outsidePassword)
	for _, email := range []string{"reset@example.com", "stays@example.com"} {
		expect(t, "create", admin.do("POST", "/api/v1/users", map[string]any{"email": email, "name": "User",
			"password": outsidePassword}), 201, "", "")
	}
	reset, stays := newClient(t, p.url), newClient(t, p.url)
	reset.login("reset@example.com", outsidePassword)
	stays.login("stays@example.com", outsidePassword)
	resetSock, staysSock := dialSocket(t, reset), dialSocket(t, stays)

	if out, errOut, code := command(t, env, "user", "reset-password", "--email", "reset@example.com",
		"--password", "a brand new password 123"); code != 0 {
		t.Fatalf("user reset-password: %d %s %s", code, out, errOut)
	}
	if code := resetSock.closeStatus(30 * time.Second); code != hub.CloseAuthRevoked {
		t.Fatalf("socket of a user whose password the CLI reset closed with %v", code)
	}
	// Many rechecks later the other user's socket is still open and usable.
	time.Sleep(time.Second)
	if f := staysSock.request(map[string]any{"type": "presence", "id": "p", "user_ids": []int64{1}}); f.Type != "presence" {
		t.Fatalf("other user's socket after rechecks: %+v", f)
	}
	expect(t, "other user's session", stays.do("GET", "/api/v1/me", nil), 200, "", "")
	p.stop()
}
