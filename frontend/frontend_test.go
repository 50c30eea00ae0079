package frontend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/frontend"
	"parley/storage/sqlite"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

const testPassword = "correct horse battery"

// env is a running frontend on SQLite with one tenant: an admin (also
// operator) and an employee.
type env struct {
	t        *testing.T
	svc      *chat.Service
	store    chat.Store
	srv      *frontend.Server
	ts       *httptest.Server
	tenant   chat.Tenant
	admin    chat.User
	employee chat.User
}

func newEnv(t *testing.T, opts ...func(*frontend.Config)) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := chat.NewService(chat.Config{Store: st, Logger: zerolog.Nop(), LoginMaxPerAccount: 2})
	e := &env{t: t, svc: svc, store: st}
	// Users are written with one shared hash: argon2 is deliberately slow,
	// and Bootstrap and UserCreate are tested in chat.
	if e.tenant, err = svc.Directory.TenantCreate(chat.OperatorContext(ctx), chat.TenantInput{Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	roles, err := st.RoleList(ctx, e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	roleIDs := map[chat.RoleKey]int64{}
	for _, r := range roles {
		roleIDs[r.Key] = r.ID
	}
	e.admin = chat.User{TenantID: e.tenant.ID, Email: "admin@acme.example", Name: "Admin", Locale: "en", Active: true,
		Superuser: true, RoleIDs: []int64{roleIDs[chat.RoleEmployee], roleIDs[chat.RoleTenantAdmin]}}
	e.employee = chat.User{TenantID: e.tenant.ID, Email: "emp@acme.example", Name: "Emp", Locale: "en", Active: true,
		RoleIDs: []int64{roleIDs[chat.RoleEmployee]}}
	for _, u := range []*chat.User{&e.admin, &e.employee} {
		if err := st.UserCreate(ctx, u, passwordHash(t)); err != nil {
			t.Fatal(err)
		}
	}
	e.ts = httptest.NewUnstartedServer(nil)
	e.ts.Start()
	cfg := frontend.Config{Domain: frontend.DomainOf(svc), PublicURL: e.ts.URL,
		SessionKeys: [][]byte{bytes.Repeat([]byte("k"), 32)}, Logger: zerolog.Nop(),
		Ready: func(ctx context.Context) error { _, err := st.TenantCount(ctx); return err }}
	for _, o := range opts {
		o(&cfg)
	}
	e.srv, err = frontend.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.ts.Config.Handler = e.srv
	t.Cleanup(e.ts.Close)
	return e
}

// client is a browser-like client with its own cookie jar.
type client struct {
	e    *env
	http *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	// ts.Client() is shared: each client gets its own with its own jar.
	return &client{e: e, http: &http.Client{Transport: e.ts.Client().Transport, Jar: jar}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the code and message of an error response.
func (r response) errorOf(t *testing.T) (string, string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	r.json(t, &body)
	return body.Error.Code, body.Error.Message
}

func (c *client) raw(method, path, contentType string, body io.Reader, header ...string) response {
	c.e.t.Helper()
	req, err := http.NewRequestWithContext(c.e.t.Context(), method, c.e.ts.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) do(method, path string, body any) response {
	c.e.t.Helper()
	if body == nil {
		return c.raw(method, path, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.raw(method, path, "application/json", bytes.NewReader(b))
}

// as starts c logged in as u through a session made in the store: only
// tests about login itself pay for a password check.
func (c *client) as(u chat.User) {
	c.e.t.Helper()
	now := time.Now().UTC()
	sess := chat.Session{ID: fmt.Sprintf("test-%d-%d", u.ID, now.UnixNano()), TenantID: u.TenantID, UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := c.e.store.SessionCreate(c.e.t.Context(), sess); err != nil {
		c.e.t.Fatal(err)
	}
	c.http.Jar.SetCookies(mustURL(c.e.t, c.e.ts.URL), []*http.Cookie{c.e.srv.SessionCookie(sess)})
}

var passwordHash = func() func(t *testing.T) string {
	var once sync.Once
	var hash string
	var err error
	return func(t *testing.T) string {
		once.Do(func() { hash, err = chat.HashPassword(testPassword) })
		if err != nil {
			t.Fatal(err)
		}
		return hash
	}
}()

func (c *client) login(email string) response {
	c.e.t.Helper()
	res := c.do("POST", "/api/v1/session", map[string]string{"email": email, "password": testPassword})
	if res.status != http.StatusOK {
		c.e.t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	return res
}

func want(t *testing.T, what string, res response, status int, code string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: status %d, want %d (%s)", what, res.status, status, res.body)
	}
	if code != "" {
		if got, msg := res.errorOf(t); got != code || msg == "" {
			t.Fatalf("%s: error %q %q, want code %q with a message", what, got, msg, code)
		}
	}
}

func TestLoginCookieAndRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	want(t, "me before login", c.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)

	res := c.login("Admin@Acme.example")
	var me struct {
		User        struct{ Email string }
		Tenant      struct{ Name string }
		Roles       []struct{ Key string }
		TenantAdmin bool `json:"tenant_admin"`
	}
	res.json(t, &me)
	if me.User.Email != "admin@acme.example" || me.Tenant.Name != "Acme" || !me.TenantAdmin || len(me.Roles) != 2 {
		t.Fatalf("login answered %s", res.body)
	}
	cookies := (&http.Response{Header: res.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v", cookies)
	}
	ck := cookies[0]
	if ck.Name != "parley_session" || !ck.HttpOnly || ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
		ck.MaxAge <= 0 || ck.MaxAge > 7*24*3600 {
		t.Fatalf("cookie flags: %+v", ck)
	}
	if strings.Contains(ck.Value, "admin") {
		t.Fatal("cookie carries readable data")
	}
	want(t, "me", c.do("GET", "/api/v1/me", nil), 200, "")

	// A second login rotates the session: the old cookie is dead.
	stolen := e.client()
	stolen.http.Jar.SetCookies(mustURL(t, e.ts.URL), []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	want(t, "copied cookie", stolen.do("GET", "/api/v1/me", nil), 200, "")
	c.login("admin@acme.example")
	want(t, "old cookie after re-login", stolen.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)
	want(t, "new cookie", c.do("GET", "/api/v1/me", nil), 200, "")

	// Logout ends the session; the cookie is cleared.
	res = c.do("DELETE", "/api/v1/session", nil)
	want(t, "logout", res, 204, "")
	want(t, "me after logout", c.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)
}

func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	wrong := c.do("POST", "/api/v1/session", map[string]string{"email": "admin@acme.example", "password": "wrong password"})
	unknown := c.do("POST", "/api/v1/session", map[string]string{"email": "nobody@acme.example", "password": "wrong password"})
	want(t, "wrong password", wrong, 401, chat.EUnauthenticated)
	want(t, "unknown user", unknown, 401, chat.EUnauthenticated)
	if !bytes.Equal(wrong.body, unknown.body) {
		t.Fatalf("answers differ: %s vs %s", wrong.body, unknown.body)
	}
	if len((&http.Response{Header: wrong.header}).Cookies()) != 0 {
		t.Fatal("failed login set a cookie")
	}
	// The account is throttled after 2 failures (the env's limit), even
	// with the right password.
	c.do("POST", "/api/v1/session", map[string]string{"email": "admin@acme.example", "password": "wrong again!"})
	res := c.do("POST", "/api/v1/session", map[string]string{"email": "admin@acme.example", "password": testPassword})
	want(t, "throttled", res, 429, chat.ERateLimited)
	if ra := res.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("throttled login: Retry-After %q, want the seconds to wait", ra)
	}
}

func TestLogoutEverywhereAndDeactivation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	phone, laptop, admin := e.client(), e.client(), e.client()
	phone.as(e.employee)
	laptop.as(e.employee)
	want(t, "logout everywhere", laptop.do("DELETE", "/api/v1/sessions", nil), 204, "")
	want(t, "phone after logout everywhere", phone.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)
	want(t, "laptop after logout everywhere", laptop.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)

	phone.as(e.employee)
	admin.as(e.admin)
	want(t, "deactivate", admin.do("PATCH", "/api/v1/users/"+itoa(e.employee.ID), map[string]any{"active": false}), 200, "")
	want(t, "deactivated user's session", phone.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)
	want(t, "deactivated user's login", phone.do("POST", "/api/v1/session",
		map[string]string{"email": "emp@acme.example", "password": testPassword}), 401, chat.EUnauthenticated)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	c.as(e.admin)
	count := func() int64 {
		n, err := e.store.UserCount(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	big := `{"email":"big@acme.example","name":"` + strings.Repeat("x", 2<<20) + `","password":"long enough pw"}`
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code, msg               string
	}{
		{"malformed", "application/json", `{"email": "x@acme.example",`, 400, chat.EInvalid, "malformed JSON"},
		{"syntax", "application/json", `{"email" "x"}`, 400, chat.EInvalid, "malformed JSON at byte"},
		{"unknown field", "application/json", `{"email":"x@acme.example","name":"X","password":"long enough pw","admin":true}`, 400, chat.EInvalid, `unknown field "admin"`},
		{"wrong type", "application/json", `{"email":"x@acme.example","name":42}`, 400, chat.EInvalid, `field "name" must be a string`},
		{"not an object", "application/json", `[1,2]`, 400, chat.EInvalid, "must be a JSON object"},
		{"two objects", "application/json", `{"name":"a"}{"name":"b"}`, 400, chat.EInvalid, "single JSON object"},
		{"empty", "application/json", ``, 400, chat.EInvalid, "body is empty"},
		{"form", "application/x-www-form-urlencoded", `email=x`, 400, chat.EInvalid, "Content-Type must be application/json"},
		{"oversized", "application/json", big, 413, chat.ETooLarge, "larger than"},
		{"invalid email", "application/json", `{"email":"not-an-email","name":"X","password":"long enough pw"}`, 400, chat.EInvalid, "not a valid address"},
		{"too-long name", "application/json", `{"email":"x@acme.example","name":"` + strings.Repeat("n", 201) + `","password":"long enough pw"}`, 400, chat.EInvalid, "longer than 200"},
	} {
		res := c.raw("POST", "/api/v1/users", tc.contentType, strings.NewReader(tc.body))
		want(t, tc.name, res, tc.status, tc.code)
		if _, msg := res.errorOf(t); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: message %q does not say %q", tc.name, msg, tc.msg)
		}
	}
	if n := count(); n != before {
		t.Fatalf("bad input wrote %d users", n-before)
	}
	want(t, "bad cursor", c.do("GET", "/api/v1/users?after=abc", nil), 400, chat.EInvalid)
	want(t, "bad limit", c.do("GET", "/api/v1/users?limit=0", nil), 400, chat.EInvalid)
	// ?limit= is 1 to 200 (search 1 to 50, history 1 to 500) as documented:
	// outside it is refused, not clamped.
	for _, path := range []string{"/api/v1/users?limit=201", "/api/v1/users?limit=-1", "/api/v1/companies?limit=1000",
		"/api/v1/notifications?limit=201", "/api/v1/conversations?limit=201", "/api/v1/search?q=x&limit=51"} {
		want(t, path, c.do("GET", path, nil), 400, chat.EInvalid)
	}
	for _, path := range []string{"/api/v1/users?limit=1", "/api/v1/users?limit=200", "/api/v1/search?q=x&limit=50"} {
		want(t, path, c.do("GET", path, nil), 200, "")
	}
	want(t, "bad id", c.do("GET", "/api/v1/users/abc", nil), 404, chat.ENotFound)
	want(t, "unknown endpoint", c.do("GET", "/api/v1/nothing", nil), 404, chat.ENotFound)
	res := c.do("PUT", "/api/v1/me", nil)
	want(t, "wrong method", res, 405, "")
	if res.header.Get("Allow") != "GET, PATCH" {
		t.Fatalf("Allow = %q", res.header.Get("Allow"))
	}
}

func TestCrossOriginAndHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	body := `{"email":"admin@acme.example","password":"` + testPassword + `"}`
	res := c.raw("POST", "/api/v1/session", "application/json", strings.NewReader(body),
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	want(t, "cross-origin login", res, 403, chat.EForbidden)
	c.as(e.employee)
	patch := `{"name":"Renamed"}`
	res = c.raw("PATCH", "/api/v1/me", "application/json", strings.NewReader(patch), "Origin", "https://evil.example")
	want(t, "cross-origin update", res, 403, chat.EForbidden)
	res = c.raw("PATCH", "/api/v1/me", "application/json", strings.NewReader(patch), "Origin", e.ts.URL, "Sec-Fetch-Site", "same-origin")
	want(t, "same-origin update", res, 200, "")
	res = c.raw("DELETE", "/api/v1/sessions", "", nil, "Origin", "https://evil.example")
	want(t, "cross-origin logout everywhere", res, 403, chat.EForbidden)
	want(t, "still logged in", c.do("GET", "/api/v1/me", nil), 200, "")

	for _, path := range []string{"/", "/api/v1/me", "/healthz", "/api/v1/nothing"} {
		res := c.do("GET", path, nil)
		h := res.header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Fatalf("%s: security headers missing: %v", path, h)
		}
	}
	if res := c.do("GET", "/", nil); res.status != 200 || !strings.Contains(string(res.body), `id="app"`) {
		t.Fatalf("app page: %d %s", res.status, res.body)
	}
	want(t, "healthz", c.do("GET", "/healthz", nil), 200, "")
	want(t, "readyz", c.do("GET", "/readyz", nil), 200, "")
}

func TestPaginationAndOperatorScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	c.as(e.admin)
	for _, name := range []string{"One", "Two", "Three"} {
		res := c.do("POST", "/api/v1/companies", map[string]string{"name": name})
		want(t, "create company", res, 201, "")
		if !strings.HasPrefix(res.header.Get("Location"), "/api/v1/companies/") {
			t.Fatalf("Location = %q", res.header.Get("Location"))
		}
	}
	var names []string
	next := ""
	for range 3 {
		var page listOf[person]
		c.do("GET", "/api/v1/companies?limit=2&after="+next, nil).json(t, &page)
		for _, it := range page.Items {
			names = append(names, it.Name)
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if strings.Join(names, ",") != "One,Two,Three" {
		t.Fatalf("paged names = %v", names)
	}
	// An operator reaches another tenant under /api/v1/tenants/{id}/...
	res := c.do("POST", "/api/v1/tenants", map[string]any{"name": "Beta", "settings": map[string]any{"messenger_enabled": true}})
	want(t, "create tenant", res, 201, "")
	var beta struct{ ID int64 }
	res.json(t, &beta)
	want(t, "company in beta", c.do("POST", "/api/v1/tenants/"+itoa(beta.ID)+"/companies", map[string]string{"name": "Beta Co"}), 201, "")
	var roles struct{ Items []struct{ Key string } }
	c.do("GET", "/api/v1/tenants/"+itoa(beta.ID)+"/roles", nil).json(t, &roles)
	if len(roles.Items) != len(chat.BuiltinRoles) {
		t.Fatalf("beta roles = %+v", roles)
	}
	// A custom role of beta through the operator path: create, read,
	// change, delete; the same id under the operator's own tenant is
	// another tenant's, so not found.
	res = c.do("POST", "/api/v1/tenants/"+itoa(beta.ID)+"/roles", map[string]any{"name": "Auditor"})
	want(t, "create beta role", res, 201, "")
	var role struct {
		ID       int64
		TenantID int64 `json:"tenant_id"`
		Name     string
	}
	res.json(t, &role)
	rpath := "/api/v1/tenants/" + itoa(beta.ID) + "/roles/" + itoa(role.ID)
	if role.TenantID != beta.ID || res.header.Get("Location") != rpath {
		t.Fatalf("beta role %s (Location %q)", res.body, res.header.Get("Location"))
	}
	want(t, "beta role from own tenant", c.do("GET", "/api/v1/roles/"+itoa(role.ID), nil), 404, chat.ENotFound)
	want(t, "delete beta role from own tenant", c.do("DELETE", "/api/v1/roles/"+itoa(role.ID), nil), 404, chat.ENotFound)
	want(t, "rename beta role", c.do("PATCH", rpath, map[string]any{"name": "Auditors"}), 200, "")
	c.do("GET", rpath, nil).json(t, &role)
	if role.Name != "Auditors" {
		t.Fatalf("renamed role = %+v", role)
	}
	want(t, "delete beta role", c.do("DELETE", rpath, nil), 204, "")
	want(t, "deleted beta role", c.do("GET", rpath, nil), 404, chat.ENotFound)
	want(t, "role id not a number", c.do("GET", "/api/v1/tenants/"+itoa(beta.ID)+"/roles/x", nil), 404, chat.ENotFound)
	// An employee does not.
	emp := e.client()
	emp.as(e.employee)
	want(t, "employee in beta", emp.do("GET", "/api/v1/tenants/"+itoa(beta.ID)+"/companies", nil), 404, chat.ENotFound)
	want(t, "employee creates tenant", emp.do("POST", "/api/v1/tenants", map[string]string{"name": "X"}), 403, chat.EForbidden)
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv, err := frontend.New(frontend.Config{Domain: frontend.DomainOf(e.svc), PublicURL: "https://chat.example",
		SessionKeys: [][]byte{bytes.Repeat([]byte("s"), 32)}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ck := srv.SessionCookie(chat.Session{ID: "x", ExpiresAt: time.Now().Add(time.Hour)})
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 || ck.MaxAge > 3600 {
		t.Fatalf("https cookie: %+v", ck)
	}
	// A cookie sealed with other keys is no session.
	c := e.client()
	c.http.Jar.SetCookies(mustURL(t, e.ts.URL), []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	want(t, "foreign cookie", c.do("GET", "/api/v1/me", nil), 401, chat.EUnauthenticated)
	if _, err := frontend.New(frontend.Config{Domain: frontend.DomainOf(e.svc), PublicURL: "https://chat.example",
		SessionKeys: [][]byte{[]byte("short")}}); err == nil {
		t.Fatal("short session key accepted")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// listOf is how a test reads a list answer: its items and the cursor of
// the next page.
type listOf[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// person is a listed user (or company) as a client reads it.
type person struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
