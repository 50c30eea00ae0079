package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"parley/chat"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// waitTimeout bounds every wait for something to happen. It is far above
// what a healthy run needs: CI runs every package at once under -race on
// two loaded cores, and a wait that only fails when something is broken
// costs nothing when it passes.
const waitTimeout = 30 * time.Second

// env is one hub behind an httptest server, with the fake service.
type env struct {
	t      *testing.T
	svc    *fakeService
	hub    *Hub
	srv    *httptest.Server
	broker Broker
	reg    *prometheus.Registry
}

type envOption func(*Config)

// newEnv starts a hub on broker (a new memory broker when nil) with svc (a
// new fake when nil).
func newEnv(t *testing.T, svc *fakeService, broker Broker, opts ...envOption) *env {
	t.Helper()
	if svc == nil {
		svc = newFakeService()
	}
	if broker == nil {
		broker = NewMemoryBroker()
	}
	reg := prometheus.NewRegistry()
	cfg := Config{
		Service:  svc,
		Broker:   broker,
		Presence: NewMemoryPresence(),
		Authenticate: func(r *http.Request) (*chat.Principal, error) {
			return svc.Authenticate(r.Context(), r.Header.Get("X-Session"))
		},
		Registerer:       reg,
		UnsubscribeGrace: 50 * time.Millisecond,
		SessionRecheck:   -1,
		RateLimit:        10_000,
		RateBurst:        10_000,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if svc.pub == nil {
		svc.pub = Publisher{Broker: broker} // as cmd/parley wires it
	}
	e := serveHub(t, cfg, reg)
	e.svc = svc
	return e
}

// serveHub starts a hub with cfg behind a test server; when t ends the hub
// shuts down, then the server and cfg.Broker close.
func serveHub(t *testing.T, cfg Config, reg *prometheus.Registry) *env {
	h := New(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
		_ = cfg.Broker.Close()
	})
	return &env{t: t, hub: h, srv: srv, broker: cfg.Broker, reg: reg}
}

// subscribers dials n clients subscribed to ch: the users 1 to n of tenant
// 1, on the sessions "s0" to "s<n-1>".
func (e *env) subscribers(n int, ch string) []*client {
	clients := make([]*client, n)
	for i := range clients {
		sid := fmt.Sprint("s", i)
		e.svc.addSession(sid, 1, int64(i+1))
		clients[i] = e.dial(sid)
		clients[i].subscribe("s", ch, nil)
	}
	return clients
}

func (e *env) url() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws" }

// frame is any server frame, decoded loosely.
type frame struct {
	Type      string          `json:"type"`
	ID        json.RawMessage `json:"id"`
	Channel   string          `json:"channel"`
	Event     string          `json:"event"`
	Seq       int64           `json:"seq"`
	Data      json.RawMessage `json:"data"`
	Code      string          `json:"code"`
	Message   json.RawMessage `json:"message"`
	Reason    string          `json:"reason"`
	LastSeq   int64           `json:"last_seq"`
	MessageID int64           `json:"message_id"`
	Duplicate bool            `json:"duplicate"`
	Messages  []chat.Message  `json:"messages"`
	Users     []presenceUser  `json:"users"`
	ConnID    string          `json:"conn_id"`
}

// client is a test WebSocket client reading frames in the background.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan frame
	done   chan struct{}
	err    error // the read error that ended the client; valid after done
	wmu    sync.Mutex
	// backlog keeps frames next skipped, for later calls.
	backlog []frame
}

type dialOptions struct {
	header   http.Header
	rcvBuf   int  // client socket receive buffer; 0: default
	noReader bool // do not start the background reader
}

func (e *env) dial(sid string) *client {
	e.t.Helper()
	c, resp, err := e.dialWith(sid, dialOptions{})
	if err != nil {
		e.t.Fatalf("dial: %v (%v)", err, resp)
	}
	return c
}

