//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeHub speaks enough of the hub's protocol for one client: it answers
// the subscribe, then runs script; readEnded is closed when the server's
// reading (which answers pings and close frames) ends.
func fakeHub(t *testing.T, script func(ctx context.Context, ws *websocket.Conn, readEnded <-chan struct{}) error) (string, chan error) {
	t.Helper()
	result := make(chan error, 1)
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "sid=1" {
			http.Error(w, "no cookie", http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		err = func() error {
			ctx := r.Context()
			if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","v":1}`)); err != nil {
				return err
			}
			_, sub, err := ws.Read(ctx)
			if err != nil {
				return err
			}
			if !strings.Contains(string(sub), `"type":"subscribe"`) {
				return fmt.Errorf("got %s", sub)
			}
			if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribed","channel":"topic:1","last_seq":0}`)); err != nil {
				return err
			}
			// Pings are answered while the server reads.
			readEnded := make(chan struct{})
			go func() {
				defer close(readEnded)
				for {
					if _, _, err := ws.Read(ctx); err != nil {
						return
					}
				}
			}()
			err = script(ctx, ws, readEnded)
			<-readEnded
			return err
		}()
		once.Do(func() { result <- err })
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", result
}

func event(seq int, sent time.Time) string {
	return fmt.Sprintf(`{"type":"event","channel":"topic:1","event":"message.new","seq":%d,"data":{"id":%d,"body":%q}}`,
		seq, seq, body(1, seq, sent))
}

// The epoll reader reads what a standard server writes: frames of every
// length class, several frames per message, a fragmented message, pings
// (answered, or the server's Ping would fail) and the server's close.
func TestPollerReadsEverything(t *testing.T) {
	const events = 2000
	url, result := fakeHub(t, func(ctx context.Context, ws *websocket.Conn, _ <-chan struct{}) error {
		seq := 0
		next := func() string { seq++; return event(seq, time.Now()) }
		for seq < events-300 {
			// 1 to 400 lines per message: 100 bytes to 100 KiB.
			lines := make([]string, 1+seq%400)
			for i := range lines {
				lines[i] = next()
			}
			if err := ws.Write(ctx, websocket.MessageText, []byte(strings.Join(lines, "\n"))); err != nil {
				return err
			}
			if seq%50 == 0 {
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := ws.Ping(pctx)
				cancel()
				if err != nil {
					return fmt.Errorf("ping: %w", err)
				}
			}
		}
		// One message in three frames.
		w, err := ws.Writer(ctx, websocket.MessageText)
		if err != nil {
			return err
		}
		for i := range 3 {
			if i > 0 {
				_, _ = w.Write([]byte("\n"))
			}
			if _, err := w.Write([]byte(next())); err != nil {
				return err
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		for seq < events {
			if err := ws.Write(ctx, websocket.MessageText, []byte(next())); err != nil {
				return err
			}
		}
		return ws.Close(4001, "slow consumer")
	})

	p, err := newPoller(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	st := newStats()
	c := newClient(0, url, "sid=1", "topic:1", st)
	c.poller = p
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.connect(ctx); err != nil {
		t.Fatal(err)
	}
	_, done := c.current()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the connection did not end")
	}
	if err := <-result; err != nil {
		t.Fatalf("server: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if code := websocket.CloseStatus(c.readErr); code != 4001 {
		t.Fatalf("ended with %v, want close 4001", c.readErr)
	}
	if c.log.lastSeq != events || c.log.outOfOrd != 0 {
		t.Fatalf("last seq %d, out of order %d", c.log.lastSeq, c.log.outOfOrd)
	}
	for s := int64(1); s <= events; s++ {
		if n := c.log.seen.get(s); n != 1 {
			t.Fatalf("seq %d seen %d times", s, n)
		}
	}
	if n := st.delivered.Load(); n != events {
		t.Fatalf("delivered %d", n)
	}
	if n := st.latency.summary().Count; n != events {
		t.Fatalf("%d latencies", n)
	}
}

// Closing from the client side: a close handshake (close) or a drop
// (closeNow) ends the reader, and sends fail afterwards.
func TestPollerClientCloses(t *testing.T) {
	for _, abrupt := range []bool{false, true} {
		t.Run(fmt.Sprint("abrupt=", abrupt), func(t *testing.T) {
			url, result := fakeHub(t, func(ctx context.Context, ws *websocket.Conn, readEnded <-chan struct{}) error {
				<-readEnded
				return nil
			})
			p, err := newPoller(1, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer p.stop()
			c := newClient(0, url, "sid=1", "topic:1", newStats())
			c.poller = p
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := c.connect(ctx); err != nil {
				t.Fatal(err)
			}
			conn, done := c.current()
			if abrupt {
				c.drop()
				<-done
			} else {
				c.close()
				c.mu.Lock()
				err := c.readErr
				c.mu.Unlock()
				if code := websocket.CloseStatus(err); code != websocket.StatusNormalClosure {
					t.Fatalf("ended with %v, want the echo of a normal closure", err)
				}
			}
			if err := conn.write(ctx, []byte(`{}`)); err == nil {
				t.Fatal("a write after the end succeeded")
			}
			select {
			case err := <-result:
				if err != nil {
					t.Fatal(err)
				}
			case <-ctx.Done():
				t.Fatal("the server side did not end")
			}
		})
	}
}
