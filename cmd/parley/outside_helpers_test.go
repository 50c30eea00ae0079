package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/hub"
	"parley/storage/pgtest"
)

// The outside_ tests use Parley the way its users and operators do: the
// real server (in-process Main or the built binary), the JSON API of
// docs/api.md and the socket protocol of docs/protocol.md, nothing else.

const outsidePassword = "outside test password"

// engines are the storage engines every live test runs on.
var engines = []string{"sqlite", "postgres"}

// outsideServer is a running server with a logged-in operator (the
// first-run admin) and the messenger switched on.
type outsideServer struct {
	t        *testing.T
	m        *Main
	base     string
	admin    *client
	tenantID int64
	roles    map[string]int64 // built-in role key -> id
}

// startOutside runs Main in-process on engine ("sqlite" or "postgres");
// tweak may change the configuration first.
func startOutside(t *testing.T, engine string, tweak func(*Config)) *outsideServer {
	t.Helper()
	return startOutsideHub(t, engine, tweak, nil)
}

// startOutsideHub is startOutside whose hub configuration hubTweak may
// change too.
func startOutsideHub(t *testing.T, engine string, tweak func(*Config), hubTweak func(*hub.Config)) *outsideServer {
	t.Helper()
	return startOutsideMain(t, engine, tweak, func(m *Main) { m.hubOptions = hubTweak })
}

