package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultyBroker is a memory broker that loses, duplicates and reorders
// sequenced deliveries on purpose, as Redis pub/sub may across nodes.
type faultyBroker struct {
	*MemoryBroker
	mu        sync.Mutex
	drop      map[int64]bool
	dup       map[int64]bool
	holdUntil map[int64]int64 // seq -> delivered right after this later seq
	held      map[int64][][]byte
}

func newFaultyBroker() *faultyBroker {
	return &faultyBroker{MemoryBroker: NewMemoryBroker(), drop: map[int64]bool{}, dup: map[int64]bool{},
		holdUntil: map[int64]int64{}, held: map[int64][][]byte{}}
}

func (b *faultyBroker) Publish(ctx context.Context, ch string, payload []byte) error {
	ev, _ := decodeEnvelope(payload)
	b.mu.Lock()
	if ev.seq == 0 {
		b.mu.Unlock()
		return b.MemoryBroker.Publish(ctx, ch, payload)
	}
	if b.drop[ev.seq] {
		b.mu.Unlock()
		return nil
	}
	if until, ok := b.holdUntil[ev.seq]; ok {
		b.held[until] = append(b.held[until], payload)
		b.mu.Unlock()
		return nil
	}
	release := b.held[ev.seq]
	delete(b.held, ev.seq)
	dup := b.dup[ev.seq]
	b.mu.Unlock()
	if err := b.MemoryBroker.Publish(ctx, ch, payload); err != nil {
		return err
	}
	if dup {
		_ = b.MemoryBroker.Publish(ctx, ch, payload)
	}
	for _, p := range release {
		_ = b.MemoryBroker.Publish(ctx, ch, p)
	}
	return nil
}

// Lost, duplicated and reordered broker deliveries are fixed by gap
// filling, once per channel rather than once per subscriber.
func TestGapFillingFixesBrokerFaults(t *testing.T) {
	t.Parallel()
	b := newFaultyBroker()
	b.drop[3] = true
	b.dup[5] = true
	b.dup[9] = true
	b.holdUntil[7] = 8  // 8 arrives before 7
	b.holdUntil[10] = 9 // 10 arrives after a duplicate 9
	e := newEnv(t, nil, b)
	const subscribers = 5
	clients := e.subscribers(subscribers, "topic:1")
	pub := clients[0]
	for j := range 12 {
		pub.publish(fmt.Sprint("p", j), "topic:1", "x", "")
	}
	for i, c := range clients {
		checkContiguous(t, fmt.Sprint("client ", i), c.messageSeqs("topic:1", 12), 1, 12)
	}
	// Three gaps (3 lost, 7 late, 10 late) for one channel: at most a couple of
	// reads each, however many subscribers.
	if n := e.svc.resyncCalls.Load(); n == 0 || n > 6 {
		t.Fatalf("resync reads: %d", n)
	}
	if n := metricValue(e.hub.m.resyncs); n == 0 || n > 3 {
		t.Fatalf("resyncs metric: %v", n)
	}
}

// After a broker reconnect, events lost meanwhile are read from the
// database even when no later event reveals the gap.
func TestBrokerReconnectResyncs(t *testing.T) {
	t.Parallel()
	b := newFaultyBroker()
	b.drop[4] = true
	b.drop[5] = true
	e := newEnv(t, nil, b)
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.subscribe("s", "topic:2", nil)
	for j := range 5 {
		a.publish(fmt.Sprint("p", j), "topic:2", "x", "")
	}
	checkContiguous(t, "before reconnect", a.messageSeqs("topic:2", 3), 1, 3)
	b.SimulateReconnect()
	checkContiguous(t, "after reconnect", a.messageSeqs("topic:2", 5), 4, 5)
	if metricValue(e.hub.m.brokerReconnects) != 1 {
		t.Fatal("reconnect not counted")
	}
}

