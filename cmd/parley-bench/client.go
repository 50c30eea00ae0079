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
	seen     map[int64]int
	outOfOrd int
}

// client is one benchmark WebSocket connection. Connections come and go
// (churn); the log of what it saw persists across them.
type client struct {
	idx     int
	url     string
	cookie  string
	channel string
	stats   *stats

	// acks receives ack and error frames of every connection in turn.
	acks chan frame

	mu      sync.Mutex
	log     *channelLog
	conn    *websocket.Conn
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
func (c *client) current() (*websocket.Conn, chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn, c.done
}

// connect dials, subscribes (resuming from the last seq seen) and starts
// the reader. It returns once the subscription is confirmed.
func (c *client) connect(ctx context.Context) error {
	start := time.Now()
	h := http.Header{}
	h.Set("Cookie", c.cookie)
	conn, _, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		// Refused dials are expected while a node is down; the caller
		// retries. They are counted, not treated as delivery errors.
		c.stats.dialFailures.Add(1)
		return fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(16 << 20)
	done, subbed := make(chan struct{}), make(chan int64, 1)
	sub := map[string]any{"type": "subscribe", "channel": c.channel}
	c.mu.Lock()
	c.conn, c.done = conn, done
	if c.log != nil {
		sub["since"] = c.log.lastSeq
	}
	c.mu.Unlock()
	go c.read(conn, done, subbed)
	if err := c.send(ctx, sub); err != nil {
		conn.CloseNow()
		return err
	}
	select {
	case last := <-subbed:
		c.mu.Lock()
		if c.log == nil {
			c.log = &channelLog{startSeq: last, lastSeq: last, seen: map[int64]int{}}
		}
		c.mu.Unlock()
	case <-done:
		c.mu.Lock()
		err := c.readErr
		c.mu.Unlock()
		return fmt.Errorf("connection closed before subscribed: %w", err)
	case <-ctx.Done():
		conn.CloseNow()
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
	return conn.Write(wctx, websocket.MessageText, b)
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
		backoff := 50 * time.Millisecond
		for {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.connect(cctx)
			cancel()
			if err == nil || ctx.Err() != nil {
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
		conn.CloseNow()
	}
}

// read consumes server messages until the connection ends. Several frames
// may share one message, one per line.
func (c *client) read(conn *websocket.Conn, done chan struct{}, subbed chan int64) {
	defer close(done)
	// One buffer per connection: the tool shares the cores with the server,
	// so it reads without allocating per message.
	var buf bytes.Buffer
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
		for line := range bytes.SplitSeq(buf.Bytes(), []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			var f frame
			if fastEvent(line, &f) {
				if f.Event == "message.new" && f.Channel == c.channel {
					c.observe(f, now)
				}
				continue
			}
			if err := json.Unmarshal(line, &f); err != nil {
				c.stats.errors.Add(1)
				c.stats.noteError("undecodable frame: " + err.Error())
				continue
			}
			switch f.Type {
			case "event":
				if f.Event == "message.new" && f.Channel == c.channel {
					c.observe(f, now)
				}
			case "subscribed":
				// The hub also confirms the user channel it subscribes
				// every connection to, first: only the own channel's
				// answer means the subscription is in place.
				if f.Channel != c.channel {
					continue
				}
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
}

// observe records one delivered message: order, duplicates, latency.
func (c *client) observe(f frame, now time.Time) {
	c.mu.Lock()
	l := c.log
	if l == nil {
		// Events before the subscribed frame cannot occur: the server
		// answers subscribed before releasing live events.
		c.mu.Unlock()
		c.stats.errors.Add(1)
		return
	}
	if f.Seq <= l.lastSeq {
		if f.Seq > l.startSeq {
			l.seen[f.Seq]++
		}
		l.outOfOrd++
	} else {
		if f.Seq != l.lastSeq+1 {
			l.outOfOrd++
		}
		l.seen[f.Seq]++
		l.lastSeq = f.Seq
	}
	c.mu.Unlock()
	c.stats.delivered.Add(1)
	if sent, ok := sentAt(f.Data.Body); ok {
		c.stats.latency.record(now.Sub(sent))
	}
}

// close ends the client for good and waits for its reader.
func (c *client) close() {
	c.stopping.Store(true)
	conn, done := c.current()
	if conn == nil {
		return
	}
	conn.Close(websocket.StatusNormalClosure, "")
	<-done
}

// body encodes the send time into a message body.
func body(pub, n int, at time.Time) string {
	return "bench|" + strconv.FormatInt(at.UnixNano(), 10) + "|" + strconv.Itoa(pub) + "|" + strconv.Itoa(n)
}

func sentAt(b string) (time.Time, bool) {
	parts := strings.Split(b, "|")
	if len(parts) != 4 || parts[0] != "bench" {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// fastEvent decodes an event frame as the server encodes it
// ({"type":"event","channel":...,"event":...,"seq":N,"data":{...,"body":...}})
// without encoding/json, which would otherwise be most of the load tool's
// CPU at 100,000 deliveries per second. Anything else returns false and is
// decoded in full.
func fastEvent(line []byte, f *frame) bool {
	rest, ok := bytes.CutPrefix(line, []byte(`{"type":"event","channel":"`))
	if !ok {
		return false
	}
	channel, rest, ok := bytes.Cut(rest, []byte(`","event":"`))
	if !ok || bytes.ContainsAny(channel, `"\`) {
		return false
	}
	event, rest, ok := bytes.Cut(rest, []byte(`","seq":`))
	if !ok || bytes.ContainsAny(event, `"\`) {
		return false
	}
	digits, rest, ok := bytes.Cut(rest, []byte(`,"data":{`))
	if !ok {
		return false
	}
	seq, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return false
	}
	// Bench bodies hold no quote or escape: the body ends at the next quote.
	_, body, ok := bytes.Cut(rest, []byte(`"body":"`))
	if !ok {
		return false
	}
	body, _, ok = bytes.Cut(body, []byte(`"`))
	if !ok || bytes.IndexByte(body, '\\') >= 0 {
		return false
	}
	f.Type, f.Channel, f.Event, f.Seq, f.Data.Body = "event", string(channel), string(event), seq, string(body)
	return true
}
