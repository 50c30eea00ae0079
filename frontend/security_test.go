package frontend_test

import (
	"bufio"
	"bytes"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/frontend"
)

// Endpoints that create things are rate limited per user: posts, drafts
// and new conversations share one limit, uploads and searches have their
// own. Another user is not affected.
func TestCreatingEndpointsAreRateLimited(t *testing.T) {
	t.Parallel()
	slow := frontend.RateLimit{Rate: 0.001, Burst: 2}
	e := newEnv(t, func(c *frontend.Config) { c.PostLimit, c.UploadLimit, c.SearchLimit = slow, slow, slow })
	emp, admin := e.client(), e.client()
	emp.as(e.employee)
	admin.as(e.admin)

	for i := range 2 {
		want(t, "draft "+strconv.Itoa(i), emp.do("POST", "/api/v1/drafts", map[string]any{"body": "x"}), http.StatusCreated, "")
	}
	res := emp.do("POST", "/api/v1/drafts", map[string]any{"body": "x"})
	want(t, "third draft", res, http.StatusTooManyRequests, chat.ERateLimited)
	if ra, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After = %q", res.header.Get("Retry-After"))
	}
	// The same bucket covers posts: nothing is written beyond it.
	want(t, "post over the limit", emp.do("POST", "/api/v1/conversations/1/messages", map[string]any{"body": "x"}),
		http.StatusTooManyRequests, chat.ERateLimited)
	var drafts struct{ Items []any }
	emp.do("GET", "/api/v1/drafts", nil).json(t, &drafts)
	if len(drafts.Items) != 2 {
		t.Fatalf("%d drafts stored, want 2", len(drafts.Items))
	}
	want(t, "another user", admin.do("POST", "/api/v1/drafts", map[string]any{"body": "x"}), http.StatusCreated, "")

	for i := range 2 {
		want(t, "upload "+strconv.Itoa(i), upload(t, emp, "a.txt", []byte("hello")), http.StatusCreated, "")
	}
	want(t, "third upload", upload(t, emp, "a.txt", []byte("hello")), http.StatusTooManyRequests, chat.ERateLimited)

	for range 2 {
		want(t, "search", emp.do("GET", "/api/v1/search?q=hello", nil), http.StatusOK, "")
	}
	want(t, "third search", emp.do("GET", "/api/v1/search?q=hello", nil), http.StatusTooManyRequests, chat.ERateLimited)
}

// An upload's whole body is bounded, not only its file part: a huge part
// before the file is refused as too large instead of being read to its end.
func TestUploadBodyIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *frontend.Config) { c.MaxUploadBytes = 4 << 10 })
	emp := e.client()
	emp.as(e.employee)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("padding", strings.Repeat("x", 64<<10))
	fw, _ := mw.CreateFormFile("file", "a.txt")
	_, _ = fw.Write([]byte("hello"))
	_ = mw.Close()
	res := emp.raw("POST", "/api/v1/attachments", mw.FormDataContentType(), &buf)
	want(t, "padded upload", res, http.StatusRequestEntityTooLarge, chat.ETooLarge)
	want(t, "raw body over the limit", emp.raw("POST", "/api/v1/attachments?filename=a.txt", "text/plain",
		strings.NewReader(strings.Repeat("y", 8<<10))), http.StatusRequestEntityTooLarge, chat.ETooLarge)
	want(t, "small upload", upload(t, emp, "a.txt", []byte("hello")), http.StatusCreated, "")
}

// A client that sends its headers and then trickles the body (here: one
// byte, then nothing) does not hold the connection: the body has
// BodyReadTimeout (uploads UploadReadTimeout) to arrive, then the request
// fails and the connection is closed.
func TestSlowRequestBodyIsCutOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *frontend.Config) {
		c.BodyReadTimeout, c.UploadReadTimeout = 50*time.Millisecond, 50*time.Millisecond
	})
	emp := e.client()
	emp.as(e.employee)
	var cookie string
	for _, c := range emp.http.Jar.Cookies(mustURL(t, e.ts.URL)) {
		cookie += c.Name + "=" + c.Value
	}
	for _, tc := range []struct{ name, head, first string }{
		{"login", "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", "{"},
		{"upload", "POST /api/v1/attachments?filename=a.txt HTTP/1.1\r\nHost: x\r\nCookie: " + cookie +
			"\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n", "h"},
	} {
		conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		if _, err := io.WriteString(conn, tc.head+tc.first); err != nil {
			t.Fatal(err)
		}
		// The client sends nothing more. This deadline only keeps a server
		// that waits forever from hanging the test.
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer while the body trickles: %v", tc.name, err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusBadRequest || !res.Close {
			t.Fatalf("%s: status %d close %v (%s), want 400 and the connection closed", tc.name, res.StatusCode, res.Close, body)
		}
	}
}

// A server whose public URL is https tells browsers to stay on https
// (HSTS); one on plain http must not (it would lock a test setup out).
func TestHSTSOnHTTPSOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if v := e.client().do("GET", "/healthz", nil).header.Get("Strict-Transport-Security"); v != "" {
		t.Fatalf("HSTS on http: %q", v)
	}
	srv, err := frontend.New(frontend.Config{Domain: frontend.DomainOf(e.svc), PublicURL: "https://chat.example",
		SessionKeys: [][]byte{bytes.Repeat([]byte("s"), 32)}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/", "/api/v1/me"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "https://chat.example"+path, nil))
		if v := rec.Header().Get("Strict-Transport-Security"); !strings.HasPrefix(v, "max-age=") {
			t.Fatalf("%s: HSTS = %q", path, v)
		}
	}
}
