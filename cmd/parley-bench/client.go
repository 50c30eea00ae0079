package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// frame is the part of a server frame the benchmark reads.
type frame struct {
	Type    string          `json:"type"`
	ID      json.RawMessage `json:"id"`
	Channel string          `json:"channel"`
	Event   string          `json:"event"`
	Seq     int64           `json:"seq"`
	LastSeq int64           `json:"last_seq"`
	Code    string          `json:"code"`
	// Message is the text of an error frame, the stored message of an ack.
	Message json.RawMessage `json:"message"`
	Data    struct {
		Body string `json:"body"`
	} `json:"data"`
}

// channelLog is what one client saw of one channel.
type channelLog struct {
	startSeq int64 // last seq when first subscribed: expect everything after
	lastSeq  int64
	seen     seqCounts
	outOfOrd int
	// lastAt is when the newest seq arrived; maxGap the longest time
	// between two new seqs (a restart or fault shows here).
	lastAt time.Time
	maxGap time.Duration
}

// seqCounts counts the deliveries of each seq after base. Seqs arrive
// nearly in order, so a slice indexed by seq does what a map did, without
// hashing or allocating per delivery.
type seqCounts struct {
	base int64
	n    []uint8 // saturates at 255
}

func (s *seqCounts) inc(seq int64) {
	i := seq - s.base - 1
	if i < 0 {
		return
	}
	for int64(len(s.n)) <= i {
		s.n = append(s.n, 0)
	}
	if s.n[i] < 255 {
		s.n[i]++
	}
}

func (s *seqCounts) get(seq int64) int {
	i := seq - s.base - 1
	if i < 0 || i >= int64(len(s.n)) {
		return 0
	}
	return int(s.n[i])
}

// wsConn is one WebSocket connection as the client uses it, from either
// reader (see poller and goroutineConn).
type wsConn interface {
	// write sends one text message.
	write(ctx context.Context, p []byte) error
	// close closes with a close handshake, closeNow abruptly; the
	// reader ends either way.
	close()
	closeNow()
}

// goroutineConn is a coder/websocket connection read by a goroutine of
// its own (-reader goroutine).
type goroutineConn struct{ ws *websocket.Conn }

func (g goroutineConn) write(ctx context.Context, p []byte) error {
	return g.ws.Write(ctx, websocket.MessageText, p)
}
func (g goroutineConn) close()    { g.ws.Close(websocket.StatusNormalClosure, "") }
func (g goroutineConn) closeNow() { g.ws.CloseNow() }

// client is one benchmark WebSocket connection. Connections come and go
// (churn); the log of what it saw persists across them.
type client struct {
	idx     int
	url     string
	cookie  string
	channel string
	stats   *stats
	poller  *poller // nil: a reader goroutine per connection

	// acks receives ack and error frames of every connection in turn.
	acks chan frame

	mu      sync.Mutex
	log     *channelLog
	conn    wsConn
	done    chan struct{} // closed when the current connection's reader ends
	readErr error         // why the last connection's reader ended

	writeMu  sync.Mutex
	connects atomic.Int64
	stopping atomic.Bool
}

func newClient(idx int, wsURL, cookie, channel string, st *stats) *client {
	return &client{idx: idx, url: wsURL, cookie: cookie, channel: channel, stats: st, acks: make(chan frame, 4096)}
}

// current returns the live connection and its done channel.
func (c *client) current() (wsConn, chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn, c.done
}

// connect dials, subscribes (resuming from the last seq seen) and starts
// the reader. It returns once the subscription is confirmed.
func (c *client) connect(ctx context.Context) error {
	start := time.Now()
	done, subbed := make(chan struct{}), make(chan int64, 1)
	var conn wsConn
	var raw *rawConn
	if c.poller != nil {
		rc, err := dialRaw(ctx, c.url, c.cookie)
		if err != nil {
			// Refused dials are expected while a node is down; the caller
			// retries. They are counted, not treated as delivery errors.
			c.stats.dialFailures.Add(1)
			if os.Getenv("BENCH_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "dial %s: %v\n", c.url, err)
			}
			return fmt.Errorf("dial: %w", err)
		}
		rc.c, rc.done, rc.subbed = c, done, subbed
		conn, raw = rc, rc
	} else {
		h := http.Header{}
		h.Set("Cookie", c.cookie)
		ws, _, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			c.stats.dialFailures.Add(1)
			return fmt.Errorf("dial: %w", err)
		}
		ws.SetReadLimit(16 << 20)
		conn = goroutineConn{ws}
		go c.read(ws, done, subbed)
	}
	sub := map[string]any{"type": "subscribe", "channel": c.channel}
	c.mu.Lock()
	c.conn, c.done = conn, done
	if c.log != nil {
		sub["since"] = c.log.lastSeq
	}
	c.mu.Unlock()
	if raw != nil {
		// Read from now on: the answer to the subscribe must be seen.
		c.poller.add(raw)
	}
	if err := c.send(ctx, sub); err != nil {
		conn.closeNow()
		return err
	}
	select {
	case <-subbed:
	case <-done:
		c.mu.Lock()
		err := c.readErr
		c.mu.Unlock()
		return fmt.Errorf("connection closed before subscribed: %w", err)
	case <-ctx.Done():
		conn.closeNow()
		return ctx.Err()
	}
	c.connects.Add(1)
	c.stats.connectLatency.record(time.Since(start))
	return nil
}

