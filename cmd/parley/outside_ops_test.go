package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/hub"
	"parley/storage/pgtest"
	"parley/tools/freeport"
)

// Every setting the binary reads is documented in docs/configuration.md,
// and every PARLEY_* variable the document names exists.
func TestOutsideConfigDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"PARLEY_DEMO": true}
	lines := strings.Split(string(doc), "\n")
	for _, o := range options {
		known[envName(o.name)] = true
		row := fmt.Sprintf("| `--%s` | `%s` |", o.name, envName(o.name))
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, row) })
		switch {
		case i < 0:
			t.Errorf("docs/configuration.md has no row %q", row)
		case o.secret && !strings.Contains(lines[i], "`_FILE` supported"):
			t.Errorf("docs/configuration.md does not say %s can come from a file", envName(o.name))
		}
	}
	for _, v := range regexp.MustCompile(`PARLEY_[A-Z_]+`).FindAllString(string(doc), -1) {
		name := strings.TrimSuffix(v, "_FILE")
		if !known[name] && v != "PARLEY_X_FILE" && v != "PARLEY_" {
			t.Errorf("docs/configuration.md names %s, which parley does not read", v)
		}
	}
	var secrets []string
	for _, o := range options {
		if o.secret {
			secrets = append(secrets, envName(o.name))
		}
	}
	for _, s := range []string{"PARLEY_DATABASE_URL", "PARLEY_REDIS_URL", "PARLEY_SMTP_URL", "PARLEY_ADMIN_PASSWORD", "PARLEY_SESSION_KEYS"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("%s cannot be read from a file", s)
		}
	}
}

// A first run that stops on a bad setting found late (the SMTP URL, an
// unreachable Redis) must not have created the admin yet: the generated
// password is printed only once, so the fixed start prints it.
func TestOutsideFirstRunAfterBadConfig(t *testing.T) {
	t.Parallel()
	data := "PARLEY_DATA_DIR=" + t.TempDir()
	for _, bad := range []struct {
		env  []string
		says string
	}{
		{[]string{"PARLEY_SMTP_URL=http://mail.example.com"}, "PARLEY_SMTP_URL"},
		{[]string{"PARLEY_REDIS_URL=redis://127.0.0.1:1/0", "PARLEY_SESSION_KEYS=outside-test-session-key-0123456789abcdef"}, "Redis"},
	} {
		_, stderr, code := command(t, append([]string{data}, bad.env...))
		if code != 1 || !strings.Contains(stderr, bad.says) {
			t.Fatalf("%v: exit %d\n%s", bad.env, code, stderr)
		}
	}
	p := start(t, []string{data})
	m := bannerPasswordRE.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("the start after failed ones printed no admin login:\n%s", p.stdout.String())
	}
	newClient(t, p.url).login(m[1], m[2])
	p.stop()
}

