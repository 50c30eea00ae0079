package hub

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"parley/hub/redistest"
)

// recorder is a BrokerHandler for tests.
type recorder struct {
	msgs       chan brokerMsg
	reconnects atomic.Int64
}

type brokerMsg struct {
	channel string
	payload []byte
}

func newRecorder() *recorder { return &recorder{msgs: make(chan brokerMsg, 10_000)} }

func (r *recorder) HandleMessage(ch string, p []byte) {
	r.msgs <- brokerMsg{ch, bytes.Clone(p)}
}

func (r *recorder) HandleReconnect() { r.reconnects.Add(1) }

func (r *recorder) HandleDisconnect()          {}
func (r *recorder) HandleConfirm(string)       {}
func (r *recorder) HandleLocal(string, []byte) {}

func (r *recorder) next(t *testing.T) brokerMsg {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a broker message")
	}
	return brokerMsg{}
}

// wantPayload fails t unless the next message carries payload.
func (r *recorder) wantPayload(t *testing.T, payload string) {
	t.Helper()
	if m := r.next(t); string(m.payload) != payload {
		t.Fatalf("got %q, want %q", m.payload, payload)
	}
}

// brokerPair returns two brokers of one cluster (as on two nodes).
type brokerPair func(t *testing.T) (Broker, Broker)

func memoryBrokers(t *testing.T) (Broker, Broker) {
	a := NewMemoryBroker()
	b := a.Peer()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

// redisBrokers are two nodes' brokers, each with its own connection as in
// production.
func redisBrokers(t *testing.T) (Broker, Broker) {
	return redisPair(t, func(r *redistest.Redis, node string) Broker {
		return NewRedisBroker(r.NewClient(r.Prefix+node), r.Prefix, RedisBrokerOptions{})
	})
}

// redisPair opens one implementation for two nodes on one fresh Redis,
// closed when t ends.
func redisPair[T io.Closer](t *testing.T, open func(r *redistest.Redis, node string) T) (T, T) {
	r := redistest.New(t)
	a, b := open(r, "a"), open(r, "b")
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

// onEveryBackend runs a conformance suite once per implementation, in
// parallel subtests named after it.
func onEveryBackend[P any](t *testing.T, backends map[string]P, run func(*testing.T, P)) {
	for name, pair := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, pair)
		})
	}
}

func TestBrokerConformance(t *testing.T) {
	t.Parallel()
	onEveryBackend(t, map[string]brokerPair{"memory": memoryBrokers, "redis": redisBrokers}, runBrokerConformance)
}

// listeningPair is a pair whose node a records what it receives; node b
// publishes (and ignores what it gets).
func listeningPair(t *testing.T, pair brokerPair) (a, b Broker, ra *recorder) {
	a, b = pair(t)
	ra = newRecorder()
	a.SetHandler(ra)
	b.SetHandler(newRecorder())
	return a, b, ra
}