// A subscriber joining while gaps are being filled still sees every event
// once, in order.
func TestSubscribeDuringGapsAndReplay(t *testing.T) {
	t.Parallel()
	b := newFaultyBroker()
	for s := int64(2); s+3 <= 200; s += 7 {
		b.drop[s] = true
		b.holdUntil[s+2] = s + 3
	}
	e := newEnv(t, nil, b, func(c *Config) { c.ReplayPageSize = 5 })
	e.svc.addSession("p", 1, 1)
	e.svc.addSession("r", 1, 2)
	pub := e.dial("p")
	first := e.dial("r")
	first.subscribe("s", "topic:3", nil)
	done := pub.publishInBackground("topic:3", 200)
	seqs := first.messageSeqs("topic:3", 50)
	late := e.dial("r")
	late.subscribe("s", "topic:3", ptr(int64(10)))
	<-done
	rest := first.messageSeqs("topic:3", 200)
	checkContiguous(t, "first", append(seqs, rest...), 1, 200)
	checkContiguous(t, "late", late.messageSeqs("topic:3", 200), 11, 200)
}

// countingBroker counts broker subscription changes.
type countingBroker struct {
	*MemoryBroker
	subs, unsubs atomic.Int64
}

func (b *countingBroker) Subscribe(ctx context.Context, ch string) error {
	if ch != "user:1" {
		b.subs.Add(1)
	}
	return b.MemoryBroker.Subscribe(ctx, ch)
}

func (b *countingBroker) Unsubscribe(ctx context.Context, ch string) error {
	if ch != "user:1" {
		b.unsubs.Add(1)
	}
	return b.MemoryBroker.Unsubscribe(ctx, ch)
}

// The node subscribes a channel once for all local subscribers, keeps it
// through a quick resubscribe, and releases it after the grace period.
func TestBrokerSubscriptionGracePeriod(t *testing.T) {
	t.Parallel()
	b := &countingBroker{MemoryBroker: NewMemoryBroker()}
	// The resubscribe below must land within the grace period: two socket
	// round trips, which a starved -race run may stretch far beyond the
	// milliseconds they usually take.
	e := newEnv(t, nil, b, func(c *Config) { c.UnsubscribeGrace = 5 * time.Second })
	e.svc.addSession("a", 1, 1)
	c1, c2 := e.dial("a"), e.dial("a")
	c1.subscribe("s", "topic:1", nil)
	c2.subscribe("s", "topic:1", nil)
	if b.subs.Load() != 1 {
		t.Fatalf("broker subscriptions: %d", b.subs.Load())
	}
	c1.send(map[string]any{"type": "unsubscribe", "id": "u", "channel": "topic:1"})
	c1.answer("u")
	c2.send(map[string]any{"type": "unsubscribe", "id": "u", "channel": "topic:1"})
	c2.answer("u")
	c1.subscribe("s2", "topic:1", nil) // within the grace period
	if b.subs.Load() != 1 || b.unsubs.Load() != 0 {
		t.Fatalf("resubscribe within grace: subs %d unsubs %d", b.subs.Load(), b.unsubs.Load())
	}
	c1.send(map[string]any{"type": "unsubscribe", "id": "u2", "channel": "topic:1"})
	c1.answer("u2")
	eventually(t, "broker unsubscribe", func() bool { return b.unsubs.Load() == 1 })
	c2.subscribe("s3", "topic:1", nil)
	if b.subs.Load() != 2 {
		t.Fatalf("subscribe after release: %d", b.subs.Load())
	}
	// Metrics live on the registry given in Config.
	mfs, err := e.reg.Gather()
	must(t, err)
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"parley_hub_connections", "parley_hub_subscriptions", "parley_hub_frames_in_total",
		"parley_hub_frames_out_total", "parley_hub_publish_duration_seconds"} {
		if !names[n] {
			t.Errorf("metric %s not registered (have %v)", n, names)
		}
	}
}