// startOutsideMain is startOutside with mainTweak called on the Main
// before it runs (test-only wiring: hub options, the push client).
func startOutsideMain(t *testing.T, engine string, tweak func(*Config), mainTweak func(*Main)) *outsideServer {
	t.Helper()
	cfg := testConfig(t)
	cfg.AdminPassword = outsidePassword
	if engine == "postgres" {
		cfg.DatabaseURL = pgtest.NewDatabase(t)
		cfg.SessionKeys = []string{"outside-test-session-key-0123456789abcdef"}
	}
	if tweak != nil {
		tweak(&cfg)
	}
	m := NewMain(cfg, testLogger(t), newOutput())
	if mainTweak != nil {
		mainTweak(m)
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	s := operatorOf(t, "http://"+m.Addr(), cfg.AdminEmail)
	s.m = m
	return s
}

// operatorOf is the operator's view of the server at base: its admin
// (adminEmail, with outsidePassword) logged in, the tenant and the
// built-in roles known, and the messenger switched on.
func operatorOf(t *testing.T, base, adminEmail string) *outsideServer {
	t.Helper()
	s := &outsideServer{t: t, base: base, admin: newClient(t, base), roles: map[string]int64{}}
	var me struct {
		Tenant struct{ ID int64 }
	}
	s.admin.login(adminEmail, outsidePassword).decode(t, &me)
	s.tenantID = me.Tenant.ID
	var roles struct {
		Items []struct {
			ID  int64
			Key string
		}
	}
	s.admin.do("GET", "/api/v1/roles", nil).decode(t, &roles)
	for _, r := range roles.Items {
		s.roles[r.Key] = r.ID
	}
	s.setMessenger(true)
	return s
}

// clusterEnv is the environment of parley processes that form one
// cluster: the database at dbURL and the test Redis, under a key prefix
// of their own (name says whose) so that parallel tests' clusters never
// meet; extra is added.
func clusterEnv(t *testing.T, dbURL, name string, extra ...string) []string {
	t.Helper()
	redisURL := os.Getenv("PARLEY_TEST_REDIS_URL")
	if redisURL == "" {
		t.Fatal("PARLEY_TEST_REDIS_URL is not set; point it at a Redis server, e.g. redis://127.0.0.1:6379/0")
	}
	return append([]string{"PARLEY_DATABASE_URL=" + dbURL, testKeys, "PARLEY_REDIS_URL=" + redisURL,
		"PARLEY_REDIS_PREFIX=parley-" + name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}, extra...)
}

// on returns a client of the node at base with c's session (a user
// moving to another node of the cluster).
func on(t *testing.T, base string, c *client) *client {
	t.Helper()
	other := newClient(t, base)
	from, _ := urlParse(c.base)
	to, _ := urlParse(base)
	other.http.Jar.SetCookies(to, c.http.Jar.Cookies(from))
	return other
}

// setMessenger switches the tenant's messenger as its admin would.
func (s *outsideServer) setMessenger(on bool) {
	s.t.Helper()
	expect(s.t, "messenger switch", s.admin.do("PATCH", fmt.Sprintf("/api/v1/tenants/%d", s.tenantID),
		map[string]any{"settings": map[string]any{"messenger_enabled": on}}), 200, "", "")
}

// user creates a user with the built-in roles named and logs them in.
func (s *outsideServer) user(email string, roleKeys ...string) (int64, *client) {
	s.t.Helper()
	ids := []int64{}
	for _, k := range roleKeys {
		ids = append(ids, s.roles[k])
	}
	res := s.admin.do("POST", "/api/v1/users", map[string]any{"email": email, "name": strings.Split(email, "@")[0],
		"password": outsidePassword, "role_ids": ids})
	expect(s.t, "create "+email, res, 201, "", "")
	var u struct{ ID int64 }
	res.decode(s.t, &u)
	c := newClient(s.t, s.base)
	c.login(email, outsidePassword)
	return u.ID, c
}

// group creates an active messenger group with the members.
func (s *outsideServer) group(name string, members ...int64) int64 {
	s.t.Helper()
	var g struct{ ID int64 }
	res := s.admin.do("POST", "/api/v1/messenger/groups", map[string]any{"name": name})
	expect(s.t, "create group", res, 201, "", "")
	res.decode(s.t, &g)
	expect(s.t, "set members", s.admin.do("PUT", fmt.Sprintf("/api/v1/messenger/groups/%d/members", g.ID),
		map[string]any{"user_ids": members}), 200, "", "")
	return g.ID
}

// topic creates a topic as mgr, a messenger manager of the group.
func (s *outsideServer) topic(mgr *client, groupID int64, settings map[string]any) int64 {
	s.t.Helper()
	var tp struct{ ID int64 }
	res := mgr.do("POST", fmt.Sprintf("/api/v1/messenger/groups/%d/topics", groupID), settings)
	expect(s.t, "create topic", res, 201, "", "")
	res.decode(s.t, &tp)
	return tp.ID
}

// frame is any server frame of docs/protocol.md.
type frame struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Channel   string          `json:"channel"`
	Event     string          `json:"event"`
	Seq       int64           `json:"seq"`
	LastSeq   int64           `json:"last_seq"`
	Code      string          `json:"code"`
	Message   json.RawMessage `json:"message"`
	Reason    string          `json:"reason"`
	MessageID int64           `json:"message_id"`
	Duplicate bool            `json:"duplicate"`
	UserID    int64           `json:"user_id"`
	Data      json.RawMessage `json:"data"`
	Messages  json.RawMessage `json:"messages"`
	Raw       json.RawMessage `json:"-"` // the whole frame as received
}

// wireMessage is the message inside events, acks and history.
type wireMessage struct {
	ID          int64  `json:"id"`
	Channel     string `json:"channel"`
	Seq         int64  `json:"seq"`
	AuthorID    int64  `json:"author_id"`
	ClientMsgID string `json:"client_msg_id"`
	Body        string `json:"body"`
}

func (f frame) message(t *testing.T) wireMessage {
	t.Helper()
	var m wireMessage
	raw := f.Data
	if f.Type == "ack" {
		raw = f.Message
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("message of %+v: %v", f, err)
	}
	return m
}

// socket is a protocol client: it reads every frame into a log that
// tests wait on, and remembers the close status.
type socket struct {
	t      *testing.T
	ws     *websocket.Conn
	nextID atomic.Int64

	mu      sync.Mutex
	frames  []frame
	pos     int // frames before pos were consumed by next
	changed chan struct{}
	closed  bool
	status  websocket.StatusCode
	done    chan struct{}
}

