package frontend

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"parley/chat"
)

// requestTypes are the bodies the API decodes, one fresh value per call.
var requestTypes = []func() any{
	func() any { return new(chat.CategoryInput) }, func() any { return new(chat.NewConversationInput) },
	func() any { return new(chat.RoleInput) }, func() any { return new(chat.TenantInput) },
	func() any { return new(chat.UserInput) }, func() any { return new(draftInput) },
	func() any { return new(postRequest) }, func() any { return new(topicSettings) },
	func() any { return new(chat.GroupPatch) }, func() any { return new(chat.RolePatch) },
	func() any { return new(chat.TenantPatch) }, func() any { return new(chat.UserPatch) },
	func() any { return new(companyRequest) }, func() any { return new(loginRequest) },
	func() any { return new(meUpdateRequest) }, func() any { return new(muteRequest) },
	func() any { return new(passwordChangeRequest) }, func() any { return new(passwordResetRequest) },
	func() any { return new(prefsRequest) }, func() any { return new(pushSubscriptionRequest) },
	func() any { return new(chat.CannedReplyInput) }, func() any { return new(cannedExpandInput) },
}

// FuzzDecodeJSON: any body sent to any JSON endpoint decodes or answers a
// client error (EInvalid, ETooLarge), never an internal one or a panic.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@example.com","password":"x"}`, `{"name":"x","unknown":1}`, `[]`, `"str"`, `{} {}`,
		`{"name":1}`, `{"locale":null}`, `{"mentions":[1e400]}`, `{`, ``, `{"a":` + string(bytes.Repeat([]byte("["), 20000))} {
		f.Add(uint8(0), "application/json", []byte(s))
		f.Add(uint8(4), "application/json; charset=utf-8", []byte(s))
	}
	f.Add(uint8(1), "text/plain", []byte(`{}`))
	f.Add(uint8(2), "application/json;;", []byte(`{}`))
	f.Fuzz(func(t *testing.T, which uint8, ctype string, body []byte) {
		dst := requestTypes[int(which)%len(requestTypes)]()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		err := decodeJSON(httptest.NewRecorder(), r, dst)
		if err != nil && !chat.IsCode(err, chat.EInvalid) && !chat.IsCode(err, chat.ETooLarge) {
			t.Fatalf("decodeJSON(%T, %q): %v (code %s)", dst, body, err, chat.ErrorCode(err))
		}
	})
}

// FuzzQueryParams: paging, limits, cursors, ids and id lists from a query
// string are in range when accepted and refused with EInvalid otherwise.
func FuzzQueryParams(f *testing.F) {
	for _, q := range []string{"after=10&limit=50", "limit=0", "limit=201", "limit=-1", "after=-5", "limit=1e3", "after=9223372036854775808",
		"company=1,2,3&role=4&role=5", "company=1,,2", "company=0", "company=%201%20", "user=+7", "category=abc", "limit=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := url.ParseQuery(raw); err != nil {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/api/v1/x", nil)
		r.URL.RawQuery = raw
		check := func(what string, err error) {
			if err != nil && !chat.IsCode(err, chat.EInvalid) {
				t.Fatalf("%s(%q): %v", what, raw, err)
			}
		}
		p, err := pageOf(r)
		check("pageOf", err)
		if err == nil && (p.After < 0 || p.Limit < 1 || p.Limit > chat.MaxPageSize) {
			t.Fatalf("pageOf(%q) = %+v", raw, p)
		}
		n, err := limitParam(r, 0, chat.MaxSearchLimit)
		check("limitParam", err)
		if err == nil && n != 0 && (n < 1 || n > chat.MaxSearchLimit) {
			t.Fatalf("limitParam(%q) = %d", raw, n)
		}
		c, err := cursorParam(r, "before", "bad")
		check("cursorParam", err)
		if c < 0 {
			t.Fatalf("cursorParam(%q) = %d", raw, c)
		}
		for _, name := range []string{"company", "role"} {
			ids, err := idsOf(r, name)
			check("idsOf", err)
			for _, id := range ids {
				if id <= 0 {
					t.Fatalf("idsOf(%q) has %d", raw, id)
				}
			}
		}
		id, err := queryID(r, "category")
		check("queryID", err)
		if id < 0 {
			t.Fatalf("queryID(%q) = %d", raw, id)
		}
		_, err = userFilter(r)
		check("userFilter", err)
	})
}

// FuzzSessionCookie: a forged, truncated or garbage session cookie
// yields no session id; a real one yields its id.
func FuzzSessionCookie(f *testing.F) {
	cs, err := newCookieStore([][]byte{bytes.Repeat([]byte("k"), 32)}, time.Hour, false)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cookies: cs, cfg: Config{SessionLifetime: time.Hour}}
	rec := httptest.NewRecorder()
	if err := s.setCookie(rec, httptest.NewRequest("GET", "/", nil), chat.Session{ID: "sess-1", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		f.Fatal(err)
	}
	real := rec.Result().Cookies()[0].Value
	if id := s.sessionID(cookieRequest(real)); id != "sess-1" {
		f.Fatalf("the real cookie gave %q", id)
	}
	f.Add(real)
	f.Add(real[:len(real)/2])
	f.Add(real + "A")
	f.Add("")
	f.Add("MTIzfGFiY3xkZWY=")
	f.Fuzz(func(t *testing.T, value string) {
		id := s.sessionID(cookieRequest(value))
		// The fuzzing workers compute their own real cookie (encryption
		// takes a random IV), so the property is: no value yields any
		// session but the one the key signed.
		if id != "" && id != "sess-1" {
			t.Fatalf("cookie %q gave session %q", value, id)
		}
	})
}

func cookieRequest(value string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", cookieName+"="+value)
	return r
}

// FuzzClientIP: the address login throttling counts by is never empty
// and, from the proxy header, has no comma or surrounding space.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 5.6.7.8", " , ", ",", "", "::1", "x\ty"} {
		f.Add(s, "10.0.0.1:1234")
	}
	f.Fuzz(func(t *testing.T, header, remote string) {
		s := &Server{cfg: Config{ClientIPHeader: "X-Forwarded-For"}}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", header)
		ip := s.clientIP(r)
		if ip == "" && remote != "" {
			t.Fatalf("clientIP(%q, %q) is empty", header, remote)
		}
		// A comma may come only from the (unchecked) remote address, never
		// from the proxy header.
		fromRemote, _, err := net.SplitHostPort(remote)
		if err != nil || fromRemote == "" {
			fromRemote = remote
		}
		if ip != fromRemote && bytes.ContainsRune([]byte(ip), ',') {
			t.Fatalf("clientIP(%q) = %q", header, ip)
		}
	})
}
