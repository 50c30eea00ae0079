package frontend_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"parley/frontend"
)

// A client that goes away mid-request (its context is canceled) is not
// a server fault: nothing is logged at error level, while a real
// internal failure still is.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, func(c *frontend.Config) { c.Logger = zerolog.New(&logs) })
	emp := e.client()
	emp.as(e.employee)

	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the client is gone before the handler asks the database
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/users", nil)
	for _, c := range emp.http.Jar.Cookies(mustURL(t, e.ts.URL)) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code < 500 {
		t.Fatalf("status %d: the canceled request did not reach the database", rec.Code)
	}
	if strings.Contains(logs.String(), `"level":"error"`) {
		t.Fatalf("a client going away was logged as an error:\n%s", logs.String())
	}

	// The same request from a client that is still there, on a closed
	// database, is a server fault and is logged.
	_ = e.store.Close()
	req = httptest.NewRequest("GET", "/api/v1/users", nil)
	for _, c := range emp.http.Jar.Cookies(mustURL(t, e.ts.URL)) {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(logs.String(), `"level":"error"`) {
		t.Fatalf("status %d, logs:\n%s\nwant 500 and an error line", rec.Code, logs.String())
	}
}