// dialSocket connects c to /ws as a browser on the public origin would,
// and waits for hello.
func dialSocket(t *testing.T, c *client) *socket {
	t.Helper()
	ws := dialRaw(t, c)
	s := &socket{t: t, ws: ws, changed: make(chan struct{}), done: make(chan struct{})}
	go s.readLoop()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		<-s.done
	})
	s.next("hello", func(f frame) bool { return f.Type == "hello" })
	return s
}

// dialRaw upgrades with c's session cookie and returns the bare
// connection (nobody reads it).
func dialRaw(t *testing.T, c *client) *websocket.Conn {
	t.Helper()
	return dialRawBuffered(t, c, 0)
}

// dialRawBuffered dials with the socket's receive buffer set to rcvBuf
// bytes (0: the kernel's default). A small buffer makes a slow reader's
// backlog pile up in the server's queue rather than in the kernel.
func dialRawBuffered(t *testing.T, c *client, rcvBuf int) *websocket.Conn {
	t.Helper()
	u, _ := url.Parse(c.base)
	h := http.Header{}
	for _, ck := range c.http.Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	h.Set("Origin", c.base)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: h}
	if rcvBuf > 0 {
		dialer := &net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
			})
			return errors.Join(err, serr)
		}}
		transport := &http.Transport{DialContext: dialer.DialContext}
		t.Cleanup(transport.CloseIdleConnections)
		opts.HTTPClient = &http.Client{Transport: transport}
	}
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws?v=1", opts)
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("websocket upgrade: %d", res.StatusCode)
	}
	ws.SetReadLimit(64 << 20) // protocol.md: history pages can be large
	return ws
}

func (s *socket) readLoop() {
	defer close(s.done)
	for {
		_, b, err := s.ws.Read(context.Background())
		s.mu.Lock()
		if err != nil {
			s.closed, s.status = true, websocket.CloseStatus(err)
			close(s.changed)
			s.mu.Unlock()
			return
		}
		// protocol.md: several frames per message, one per line.
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var f frame
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				s.frames = append(s.frames, frame{Type: "unparsable:" + line})
				continue
			}
			f.Raw = json.RawMessage(line)
			s.frames = append(s.frames, f)
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

// send writes one client frame.
func (s *socket) send(v any) {
	s.t.Helper()
	if err := s.trySend(v); err != nil {
		s.t.Fatal(err)
	}
}

// trySend is send for goroutines other than the test's: it returns the
// error instead of failing the test.
func (s *socket) trySend(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := s.ws.Write(s.t.Context(), websocket.MessageText, b); err != nil {
		return fmt.Errorf("websocket write: %w", err)
	}
	return nil
}

// request sends a frame with a fresh id and returns its answer.
func (s *socket) request(v map[string]any) frame {
	s.t.Helper()
	id := "r" + strconv.FormatInt(s.nextID.Add(1), 10)
	v["id"] = id
	s.send(v)
	return s.next(fmt.Sprintf("answer to %v", v), func(f frame) bool { return f.ID == id })
}

// frameWait bounds each wait for a frame: far above what a healthy server
// needs, even under -race on two cores shared with every other package.
const frameWait = 60 * time.Second

// next returns the first unconsumed frame matching ok within frameWait and
// consumes it and every frame before it.
func (s *socket) next(what string, ok func(frame) bool) frame {
	s.t.Helper()
	f, err := s.tryNext(what, ok)
	if err != nil {
		s.t.Fatal(err)
	}
	return f
}

// tryNext is next for goroutines other than the test's: it returns an
// error instead of failing the test.
func (s *socket) tryNext(what string, ok func(frame) bool) (frame, error) {
	deadline := time.NewTimer(frameWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i := s.pos; i < len(s.frames); i++ {
			if ok(s.frames[i]) {
				s.pos = i + 1
				f := s.frames[i]
				s.mu.Unlock()
				return f, nil
			}
		}
		closed, status, changed := s.closed, s.status, s.changed
		s.mu.Unlock()
		if closed {
			return frame{}, fmt.Errorf("socket closed (%v) while waiting for %s", status, what)
		}
		select {
		case <-changed:
		case <-deadline.C:
			return frame{}, fmt.Errorf("no %s within %v; frames: %s", what, frameWait, s.dump())
		}
	}
}

// seen waits until any frame received so far, consumed or not, matches
// ok (for frames of independent channels, whose order is not defined).
func (s *socket) seen(what string, ok func(frame) bool) frame {
	s.t.Helper()
	deadline := time.NewTimer(frameWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, f := range s.frames {
			if ok(f) {
				s.mu.Unlock()
				return f
			}
		}
		closed, status, changed := s.closed, s.status, s.changed
		s.mu.Unlock()
		if closed {
			s.t.Fatalf("socket closed (%v) while waiting for %s", status, what)
		}
		select {
		case <-changed:
		case <-deadline.C:
			s.t.Fatalf("no %s within %v; frames: %s", what, frameWait, s.dump())
		}
	}
}

// all returns every frame received so far.
func (s *socket) all() []frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]frame(nil), s.frames...)
}

