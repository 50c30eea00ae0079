package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/chat"
	"parley/hub"
	"parley/storage/pgtest"
)

const testKeys = "PARLEY_SESSION_KEYS=test-session-key-0123456789abcdefghijkl"

// firstRunLoginRestart is the newcomer's path on any engine: the first
// run prints the URL and the admin login, logging in works, and a restart
// keeps every piece of data and the sessions.
func firstRunLoginRestart(t *testing.T, env []string) {
	p := start(t, env)
	m := bannerPasswordRE.FindStringSubmatch(p.stdout.String())
	if m == nil || m[1] != "admin@example.com" || len(m[2]) < chat.MinPasswordLen {
		t.Fatalf("first run printed no admin login:\n%s", p.stdout.String())
	}
	password := m[2]
	if strings.Contains(p.stderr.String(), password) {
		t.Fatal("the admin password was logged")
	}
	if !strings.HasPrefix(p.url, "http://localhost:") {
		t.Fatalf("URL %q", p.url)
	}
	c := newClient(t, p.url)
	var me struct {
		User struct {
			Email     string
			Superuser bool
		}
		TenantAdmin bool `json:"tenant_admin"`
	}
	c.login("admin@example.com", password).decode(t, &me)
	if me.User.Email != "admin@example.com" || !me.User.Superuser || !me.TenantAdmin {
		t.Fatalf("me = %+v", me)
	}
	expect(t, "create company", c.do("POST", "/api/v1/companies", map[string]string{"name": "Kept Oy"}), 201, "", "")
	expect(t, "create user", c.do("POST", "/api/v1/users", map[string]any{"email": "kept@example.com",
		"name": "Kept", "password": "kept password"}), 201, "", "")
	p.stop()

	p = start(t, env)
	if strings.Contains(p.stdout.String(), "password") {
		t.Fatalf("a later start printed a password:\n%s", p.stdout.String())
	}
	c.base = p.url
	expect(t, "session after restart", c.do("GET", "/api/v1/me", nil), 200, "", "")
	var companies struct{ Items []struct{ Name string } }
	c.do("GET", "/api/v1/companies", nil).decode(t, &companies)
	if len(companies.Items) != 1 || companies.Items[0].Name != "Kept Oy" {
		t.Fatalf("companies after restart = %+v", companies)
	}
	newClient(t, p.url).login("kept@example.com", "kept password")
	newClient(t, p.url).login("admin@example.com", password)
	p.stop()
}

func TestFirstRunSQLite(t *testing.T) {
	t.Parallel()
	firstRunLoginRestart(t, []string{"PARLEY_DATA_DIR=" + t.TempDir()})
}

func TestFirstRunPostgres(t *testing.T) {
	t.Parallel()
	firstRunLoginRestart(t, []string{"PARLEY_DATABASE_URL=" + pgtest.NewDatabase(t), testKeys})
}

func TestClusterNeedsSessionKeys(t *testing.T) {
	t.Parallel()
	_, stderr, code := command(t, []string{"PARLEY_DATABASE_URL=" + pgtest.NewDatabase(t)})
	if code == 0 || !strings.Contains(stderr, "PARLEY_SESSION_KEYS is required") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

// Two nodes started at the same moment on one empty database (and one
// Redis) both come up, the schema is migrated once, one first admin
// exists, and a session opened on one node works on the other.
func TestTwoNodesMigrateOnce(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewEmptyDatabase(t)
	env := clusterEnv(t, dbURL, "test", "PARLEY_ADMIN_EMAIL=ops@example.com", "PARLEY_ADMIN_PASSWORD=first admin password")
	var nodes [2]*proc
	for i := range nodes {
		nodes[i] = launch(t, env)
	}
	for i, p := range nodes {
		m := p.stdout.waitFor(t, bannerRE, p.exited)
		nodes[i].url = m[1]
	}

	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	var dup int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT version_id FROM goose_db_version
		WHERE version_id > 0 GROUP BY version_id HAVING count(*) > 1) d`).Scan(&dup); err != nil {
		t.Fatal(err)
	}
	var applied, tenants int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM tenants`).Scan(&tenants); err != nil {
		t.Fatal(err)
	}
	if dup != 0 || applied == 0 || tenants != 1 {
		t.Fatalf("migrations applied %d (duplicated versions %d), tenants %d", applied, dup, tenants)
	}

	c := newClient(t, nodes[0].url)
	c.login("ops@example.com", "first admin password")
	other := on(t, nodes[1].url, c)
	expect(t, "session on the other node", other.do("GET", "/api/v1/me", nil), 200, "", "")
	for _, p := range nodes {
		p.stop()
	}
}