func runBrokerConformance(t *testing.T, pair brokerPair) {
	ctx := context.Background()

	t.Run("DeliversToEverySubscribedNode", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		ra, rb := newRecorder(), newRecorder()
		a.SetHandler(ra)
		b.SetHandler(rb)
		must(t, a.Subscribe(ctx, "topic:1"))
		must(t, b.Subscribe(ctx, "topic:1"))
		payload := []byte("P1 1 message.new -\n{\"x\":\"\\n\"}\x00\xff")
		must(t, b.Publish(ctx, "topic:1", payload))
		for _, r := range []*recorder{ra, rb} {
			if m := r.next(t); m.channel != "topic:1" || !bytes.Equal(m.payload, payload) {
				t.Fatalf("got %q on %q", m.payload, m.channel)
			}
		}
	})

	t.Run("OnlySubscribedChannels", func(t *testing.T) {
		t.Parallel()
		a, b, ra := listeningPair(t, pair)
		must(t, a.Subscribe(ctx, "topic:1"))
		must(t, b.Publish(ctx, "topic:2", []byte("other")))
		must(t, b.Publish(ctx, "topic:1", []byte("mine")))
		ra.wantPayload(t, "mine")
	})

	t.Run("UnsubscribeStopsDelivery", func(t *testing.T) {
		t.Parallel()
		a, b, ra := listeningPair(t, pair)
		must(t, a.Subscribe(ctx, "topic:1"))
		must(t, a.Subscribe(ctx, "topic:2"))
		must(t, a.Unsubscribe(ctx, "topic:1"))
		must(t, b.Publish(ctx, "topic:1", []byte("gone")))
		must(t, b.Publish(ctx, "topic:2", []byte("marker")))
		ra.wantPayload(t, "marker")
		// And subscribing again works.
		must(t, a.Subscribe(ctx, "topic:1"))
		must(t, b.Publish(ctx, "topic:1", []byte("again")))
		ra.wantPayload(t, "again")
	})

	t.Run("OnePublisherInOrder", func(t *testing.T) {
		t.Parallel()
		a, b, ra := listeningPair(t, pair)
		must(t, a.Subscribe(ctx, "conversation:9"))
		for i := range 200 {
			must(t, b.Publish(ctx, "conversation:9", fmt.Appendf(nil, "%d", i)))
		}
		for i := range 200 {
			ra.wantPayload(t, fmt.Sprint(i))
		}
	})

	t.Run("PublishWithoutSubscribersAndDoubleClose", func(t *testing.T) {
		t.Parallel()
		a, _ := pair(t)
		a.SetHandler(newRecorder())
		must(t, a.Publish(ctx, "user:1", []byte("nobody")))
		must(t, a.Close())
		must(t, a.Close())
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A real fault: the server kills the broker's connections. The broker
// resubscribes, reports the reconnect, and delivers again.
func TestRedisBrokerResubscribesAfterKill(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	name := r.Prefix + "victim"
	a := NewRedisBroker(r.NewClient(name), r.Prefix, RedisBrokerOptions{})
	t.Cleanup(func() { _ = a.Close() })
	ra := newRecorder()
	a.SetHandler(ra)
	ctx := context.Background()
	must(t, a.Subscribe(ctx, "topic:1"))
	must(t, a.Subscribe(ctx, "topic:2"))
	if n := r.KillClients(name); n == 0 {
		t.Fatal("no connection killed")
	}
	eventually(t, "reconnect", func() bool { return ra.reconnects.Load() >= 1 })
	must(t, a.Publish(ctx, "topic:2", []byte("after")))
	if m := ra.next(t); string(m.payload) != "after" || m.channel != "topic:2" {
		t.Fatalf("got %q on %s", m.payload, m.channel)
	}
	if a.Reconnects() < 1 {
		t.Fatal("reconnects not counted")
	}
}

// Nodes on Redis behave as one: a subscriber on node B gets every message
// published on node A, in order, exactly once, even when B's pub/sub
// connection is killed mid-stream (the gap is filled from the database).
func TestTwoNodesOverRedisSurviveAKilledSubscription(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	svc := newFakeService()
	nameB := r.Prefix + "nodeB"
	brokerA := NewRedisBroker(r.NewClient(r.Prefix+"nodeA"), r.Prefix, RedisBrokerOptions{})
	brokerB := NewRedisBroker(r.NewClient(nameB), r.Prefix, RedisBrokerOptions{})
	presence := func(c *Config) {
		c.Presence = NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{})
		t.Cleanup(func() { _ = c.Presence.Close() })
	}
	nodeA := newEnv(t, svc, brokerA, presence)
	nodeB := newEnv(t, svc, brokerB, presence)
	svc.addSession("a", 1, 1)
	svc.addSession("b", 1, 2)
	ca := nodeA.dial("a")
	cb := nodeB.dial("b")
	ca.subscribe("s", "topic:1", nil)
	cb.subscribe("s", "topic:1", nil)

	// Presence is cluster-wide.
	ca.send(map[string]any{"type": "presence", "id": "o", "user_ids": []int64{2}})
	if f := ca.answer("o"); len(f.Users) != 1 || !f.Users[0].Online {
		t.Fatalf("user 2 on node B not online from node A: %+v", f)
	}

	const total = 200
	done := ca.publishInBackground("topic:1", total)
	seqs := cb.messageSeqs("topic:1", 40)
	if n := r.KillClients(nameB); n == 0 {
		t.Error("no connection killed")
	}
	<-done
	seqs = append(seqs, cb.messageSeqs("topic:1", total)...)
	checkContiguous(t, "node B subscriber", seqs, 1, total)
	checkContiguous(t, "node A subscriber", ca.messageSeqs("topic:1", total), 1, total)
	eventually(t, "reconnect counted", func() bool { return metricValue(nodeB.hub.m.brokerReconnects) >= 1 })
}
