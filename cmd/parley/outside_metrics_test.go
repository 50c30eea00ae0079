package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// PARLEY_METRICS_TOKEN puts /metrics behind a bearer token; a session is
// not enough.
func TestOutsideMetricsToken(t *testing.T) {
	t.Parallel()
	const token = "scrape-secret-0123456789"
	env := []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword, "PARLEY_METRICS_TOKEN=" + token}
	p := start(t, env)
	get := func(auth string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", p.url+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get("Bearer wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	admin := newClient(t, p.url)
	admin.login("admin@example.com", outsidePassword)
	if res := admin.do("GET", "/metrics", nil); res.status != http.StatusUnauthorized {
		t.Fatalf("admin session without token: %d", res.status)
	}
	code, body := get("Bearer " + token)
	if code != http.StatusOK || !strings.Contains(body, "parley_hub_connections") {
		t.Fatalf("with token: %d %.200s", code, body)
	}
	// The scheme is case-insensitive; the token is not.
	for _, auth := range []string{"bearer " + token, "BEARER " + token, "Bearer  " + token} {
		if code, _ := get(auth); code != http.StatusOK {
			t.Fatalf("%q: %d", auth, code)
		}
	}
	for _, auth := range []string{"Bearer " + strings.ToUpper(token), "Basic " + token, token, "Bearer" + token} {
		if code, _ := get(auth); code != http.StatusUnauthorized {
			t.Fatalf("%q: %d", auth, code)
		}
	}
	p.stop()
}