func (s *socket) dump() string {
	var b strings.Builder
	for _, f := range s.all() {
		fmt.Fprintf(&b, "\n  %+v", f)
	}
	return b.String()
}

// closeStatus waits up to d for the server to close the socket.
func (s *socket) closeStatus(d time.Duration) websocket.StatusCode {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		s.t.Fatalf("socket still open after %v", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// subscribe subscribes to channel (since < 0: live from now) and returns
// the subscribed frame.
func (s *socket) subscribe(channel string, since int64) frame {
	s.t.Helper()
	req := map[string]any{"type": "subscribe", "channel": channel}
	if since >= 0 {
		req["since"] = since
	}
	f := s.request(req)
	if f.Type != "subscribed" || f.Channel != channel {
		s.t.Fatalf("subscribe %s: %+v", channel, f)
	}
	return f
}

// events returns the sequenced events of kind on channel received so far,
// in arrival order.
func (s *socket) events(channel, kind string) []frame {
	var out []frame
	for _, f := range s.all() {
		if f.Type == "event" && f.Channel == channel && f.Event == kind {
			out = append(out, f)
		}
	}
	return out
}

// waitEvents waits until n events of kind arrived on channel. It fails
// when none arrives for a minute: a long stream may take longer than that
// on a loaded machine, but not without making progress.
func (s *socket) waitEvents(channel, kind string, n int) []frame {
	s.t.Helper()
	const quiet = 60 * time.Second
	deadline := time.NewTimer(quiet)
	defer deadline.Stop()
	seen := -1
	for {
		s.mu.Lock()
		changed, closed := s.changed, s.closed
		s.mu.Unlock()
		evs := s.events(channel, kind)
		if len(evs) >= n {
			return evs
		}
		if closed {
			s.t.Fatalf("socket closed (%v) with %d of %d %s events on %s", s.status, len(evs), n, kind, channel)
		}
		if len(evs) > seen {
			seen = len(evs)
			deadline.Reset(quiet)
		}
		select {
		case <-changed:
		case <-deadline.C:
			s.t.Fatalf("%d of %d %s events on %s, and none for %v", len(s.events(channel, kind)), n, kind, channel, quiet)
		}
	}
}

// metric returns the value of a counter or gauge from /metrics (0 when
// absent).
func metric(t *testing.T, c *client, name string) float64 {
	t.Helper()
	res := c.do("GET", "/metrics", nil)
	if res.status != 200 {
		t.Fatalf("/metrics: %d", res.status)
	}
	for line := range strings.SplitSeq(string(res.body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	return 0
}

// eventually polls cond every 20 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