// Tenant isolation over HTTP: tenant A's admin finds nothing of tenant B,
// not even its existence.
func TestTenantIsolationHTTP(t *testing.T) {
	t.Parallel()
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=operator password"}
	p := start(t, env)
	for _, k := range []string{"a", "b"} {
		out, errOut, code := command(t, env, "tenant", "create", "--name", "Tenant "+k, "--admin-email", "admin@"+k+".example",
			"--admin-password", "admin "+k+" password")
		if code != 0 || !strings.Contains(out, "created tenant") {
			t.Fatalf("tenant create: %d %s %s", code, out, errOut)
		}
	}
	a, b := newClient(t, p.url), newClient(t, p.url)
	a.login("admin@a.example", "admin a password")
	b.login("admin@b.example", "admin b password")
	var tb struct{ ID int64 }
	b.do("GET", "/api/v1/tenant", nil).decode(t, &tb)
	var cb, ub struct{ ID int64 }
	b.do("POST", "/api/v1/companies", map[string]string{"name": "B Secret Oy"}).decode(t, &cb)
	b.do("POST", "/api/v1/users", map[string]any{"email": "emp@b.example", "name": "B Emp", "password": "b employee pw",
		"company_ids": []int64{cb.ID}}).decode(t, &ub)
	tid, cid, uid := strconv.FormatInt(tb.ID, 10), strconv.FormatInt(cb.ID, 10), strconv.FormatInt(ub.ID, 10)
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/tenants/" + tid, nil},
		{"PATCH", "/api/v1/tenants/" + tid, map[string]string{"name": "Taken"}},
		{"GET", "/api/v1/tenants/" + tid + "/users", nil},
		{"GET", "/api/v1/tenants/" + tid + "/companies", nil},
		{"GET", "/api/v1/tenants/" + tid + "/roles", nil},
		{"POST", "/api/v1/tenants/" + tid + "/users", map[string]any{"email": "spy@b.example", "name": "Spy", "password": "spy password"}},
		{"GET", "/api/v1/users/" + uid, nil},
		{"PATCH", "/api/v1/users/" + uid, map[string]any{"active": false}},
		{"POST", "/api/v1/users/" + uid + "/password", map[string]any{}},
		{"GET", "/api/v1/companies/" + cid, nil},
		{"PATCH", "/api/v1/companies/" + cid, map[string]string{"name": "Taken"}},
		{"GET", "/api/v1/tenants/" + tid + "/users/" + uid, nil},
	} {
		expect(t, "tenant A: "+req.method+" "+req.path, a.do(req.method, req.path, req.body), 404, chat.ENotFound, "not found")
	}
	var tenants struct{ Items []struct{ Name string } }
	a.do("GET", "/api/v1/tenants", nil).decode(t, &tenants)
	if len(tenants.Items) != 1 || tenants.Items[0].Name != "Tenant a" {
		t.Fatalf("tenant A lists %+v", tenants)
	}
	var users struct{ Items []struct{ Email string } }
	a.do("GET", "/api/v1/users", nil).decode(t, &users)
	for _, u := range users.Items {
		if strings.HasSuffix(u.Email, "@b.example") {
			t.Fatalf("tenant A sees %s", u.Email)
		}
	}
	// Nothing of B changed, and B's employee still logs in.
	var still struct{ Name string }
	b.do("GET", "/api/v1/companies/"+cid, nil).decode(t, &still)
	if still.Name != "B Secret Oy" {
		t.Fatalf("B's company renamed to %q", still.Name)
	}
	newClient(t, p.url).login("emp@b.example", "b employee pw")
	p.stop()
}

