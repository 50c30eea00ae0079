package hub

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// serverConn returns the hub's only connection.
func (e *env) serverConn() *conn {
	e.t.Helper()
	var c *conn
	eventually(e.t, "the server side of the connection", func() bool {
		e.hub.mu.RLock()
		defer e.hub.mu.RUnlock()
		for k := range e.hub.conns {
			c = k
		}
		return len(e.hub.conns) == 1
	})
	return c
}

// The writer frames messages itself: every payload length class (7-bit,
// 16-bit and 64-bit lengths, and their edges) must reach a standard
// client intact, and frames queued together arrive as one message of
// lines.
func TestWriterFramesEveryLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	cl := e.dial("a")
	cl.nextType("hello")
	c := e.serverConn()
	if c.sock == nil {
		t.Fatal("the connection has no socket")
	}
	for _, size := range []int{30, 125, 126, 127, 65535, 65536, 300_000} {
		pad := size - len(`{"type":"x","reason":""}`)
		c.push([]byte(`{"type":"x","reason":"` + strings.Repeat("a", pad) + `"}`))
		f := cl.nextType("x")
		if len(f.Reason) != pad {
			t.Fatalf("frame of %d bytes: got a reason of %d bytes", size, len(f.Reason))
		}
	}
}

// A pong (or close frame) that coder/websocket's reader writes after the
// socket was quiet for longer than the write timeout must not fail on a
// stale write deadline.
func TestPongAfterQuietSpell(t *testing.T) {
	t.Parallel()
	const writeTimeout = 100 * time.Millisecond
	e := newEnv(t, nil, nil, func(c *Config) { c.WriteTimeout = writeTimeout })
	e.svc.addSession("a", 1, 1)
	cl := e.dial("a")
	cl.nextType("hello")
	c := e.serverConn()
	c.push([]byte(`{"type":"x","reason":"before"}`))
	cl.nextType("x")
	// Waiting is the point here: the deadline set for the last write
	// (at most 1.5 write timeouts ahead) has passed when the ping comes.
	time.Sleep(4 * writeTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := cl.ws.Ping(ctx); err != nil {
		t.Fatalf("ping after a quiet spell: %v", err)
	}
	c.push([]byte(`{"type":"x","reason":"after"}`))
	if f := cl.nextType("x"); f.Reason != "after" {
		t.Fatalf("got %+v", f)
	}
}

// The writer pings every PingInterval.
func TestWriterPings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.PingInterval = 20 * time.Millisecond })
	e.svc.addSession("a", 1, 1)
	var pings atomic.Int32
	h := http.Header{}
	h.Set("X-Session", "a")
	ws, _, err := websocket.Dial(context.Background(), e.url(), &websocket.DialOptions{
		HTTPHeader: h,
		OnPingReceived: func(context.Context, []byte) bool {
			pings.Add(1)
			return true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// Pings are answered while reading.
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	eventually(t, "three pings", func() bool { return pings.Load() >= 3 })
}

// A client that reads but does not answer pings is dropped after the
// write timeout.
func TestUnansweredPingDrops(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) {
		c.PingInterval = 20 * time.Millisecond
		c.WriteTimeout = 200 * time.Millisecond
	})
	e.svc.addSession("a", 1, 1)
	rc, err := dialRaw(strings.TrimPrefix(e.srv.URL, "http://"), "a", "user:1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.nc.Close()
	rc.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	pinged := false
	for {
		op, _, err := readFrame(rc.br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the connection was not dropped: %v", err)
		}
		pinged = pinged || op == 0x9
	}
	if !pinged {
		t.Fatal("dropped without a ping")
	}
}

// Once a close frame went out (coder/websocket's reader answers a
// client's close on its own), the writer sends no data frame behind it.
func TestNoDataAfterCloseFrame(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := l.Accept()
		if err == nil {
			accepted <- nc
		}
		close(accepted)
	}()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	nc := <-accepted
	if nc == nil {
		t.Fatal("accept failed")
	}
	defer nc.Close()
	s := &socket{Conn: nc, timeout: time.Second}
	msg := func(p string) []byte { return append(make([]byte, maxFrameHeader), p...) }
	if err := s.writeText(msg("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte{0x88, 0x02, 0x03, 0xe8}); err != nil {
		t.Fatal(err)
	}
	if err := s.writeText(msg("two")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("data after close: %v", err)
	}
	br := bufio.NewReader(client)
	client.SetReadDeadline(time.Now().Add(waitTimeout))
	for i, want := range []string{"1:one", "8:\x03\xe8"} {
		op, p, err := readFrame(br)
		if err != nil || fmt.Sprintf("%x:%s", op, p) != want {
			t.Fatalf("frame %d: %x %q %v", i, op, p, err)
		}
	}
}

// readFrame reads one unmasked frame: its opcode and payload.
func readFrame(br *bufio.Reader) (byte, []byte, error) {
	b, err := br.Peek(1)
	if err != nil {
		return 0, nil, err
	}
	op := b[0] & 0x0f
	p, err := readServerFrame(br)
	return op, p, err
}

// socket.Write takes exactly one whole control frame from coder/websocket
// (see socket): a split frame or a data frame written through the library
// would interleave with the writer's frames, so it is refused.
func TestSocketWriteTakesOneControlFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    []byte
		ok   bool
	}{
		{"pong", []byte{0x8a, 0x02, 'h', 'i'}, true},
		{"ping without payload", []byte{0x89, 0x00}, true},
		{"close", []byte{0x88, 0x02, 0x03, 0xe8}, true},
		{"longest control frame", append([]byte{0x89, 125}, make([]byte, 125)...), true},
		{"header only", []byte{0x8a, 0x02}, false},
		{"two frames", []byte{0x89, 0x00, 0x8a, 0x00}, false},
		{"text frame", []byte{0x81, 0x01, 'x'}, false},
		{"not final", []byte{0x09, 0x00}, false},
		{"extended length", append([]byte{0x89, 126, 0, 126}, make([]byte, 126)...), false},
		{"masked", []byte{0x89, 0x80, 1, 2, 3, 4}, false},
		{"empty", nil, false},
	} {
		if got := oneControlFrame(tc.p); got != tc.ok {
			t.Errorf("%s: oneControlFrame = %v", tc.name, got)
		}
	}
}

// The socket relies on coder/websocket's write internals (see socket): a
// new version needs the checks listed there before it is used.
func TestWebSocketLibraryVersion(t *testing.T) {
	const want = "github.com/coder/websocket v1.8.15"
	// go.mod lists every module of the build at its selected version.
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/coder/websocket" {
			if got := f[0] + " " + f[1]; got != want {
				t.Fatalf("go.mod has %s: re-check the list in hub/socket.go against it, then update this test", got)
			}
			return
		}
	}
	t.Fatal("go.mod does not require github.com/coder/websocket")
}