func (e *env) dialWith(sid string, o dialOptions) (*client, *http.Response, error) {
	h := o.header
	if h == nil {
		h = http.Header{}
	}
	if sid != "" {
		h.Set("X-Session", sid)
	}
	dialer := &net.Dialer{}
	if o.rcvBuf > 0 {
		dialer.Control = func(network, address string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.rcvBuf)
			})
			return errors.Join(err, serr)
		}
	}
	transport := &http.Transport{DialContext: dialer.DialContext}
	e.t.Cleanup(transport.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, e.url(), &websocket.DialOptions{
		HTTPHeader: h, HTTPClient: &http.Client{Transport: transport},
	})
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(-1)
	c := &client{t: e.t, ws: ws, frames: make(chan frame, 100_000), done: make(chan struct{})}
	e.t.Cleanup(func() { c.ws.CloseNow(); <-c.done })
	if o.noReader {
		close(c.done)
	} else {
		go c.read()
	}
	return c, resp, nil
}

func (c *client) read() {
	defer close(c.done)
	defer close(c.frames)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			var f frame
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				c.err = fmt.Errorf("bad frame %q: %w", line, err)
				return
			}
			c.frames <- f
		}
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("client write: %v", err)
	}
}

// next returns the first frame (in arrival order) for which keep is true;
// frames passed over stay for later calls.
func (c *client) next(what string, keep func(frame) bool) frame {
	c.t.Helper()
	for i, f := range c.backlog {
		if keep(f) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return f
		}
	}
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("waiting for %s: connection ended: %v", what, c.err)
			}
			if keep(f) {
				return f
			}
			c.backlog = append(c.backlog, f)
		case <-timer.C:
			c.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (c *client) nextType(typ string) frame {
	c.t.Helper()
	return c.next(typ, func(f frame) bool { return f.Type == typ })
}

// answer returns the frame answering request id (ack, error, subscribed, ...).
func (c *client) answer(id string) frame {
	c.t.Helper()
	want := `"` + id + `"`
	return c.next("answer to "+id, func(f frame) bool { return string(f.ID) == want })
}

// closed waits for the connection to end and returns its close status.
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				return websocket.CloseStatus(c.err)
			}
		case <-timer.C:
			c.t.Fatal("timed out waiting for the connection to close")
		}
	}
}

func (c *client) subscribe(id, ch string, since *int64) frame {
	c.t.Helper()
	req := map[string]any{"type": "subscribe", "id": id, "channel": ch}
	if since != nil {
		req["since"] = *since
	}
	c.send(req)
	f := c.answer(id)
	if f.Type != "subscribed" {
		c.t.Fatalf("subscribe %s: got %+v", ch, f)
	}
	return f
}

func (c *client) publish(id, ch, body, clientID string) frame {
	c.t.Helper()
	c.send(map[string]any{"type": "publish", "id": id, "channel": ch, "body": body, "client_msg_id": clientID})
	return c.answer(id)
}

// publishInBackground publishes n messages to ch from a goroutine of its
// own, each acknowledged before the next, and closes the returned channel
// when all are.
func (c *client) publishInBackground(ch string, n int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for j := range n {
			c.publish(fmt.Sprint("p", j), ch, "x", "")
		}
	}()
	return done
}

// messageSeqs collects the seqs of message.new events on ch until last.
func (c *client) messageSeqs(ch string, last int64) []int64 {
	c.t.Helper()
	var seqs []int64
	for {
		f := c.next(fmt.Sprintf("%s seq %d", ch, last), func(f frame) bool {
			return f.Type == "event" && f.Channel == ch && f.Event == string(chat.EventMessageNew)
		})
		seqs = append(seqs, f.Seq)
		if f.Seq >= last {
			return seqs
		}
	}
}

// checkContiguous fails unless seqs is exactly from..to.
func checkContiguous(t *testing.T, who string, seqs []int64, from, to int64) {
	t.Helper()
	if int64(len(seqs)) != to-from+1 {
		t.Fatalf("%s: got %d events, want %d (%d..%d): %v", who, len(seqs), to-from+1, from, to, short(seqs))
	}
	for i, s := range seqs {
		if s != from+int64(i) {
			t.Fatalf("%s: event %d has seq %d, want %d: %v", who, i, s, from+int64(i), short(seqs))
		}
	}
}

func short(s []int64) []int64 {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// metricValue reads a counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	return 0
}