// Bad input gets a 4xx with a clear message and writes nothing.
func TestBadInputHTTP(t *testing.T) {
	t.Parallel()
	p := start(t, []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=operator password"})
	c := newClient(t, p.url)
	c.login("admin@example.com", "operator password")
	counts := func() string {
		var users, companies, tenants struct{ Items []any }
		c.do("GET", "/api/v1/users", nil).decode(t, &users)
		c.do("GET", "/api/v1/companies", nil).decode(t, &companies)
		c.do("GET", "/api/v1/tenants", nil).decode(t, &tenants)
		return fmt.Sprint(len(users.Items), len(companies.Items), len(tenants.Items))
	}
	before := counts()
	long := strings.Repeat("n", chat.MaxNameLen+1)
	huge := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, tc := range []struct {
		what, path, contentType, body string
		status                        int
		code, msg                     string
	}{
		{"malformed JSON", "/api/v1/users", "application/json", `{"email":`, 400, chat.EInvalid, "malformed JSON"},
		{"unknown field", "/api/v1/users", "application/json", `{"email":"a@x.example","name":"A","password":"long password","role":"god"}`, 400, chat.EInvalid, `unknown field "role"`},
		{"oversized body", "/api/v1/companies", "application/json", huge, 413, chat.ETooLarge, "larger than"},
		{"invalid email", "/api/v1/users", "application/json", `{"email":"a@@x","name":"A","password":"long password"}`, 400, chat.EInvalid, "not a valid address"},
		{"too-long user name", "/api/v1/users", "application/json", `{"email":"a@x.example","name":"` + long + `","password":"long password"}`, 400, chat.EInvalid, "longer than 200 characters"},
		{"too-long company name", "/api/v1/companies", "application/json", `{"name":"` + long + `"}`, 400, chat.EInvalid, "longer than 200 characters"},
		{"too-long tenant name", "/api/v1/tenants", "application/json", `{"name":"` + long + `"}`, 400, chat.EInvalid, "longer than 200 characters"},
		{"short password", "/api/v1/users", "application/json", `{"email":"a@x.example","name":"A","password":"short"}`, 400, chat.EInvalid, "at least 10 characters"},
		{"wrong content type", "/api/v1/companies", "text/plain", `{"name":"X"}`, 400, chat.EInvalid, "application/json"},
		{"bad settings", "/api/v1/tenants", "application/json", `{"name":"T","settings":{"retention_days":-5}}`, 400, chat.EInvalid, "retention_days"},
	} {
		res := c.raw("POST", tc.path, tc.contentType, strings.NewReader(tc.body))
		expect(t, tc.what, res, tc.status, tc.code, tc.msg)
	}
	if after := counts(); after != before {
		t.Fatalf("bad input wrote something: users/companies/tenants %s -> %s", before, after)
	}
	p.stop()
}

// Sessions: cookie flags, logout, logout everywhere, revocation by
// deactivation (over the API and the CLI), throttling and cross-origin
// refusal.
func TestSessionsHTTP(t *testing.T) {
	t.Parallel()
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=operator password"}
	p := start(t, env)
	admin := newClient(t, p.url)
	res := admin.login("admin@example.com", "operator password")
	cookies := (&http.Response{Header: res.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login cookies: %v", cookies)
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" || ck.MaxAge < 7*24*3600-60 || ck.MaxAge > 7*24*3600 {
		t.Fatalf("cookie flags: %+v", ck)
	}
	for _, email := range []string{"emma@example.com", "max@example.com"} {
		expect(t, "create "+email, admin.do("POST", "/api/v1/users", map[string]any{"email": email, "name": email, "password": "user password"}), 201, "", "")
	}

	// Logout ends this session only; logout everywhere ends them all.
	phone, laptop := newClient(t, p.url), newClient(t, p.url)
	phone.login("emma@example.com", "user password")
	laptop.login("emma@example.com", "user password")
	expect(t, "logout", phone.do("DELETE", "/api/v1/session", nil), 204, "", "")
	expect(t, "phone after logout", phone.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated, "")
	expect(t, "laptop after phone's logout", laptop.do("GET", "/api/v1/me", nil), 200, "", "")
	phone.login("emma@example.com", "user password")
	expect(t, "logout everywhere", laptop.do("DELETE", "/api/v1/sessions", nil), 204, "", "")
	expect(t, "phone after logout everywhere", phone.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated, "")
	expect(t, "laptop after logout everywhere", laptop.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated, "")

	// Deactivation over the API ends the sessions.
	phone.login("emma@example.com", "user password")
	var emma struct{ User struct{ ID int64 } }
	phone.do("GET", "/api/v1/me", nil).decode(t, &emma)
	expect(t, "deactivate", admin.do("PATCH", "/api/v1/users/"+strconv.FormatInt(emma.User.ID, 10), map[string]any{"active": false}), 200, "", "")
	expect(t, "deactivated session", phone.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated, "")

	// And through the CLI.
	maxc := newClient(t, p.url)
	maxc.login("max@example.com", "user password")
	if out, errOut, code := command(t, env, "user", "deactivate", "--email", "max@example.com"); code != 0 {
		t.Fatalf("user deactivate: %d %s %s", code, out, errOut)
	}
	expect(t, "session after CLI deactivation", maxc.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated, "")

	// Unknown users and wrong passwords get the same answer; then the
	// account is throttled.
	anon := newClient(t, p.url)
	wrong := anon.do("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "wrong password"})
	unknown := anon.do("POST", "/api/v1/session", map[string]string{"email": "ghost@example.com", "password": "wrong password"})
	expect(t, "wrong password", wrong, 401, chat.EUnauthenticated, "invalid email or password")
	if string(wrong.body) != string(unknown.body) || unknown.status != wrong.status {
		t.Fatalf("unknown user answered differently: %s vs %s", unknown.body, wrong.body)
	}
	var throttled response
	for range 10 {
		throttled = anon.do("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "wrong password"})
		if throttled.status == http.StatusTooManyRequests {
			break
		}
	}
	expect(t, "throttled login", throttled, 429, chat.ERateLimited, "too many failed logins")
	expect(t, "right password while throttled", anon.do("POST", "/api/v1/session",
		map[string]string{"email": "admin@example.com", "password": "operator password"}), 429, chat.ERateLimited, "")
	expect(t, "existing session unaffected", admin.do("GET", "/api/v1/me", nil), 200, "", "")

	// Cross-origin state changes are refused.
	res = admin.raw("POST", "/api/v1/companies", "application/json", strings.NewReader(`{"name":"Evil Oy"}`),
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	expect(t, "cross-origin POST", res, 403, chat.EForbidden, "cross-origin")
	res = admin.raw("POST", "/api/v1/companies", "application/json", strings.NewReader(`{"name":"Good Oy"}`), "Origin", p.url)
	expect(t, "same-origin POST", res, 201, "", "")
	p.stop()
}

func TestDemo(t *testing.T) {
	t.Parallel()
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir()}
	p := start(t, env, "--demo")
	p.stdout.waitFor(t, regexpMust(`customer@demo\.example`), p.exited)
	out := p.stdout.String()
	for _, email := range []string{"admin@demo.example", "handler@demo.example", "messenger@demo.example",
		"manager@demo.example", "employee@demo.example", "customer@demo.example"} {
		if !strings.Contains(out, email) {
			t.Fatalf("demo banner lacks %s:\n%s", email, out)
		}
	}
	var me struct{ Roles []struct{ Key string } }
	newClient(t, p.url).login("handler@demo.example", demoPassword).decode(t, &me)
	if len(me.Roles) != 1 || me.Roles[0].Key != "message_handler" {
		t.Fatalf("handler's roles: %+v", me.Roles)
	}
	admin := newClient(t, p.url)
	admin.login("admin@demo.example", demoPassword)
	var companies struct{ Items []any }
	admin.do("GET", "/api/v1/companies", nil).decode(t, &companies)
	if len(companies.Items) != 2 {
		t.Fatalf("demo companies: %+v", companies)
	}
	p.stop()
	p = start(t, env, "--demo")
	p.stdout.waitFor(t, regexpMust(`not empty`), p.exited)
	p.stop()
}

// The CLI on a data directory without a running server.
func TestCLI(t *testing.T) {
	t.Parallel()
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir()}
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"user", "create", "--help"},
		{"user", "reset-password", "--help"}, {"user", "deactivate", "--help"}, {"tenant", "create", "--help"}, {"tenant", "list", "--help"}} {
		out, errOut, code := command(t, env, args...)
		if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "PARLEY_") || errOut != "" {
			t.Fatalf("parley %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if _, errOut, code := command(t, env, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, errOut)
	}
	if _, errOut, code := command(t, env, "--listen", "nonsense"); code != 2 || !strings.Contains(errOut, "PARLEY_LISTEN") {
		t.Fatalf("bad flag value: %d %s", code, errOut)
	}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := command(t, env, args...)
		if code != 0 {
			t.Fatalf("parley %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	run("migrate")
	out := run("tenant", "create", "--name", "Acme", "--admin-email", "boss@acme.example")
	pw := regexpMust(`password: (\S+)`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("tenant create printed no password:\n%s", out)
	}
	if out := run("tenant", "list"); !strings.Contains(out, "Acme") {
		t.Fatalf("tenant list: %s", out)
	}
	out = run("user", "create", "--email", "worker@acme.example", "--name", "Worker", "--roles", "employee,manager", "--password", "worker password")
	if !strings.Contains(out, "created user") || strings.Contains(out, "password:") {
		t.Fatalf("user create: %s", out)
	}
	if _, errOut, code := command(t, env, "user", "create", "--email", "bad", "--name", "X"); code != 1 || !strings.Contains(errOut, "not a valid address") {
		t.Fatalf("invalid email: %d %s", code, errOut)
	}
	if _, errOut, code := command(t, env, "user", "create", "--name", "X"); code != 2 || !strings.Contains(errOut, "--email is required") {
		t.Fatalf("missing email: %d %s", code, errOut)
	}
	out = run("user", "reset-password", "--email", "worker@acme.example")
	newPW := regexpMust(`password: (\S+)`).FindStringSubmatch(out)
	if newPW == nil {
		t.Fatalf("reset-password printed no password: %s", out)
	}
	// The server starts on this data: not a first run, and the logins work.
	p := start(t, env)
	if strings.Contains(p.stdout.String(), "password") {
		t.Fatalf("server printed a password on a database with tenants:\n%s", p.stdout.String())
	}
	newClient(t, p.url).login("boss@acme.example", pw[1])
	newClient(t, p.url).login("worker@acme.example", newPW[1])
	p.stop()
}

// Main runs in-process the way end-to-end tests of other packages use it.
func TestInProcess(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.AdminPassword = "in-process password"
	var stdout output
	stdout.changed = make(chan struct{})
	m := NewMain(cfg, testLogger(t), &stdout)
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	closeMain := func() { once.Do(func() { _ = m.Close() }) }
	t.Cleanup(closeMain)
	if !strings.Contains(stdout.String(), m.URL()) {
		t.Fatalf("banner %q lacks %s", stdout.String(), m.URL())
	}
	c := newClient(t, "http://"+m.Addr())
	c.login("admin@example.com", "in-process password")
	expect(t, "healthz", c.do("GET", "/healthz", nil), 200, "", "")
	expect(t, "readyz", c.do("GET", "/readyz", nil), 200, "", "")
	wsClosed := testWebSocket(t, m, c)
	closeMain()
	select {
	case code := <-wsClosed:
		if code != hub.CloseGoingAway {
			t.Fatalf("websocket closed with %v, want going away (reconnect)", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("websocket not closed by shutdown")
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.http.Get("http://" + m.Addr() + "/healthz"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func testConfig(t *testing.T) Config {
	t.Helper()
	raw := map[string]string{}
	for _, o := range options {
		raw[o.name] = o.def
	}
	raw["listen"] = "127.0.0.1:0"
	raw["data-dir"] = filepath.Join(t.TempDir(), "data")
	cfg, err := buildConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