// An operator's node: PostgreSQL, secrets from *_FILE, a public URL, a
// session lifetime, console logs at warn; the origin check, /metrics,
// /healthz and /readyz; SIGTERM closes sockets with 1001 and exits 0.
func TestOutsideOperatorNode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := func(name, value string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	addr := freeport.Addr(t)
	public := "http://" + addr
	env := []string{
		"PARLEY_LISTEN=" + addr,
		"PARLEY_PUBLIC_URL=" + public + "/",
		"PARLEY_DATABASE_URL_FILE=" + secret("db", pgtest.NewDatabase(t)),
		"PARLEY_SESSION_KEYS_FILE=" + secret("keys", "outside-test-session-key-0123456789abcdef,an-older-key-still-accepted-0123456789"),
		"PARLEY_ADMIN_EMAIL=ops@example.com",
		"PARLEY_ADMIN_PASSWORD_FILE=" + secret("pw", "operator file password"),
		"PARLEY_SESSION_LIFETIME=1h",
		"PARLEY_SHUTDOWN_TIMEOUT=5s",
		"PARLEY_LOG_LEVEL=warn",
		"PARLEY_LOG_FORMAT=console",
	}
	p := start(t, env)
	if p.url != public {
		t.Fatalf("banner URL %q, want the public URL %q", p.url, public)
	}
	if !strings.Contains(p.banner, "ops@example.com") || strings.Contains(p.banner, "operator file password") {
		t.Fatalf("banner %q", p.banner)
	}
	c := newClient(t, p.url)
	res := c.login("ops@example.com", "operator file password")
	cookies := (&http.Response{Header: res.header}).Cookies()
	if len(cookies) != 1 || cookies[0].MaxAge > 3600 || cookies[0].MaxAge < 3540 || cookies[0].Secure {
		t.Fatalf("cookie with a 1h lifetime on http: %+v", cookies)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		expect(t, path, c.do("GET", path, nil), 200, "", "")
	}

	// The socket accepts the public origin only.
	sock := dialSocket(t, c)
	ck := c.cookie()
	h := http.Header{"Cookie": {ck.Name + "=" + ck.Value}, "Origin": {"http://evil.example"}}
	_, bad, err := websocket.Dial(t.Context(), "ws://"+addr+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err == nil || bad == nil || bad.StatusCode != http.StatusForbidden {
		t.Fatalf("websocket from another origin: %v %v", bad, err)
	}
	res = c.raw("POST", "/api/v1/companies", "application/json", strings.NewReader(`{"name":"X"}`), "Origin", "http://evil.example")
	expect(t, "cross-origin POST", res, 403, "forbidden", "")

	metrics := string(c.do("GET", "/metrics", nil).body)
	for _, name := range []string{"parley_hub_connections 1", "parley_hub_slow_consumer_disconnects_total", "parley_hub_publish_duration_seconds", "go_goroutines"} {
		if !strings.Contains(metrics, name) {
			t.Fatalf("/metrics lacks %q", name)
		}
	}

	p.stop()
	if code := sock.closeStatus(60 * time.Second); code != hub.CloseGoingAway {
		t.Fatalf("socket closed by SIGTERM with %v, want %d", code, hub.CloseGoingAway)
	}
	logs := p.stderr.String()
	if strings.Contains(logs, `"level":`) || strings.Contains(logs, " INF ") {
		t.Fatalf("PARLEY_LOG_FORMAT=console with PARLEY_LOG_LEVEL=warn wrote:\n%s", logs)
	}

	// The CLI works on the same database through the same variables, and
	// a restart keeps the session (the keys come from the file).
	cli := []string{"PARLEY_DATABASE_URL_FILE=" + filepath.Join(dir, "db")}
	out, errOut, code := command(t, cli, "tenant", "create", "--name", "Second", "--admin-email", "second@example.com",
		"--admin-password", "second admin password")
	if code != 0 || !strings.Contains(out, "created tenant") {
		t.Fatalf("tenant create: %d %s %s", code, out, errOut)
	}
	if out, _, code := command(t, cli, "tenant", "list"); code != 0 || !strings.Contains(out, "\tSecond") {
		t.Fatalf("tenant list: %d %s", code, out)
	}
	if _, errOut, code := command(t, cli, "user", "reset-password", "--email", "nobody@example.com"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("reset-password of an unknown user: %d %s", code, errOut)
	}
	if _, errOut, code := command(t, cli, "tenant", "create", "--name", "Third", "--admin-email", "second@example.com"); code != 1 || !strings.Contains(errOut, "in use") {
		t.Fatalf("tenant create with a taken email: %d %s", code, errOut)
	}
	p = start(t, env)
	expect(t, "session after restart", c.do("GET", "/api/v1/me", nil), 200, "", "")
	newClient(t, p.url).login("second@example.com", "second admin password")
	p.stop()
}

// parley user deactivate on a running server's database: the sessions
// end at once and the user's open socket closes (from another process,
// by the server's periodic session check).
func TestOutsideCLIDeactivateClosesSocket(t *testing.T) {
	t.Parallel()
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword}
	p := start(t, env)
	admin := newClient(t, p.url)
	admin.login("admin@example.com", outsidePassword)
	expect(t, "create", admin.do("POST", "/api/v1/users", map[string]any{"email": "leaver@example.com", "name": "Leaver",
		"password": outsidePassword}), 201, "", "")
	c := newClient(t, p.url)
	c.login("leaver@example.com", outsidePassword)
	sock := dialSocket(t, c)
	if out, errOut, code := command(t, env, "user", "deactivate", "--email", "leaver@example.com"); code != 0 {
		t.Fatalf("user deactivate: %d %s %s", code, out, errOut)
	}
	expect(t, "session after deactivation", c.do("GET", "/api/v1/me", nil), 401, "unauthenticated", "")
	// The periodic check runs every 30 s; the rest is slack for a loaded
	// machine.
	if code := sock.closeStatus(90 * time.Second); code != hub.CloseAuthRevoked {
		t.Fatalf("socket of a user deactivated by the CLI closed with %v", code)
	}
	if _, errOut, code := command(t, env, "user", "deactivate", "--email", "leaver@example.com", "--bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Fatalf("unknown flag: %d %s", code, errOut)
	}
	p.stop()
}
