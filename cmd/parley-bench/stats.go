package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// histogram is a concurrency-safe HDR histogram of durations in
// microseconds (1 µs to 60 s, 3 significant digits).
type histogram struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newHistogram() *histogram { return &histogram{h: hdrhistogram.New(1, 60_000_000, 3)} }

func (h *histogram) record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	h.mu.Lock()
	_ = h.h.RecordValue(min(us, 60_000_000))
	h.mu.Unlock()
}

func (h *histogram) recordMany(ds []time.Duration) {
	h.mu.Lock()
	for _, d := range ds {
		_ = h.h.RecordValue(min(max(d.Microseconds(), 1), 60_000_000))
	}
	h.mu.Unlock()
}

// summary is a histogram's figures in milliseconds.
type summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

func (h *histogram) summary() summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return summary{Count: h.h.TotalCount(), P50: ms(h.h.ValueAtQuantile(50)), P95: ms(h.h.ValueAtQuantile(95)),
		P99: ms(h.h.ValueAtQuantile(99)), Max: ms(h.h.Max()), Mean: h.h.Mean() / 1000}
}

// stats are the run's counters.
type stats struct {
	delivered      atomic.Int64
	published      atomic.Int64
	acked          atomic.Int64
	lastAck        atomic.Int64 // unix nanoseconds of the latest ack
	errors         atomic.Int64
	reloads        atomic.Int64
	dialFailures   atomic.Int64
	sendFailures   atomic.Int64 // frames sent again after a reconnect
	latency        *histogram   // publish to receive
	ackLatency     *histogram   // publish to ack (persisted)
	connectLatency *histogram
	// reconnectLatency is from a connection's end, as its reader saw it,
	// to the next connection's subscription confirmed (supervise).
	reconnectLatency *histogram
	// classes split publish-to-receive latency by whether the receiver is
	// on the publisher's node (same WebSocket URL) or another, over the
	// whole run and inside the window (a fault injected by a test).
	classes  [classes]*histogram
	urlOf    func(client int) string // a client's WebSocket URL (publisher p is client p)
	nodes    int                     // WebSocket URLs
	winStart atomic.Int64            // unix ns; 0: no window
	winEnd   atomic.Int64            // unix ns; 0: open

	mu        sync.Mutex
	ackedSeqs map[string][]int64
	errSample []string
}

// The latency classes of stats.classes.
const (
	classSame = iota
	classCross
	classSameWindow
	classCrossWindow
	classes
)

func newStats() *stats {
	s := &stats{latency: newHistogram(), ackLatency: newHistogram(), connectLatency: newHistogram(),
		reconnectLatency: newHistogram(), ackedSeqs: map[string][]int64{}}
	for i := range s.classes {
		s.classes[i] = newHistogram()
	}
	return s
}

// openWindow and closeWindow mark the window (sent times) whose latencies
// are also recorded apart.
func (s *stats) openWindow(at time.Time)  { s.winStart.Store(at.UnixNano()) }
func (s *stats) closeWindow(at time.Time) { s.winEnd.Store(at.UnixNano()) }

func (s *stats) inWindow(sent time.Time) bool {
	start := s.winStart.Load()
	if start == 0 || sent.UnixNano() < start {
		return false
	}
	end := s.winEnd.Load()
	return end == 0 || sent.UnixNano() <= end
}

func (s *stats) noteAck(channel string, seq int64) {
	s.mu.Lock()
	s.ackedSeqs[channel] = append(s.ackedSeqs[channel], seq)
	s.mu.Unlock()
}

func (s *stats) noteError(msg string) {
	s.mu.Lock()
	if len(s.errSample) < 10 {
		s.errSample = append(s.errSample, msg)
	}
	s.mu.Unlock()
}