// connectRetrying makes the first connection, retrying a few times with
// backoff: on a busy machine a server may shed a connection attempt
// (try again later) without anything being wrong. Retries are counted as
// dial failures.
func (c *client) connectRetrying(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := c.connect(cctx)
		cancel()
		if err == nil || attempt == 5 || ctx.Err() != nil {
			return err
		}
		if !strings.HasPrefix(err.Error(), "dial") {
			c.stats.dialFailures.Add(1)
		}
		time.Sleep(backoff + time.Duration(rand.Int64N(int64(backoff))))
		backoff *= 2
	}
}

func (c *client) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	conn, _ := c.current()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.write(wctx, b)
}

// supervise keeps the client connected until ctx ends: after an unexpected
// close (a node killed, a slow-consumer cut) it reconnects with jittered
// backoff, through the load balancer, and resumes with since.
func (c *client) supervise(ctx context.Context) {
	for {
		_, done := c.current()
		select {
		case <-ctx.Done():
			return
		case <-done:
		}
		if c.stopping.Load() || ctx.Err() != nil {
			return
		}
		lost := time.Now()
		backoff := 50 * time.Millisecond
		for {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.connect(cctx)
			cancel()
			if err == nil {
				c.stats.reconnectLatency.record(time.Since(lost))
				break
			}
			if ctx.Err() != nil {
				break
			}
			time.Sleep(backoff + time.Duration(rand.Int64N(int64(backoff))))
			backoff = min(2*backoff, 2*time.Second)
		}
	}
}

// drop closes the current connection abruptly, as a network fault would;
// supervise reconnects.
func (c *client) drop() {
	if conn, _ := c.current(); conn != nil {
		conn.closeNow()
	}
}

// read consumes server messages until the connection ends. Several frames
// may share one message, one per line.
func (c *client) read(conn *websocket.Conn, done chan struct{}, subbed chan int64) {
	defer close(done)
	// One buffer per connection: the tool shares the cores with the server,
	// so it reads without allocating per message.
	var buf bytes.Buffer
	var lat latencies
	for {
		_, r, err := conn.Reader(context.Background())
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			return
		}
		now := time.Now()
		c.handleMessage(buf.Bytes(), now, subbed, &lat)
		lat.flush(c.stats)
	}
}

// handleMessage handles one server message: one frame per line. Latencies
// of deliveries go to lat, for the caller to record in bulk.
func (c *client) handleMessage(msg []byte, now time.Time, subbed chan int64, lat *latencies) {
	for line := range bytes.SplitSeq(msg, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if channel, event, seq, body, ok := fastEventBytes(line); ok {
			if string(event) == "message.new" && string(channel) == c.channel {
				c.observe(seq, body, now, lat)
			}
			continue
		}
		var f frame
		if err := json.Unmarshal(line, &f); err != nil {
			c.stats.errors.Add(1)
			c.stats.noteError("undecodable frame: " + err.Error())
			continue
		}
		switch f.Type {
		case "event":
			if f.Event == "message.new" && f.Channel == c.channel {
				c.observe(f.Seq, []byte(f.Data.Body), now, lat)
			}
		case "subscribed":
			if f.Channel != c.channel {
				continue // the user channel's, at the start
			}
			// The log starts here, before the events that follow the
			// answer are read.
			c.mu.Lock()
			if c.log == nil {
				c.log = &channelLog{startSeq: f.LastSeq, lastSeq: f.LastSeq, seen: seqCounts{base: f.LastSeq}}
			}
			c.mu.Unlock()
			select {
			case subbed <- f.LastSeq:
			default:
			}
		case "ack", "error":
			if f.Type == "error" && os.Getenv("BENCH_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "%s\n", line)
			}
			if f.Type == "error" {
				c.stats.errors.Add(1)
				var msg string
				_ = json.Unmarshal(f.Message, &msg)
				c.stats.noteError(f.Code + ": " + msg)
			}
			select {
			case c.acks <- f:
			default:
			}
		case "reload":
			c.stats.reloads.Add(1)
		}
	}
}

// latencies collects deliveries and their latencies, recorded in bulk:
// one lock of the shared histogram and one atomic add per batch instead
// of per delivery.
type latencies struct {
	delivered int64
	d         []time.Duration
	// by node class (see stats.classes), when the clients use several
	// WebSocket URLs (one per node).
	class [classes][]time.Duration
}

func (l *latencies) flush(st *stats) {
	if l.delivered > 0 {
		st.delivered.Add(l.delivered)
		l.delivered = 0
	}
	if len(l.d) > 0 {
		st.latency.recordMany(l.d)
		l.d = l.d[:0]
	}
	for i := range l.class {
		if len(l.class[i]) > 0 {
			st.classes[i].recordMany(l.class[i])
			l.class[i] = l.class[i][:0]
		}
	}
}

