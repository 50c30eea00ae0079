package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// testLogger writes the server's logs to the test log.
func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// openWebSocket dials the hub with c's session cookie; the returned channel
// yields the close status when the server ends the connection.
func openWebSocket(t *testing.T, m *Main, c *client) <-chan websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	u, _ := url.Parse(c.base)
	h := http.Header{}
	for _, ck := range c.http.Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("websocket upgrade: %d", res.StatusCode)
	}
	closed := make(chan websocket.StatusCode, 1)
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				closed <- websocket.CloseStatus(err)
				_ = ws.CloseNow()
				return
			}
		}
	}()
	return closed
}

// testWebSocket checks the hub is wired: an anonymous upgrade is refused,
// a logged-in one accepted.
func testWebSocket(t *testing.T, m *Main, c *client) <-chan websocket.StatusCode {
	t.Helper()
	_, res, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(c.base, "http")+"/ws", nil)
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous websocket: %v %v", res, err)
	}
	return openWebSocket(t, m, c)
}
