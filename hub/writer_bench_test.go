package hub

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"parley/chat"
)

// BenchmarkFanoutSockets measures the whole live-delivery path on real
// loopback sockets: one sequenced event from the broker to every
// subscriber of one channel, through the connections' writers, until
// every client has read it. Each event is published after the previous
// one has arrived everywhere, so every writer wakes for one frame and
// writes it alone, as in scenario 2 of docs/performance.md.
//
// The clients are raw sockets in this process, one goroutine each, that
// only parse frame headers; their cost is included and is the same
// before and after a change of the server. Reported per delivery: wall
// time and CPU time of the process (both cores).
func BenchmarkFanoutSockets(b *testing.B) {
	for _, burst := range []int{1, 8} {
		b.Run(fmt.Sprint("subscribers=500/burst=", burst), func(b *testing.B) {
			benchmarkFanoutSockets(b, 500, burst)
		})
	}
}

func benchmarkFanoutSockets(b *testing.B, n, burst int) {
	svc := newFakeService()
	h := New(Config{
		Service: svc, Broker: NewMemoryBroker(), Presence: NewMemoryPresence(),
		Authenticate: func(r *http.Request) (*chat.Principal, error) {
			return svc.Authenticate(r.Context(), r.Header.Get("X-Session"))
		},
		SessionRecheck: -1, RateLimit: 10_000, RateBurst: 10_000,
	})
	srv := httptest.NewServer(h)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		srv.Close()
	}()
	for u := 1; u <= 100; u++ {
		svc.addSession(fmt.Sprint("s", u), 1, int64(u))
	}
	name := chat.TopicChannel(1)
	events := &counter{reached: make(chan struct{}, 1)}
	clients := make([]*rawClient, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range clients {
		rc, err := dialRaw(srv.Listener.Addr().String(), fmt.Sprint("s", i%100+1), name.String())
		if err != nil {
			b.Fatal(err)
		}
		defer rc.nc.Close()
		clients[i] = rc
		wg.Go(func() { rc.count(events) })
	}
	// Every client is subscribed once the subscribed frames arrived (the
	// client counts frames carrying "subscribed" as events too).
	waitCount(b, events, int64(n))
	events.n.Store(0)
	// The subscribed answer precedes the end of the replay; events are
	// published once every subscription is live (the fake store has none
	// of them to fill a gap with).
	key := name.String()
	for deadline := time.Now().Add(30 * time.Second); !allLive(h, key, n); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("subscriptions not live")
		}
	}

	frame, _ := encodeEvent(name, chat.EventMessageNew, 1, chat.Message{ID: 1, Body: "bench|1763712000000000000|12|345"})
	cpu0 := processCPU()
	b.ResetTimer()
	seq := int64(0)
	for i := 0; i < b.N; i += burst {
		for range burst {
			seq++
			h.HandleMessage(key, encodeEnvelope(wireEvent{seq: seq, typ: chat.EventMessageNew, frame: frame}))
		}
		waitCount(b, events, seq*int64(n))
	}
	b.StopTimer()
	deliveries := float64(seq) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/deliveries, "cpu-ns/delivery")
	b.ReportMetric(0, "ns/op")
}

// counter counts frames the clients read and wakes the benchmark when
// the count reaches its target.
type counter struct {
	n, target atomic.Int64
	reached   chan struct{}
}

func (c *counter) add(k int64) {
	if c.n.Add(k) >= c.target.Load() {
		select {
		case c.reached <- struct{}{}:
		default:
		}
	}
}

func allLive(h *Hub, key string, n int) bool {
	h.mu.RLock()
	ch := h.channels[key]
	h.mu.RUnlock()
	if ch == nil {
		return false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.known || len(ch.subs) != n {
		return false
	}
	for s := range ch.subs {
		if s.replaying {
			return false
		}
	}
	return true
}

func waitCount(b *testing.B, c *counter, want int64) {
	c.target.Store(want)
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for c.n.Load() < want {
		select {
		case <-c.reached:
		case <-timeout.C:
			b.Fatalf("got %d of %d frames", c.n.Load(), want)
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawClient is a WebSocket client reduced to reading frame headers.
type rawClient struct {
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(addr, session, channel string) (*rawClient, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Session: " + session + "\r\n\r\n"
	sub := maskedText(`{"type":"subscribe","id":"s","channel":"` + channel + `"}`)
	if _, err := nc.Write(append([]byte(req), sub...)); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, fmt.Errorf("upgrade: %v %v", resp, err)
	}
	return &rawClient{nc: nc, br: br}, nil
}

// count reads frames until the socket closes, counting events and
// subscribed answers (one event per line of a batched message).
func (rc *rawClient) count(n *counter) {
	var payload []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(rc.br, h[:]); err != nil {
			return
		}
		size := int(h[1] & 0x7f)
		switch size {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(rc.br, l[:]); err != nil {
				return
			}
			size = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(rc.br, l[:]); err != nil {
				return
			}
			size = int(binary.BigEndian.Uint64(l[:]))
		}
		if cap(payload) < size {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(rc.br, payload); err != nil {
			return
		}
		if h[0]&0x0f == 0x9 {
			// The writer pings every PingInterval and gives up on a
			// connection whose pong does not come.
			if _, err := rc.nc.Write(maskedFrame(0xA, payload)); err != nil {
				return
			}
			continue
		}
		if h[0]&0x0f != 1 {
			continue
		}
		if k := strings.Count(string(payload), `"type":"event"`) + strings.Count(string(payload), `"type":"subscribed","id"`); k > 0 {
			n.add(int64(k))
		}
	}
}

// maskedFrame encodes a short client frame (clients must mask).
func maskedFrame(opcode byte, p []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	b := []byte{0x80 | opcode, 0x80 | byte(len(p))}
	b = append(b, key[:]...)
	for i := range p {
		b = append(b, p[i]^key[i%4])
	}
	return b
}