// observe records one delivered message: order, duplicates, latency.
func (c *client) observe(seq int64, body []byte, now time.Time, lat *latencies) {
	c.mu.Lock()
	l := c.log
	if l == nil {
		// Events before the subscribed frame cannot occur: the server
		// answers subscribed before releasing live events.
		c.mu.Unlock()
		c.stats.errors.Add(1)
		return
	}
	if seq <= l.lastSeq {
		if seq > l.startSeq {
			l.seen.inc(seq)
		}
		l.outOfOrd++
	} else {
		if seq != l.lastSeq+1 {
			l.outOfOrd++
		}
		l.seen.inc(seq)
		l.lastSeq = seq
		if !l.lastAt.IsZero() {
			l.maxGap = max(l.maxGap, now.Sub(l.lastAt))
		}
		l.lastAt = now
	}
	c.mu.Unlock()
	lat.delivered++
	if sent, ok := sentAtBytes(body); ok {
		d := now.Sub(sent)
		lat.d = append(lat.d, d)
		if c.stats.nodes > 1 {
			if pub, ok := publisherOf(body); ok {
				k := classCross
				if c.stats.urlOf(pub) == c.url {
					k = classSame
				}
				lat.class[k] = append(lat.class[k], d)
				if c.stats.inWindow(sent) {
					lat.class[k+2] = append(lat.class[k+2], d)
				}
			}
		}
	}
}

// publisherOf reads the publisher's index from a body (bench|<unix
// ns>|pub|n); publisher p is client p, on WebSocket URL p mod the URLs.
func publisherOf(b []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(b, []byte("bench|"))
	if !ok {
		return 0, false
	}
	_, rest, _ = bytes.Cut(rest, []byte("|"))
	digits, _, ok := bytes.Cut(rest, []byte("|"))
	if !ok || len(digits) == 0 || len(digits) > 9 {
		return 0, false
	}
	n := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}

// close ends the client for good and waits for its reader.
func (c *client) close() {
	c.stopping.Store(true)
	conn, done := c.current()
	if conn == nil {
		return
	}
	conn.close()
	<-done
}

// body encodes the send time into a message body.
func body(pub, n int, at time.Time) string {
	return "bench|" + strconv.FormatInt(at.UnixNano(), 10) + "|" + strconv.Itoa(pub) + "|" + strconv.Itoa(n)
}

// sentAtBytes reads the send time from a body (bench|<unix ns>|pub|n)
// without allocating.
func sentAtBytes(b []byte) (time.Time, bool) {
	rest, ok := bytes.CutPrefix(b, []byte("bench|"))
	if !ok {
		return time.Time{}, false
	}
	digits, rest, ok := bytes.Cut(rest, []byte("|"))
	if !ok || bytes.Count(rest, []byte("|")) != 1 || len(digits) == 0 || len(digits) > 19 {
		return time.Time{}, false
	}
	var ns int64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return time.Time{}, false
		}
		ns = ns*10 + int64(d-'0')
	}
	return time.Unix(0, ns), true
}

// fastEvent decodes an event frame as the server encodes it
// ({"type":"event","channel":...,"event":...,"seq":N,"data":{...,"body":...}})
// without encoding/json, which would otherwise be most of the load tool's
// CPU at 100,000 deliveries per second. Anything else returns false and is
// decoded in full.
func fastEvent(line []byte, f *frame) bool {
	channel, event, seq, body, ok := fastEventBytes(line)
	if !ok {
		return false
	}
	f.Type, f.Channel, f.Event, f.Seq, f.Data.Body = "event", string(channel), string(event), seq, string(body)
	return true
}

// fastEventBytes is fastEvent returning slices of line, allocating
// nothing.
func fastEventBytes(line []byte) (channel, event []byte, seq int64, body []byte, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"type":"event","channel":"`))
	if !ok {
		return
	}
	channel, rest, ok = bytes.Cut(rest, []byte(`","event":"`))
	if !ok || bytes.ContainsAny(channel, `"\`) {
		return nil, nil, 0, nil, false
	}
	event, rest, ok = bytes.Cut(rest, []byte(`","seq":`))
	if !ok || bytes.ContainsAny(event, `"\`) {
		return nil, nil, 0, nil, false
	}
	digits, rest, ok := bytes.Cut(rest, []byte(`,"data":{`))
	if !ok {
		return nil, nil, 0, nil, false
	}
	// strconv.ParseInt on string(digits) does not allocate (the
	// conversion does not escape).
	seq, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return nil, nil, 0, nil, false
	}
	// Bench bodies hold no quote or escape: the body ends at the next quote.
	_, body, ok = bytes.Cut(rest, []byte(`"body":"`))
	if !ok {
		return nil, nil, 0, nil, false
	}
	body, _, ok = bytes.Cut(body, []byte(`"`))
	if !ok || bytes.IndexByte(body, '\\') >= 0 {
		return nil, nil, 0, nil, false
	}
	return channel, event, seq, body, true
}
