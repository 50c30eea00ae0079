package hub

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/pgtest"
	"parley/storage/postgres"
	"parley/storage/sqlite"
	"parley/storage/storetest"
)

// switchBroker is a memory broker that can go down as Redis does: while
// down it still hands this node's publishes to its own hub (HandleLocal,
// as RedisBroker does) but carries nothing between nodes. goDown/goUp
// report the outage as RedisBroker's receive loop does.
type switchBroker struct {
	*MemoryBroker
	down atomic.Bool
	mu   sync.Mutex
	h    BrokerHandler
}

func (b *switchBroker) SetHandler(h BrokerHandler) {
	b.mu.Lock()
	b.h = h
	b.mu.Unlock()
	b.MemoryBroker.SetHandler(h)
}

func (b *switchBroker) handler() BrokerHandler {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.h
}

func (b *switchBroker) Publish(ctx context.Context, ch string, payload []byte) error {
	b.handler().HandleLocal(ch, payload)
	if b.down.Load() {
		return nil // lost, as a publish to a Redis that is down
	}
	return b.MemoryBroker.Publish(ctx, ch, payload)
}

func (b *switchBroker) goDown() { b.down.Store(true); b.handler().HandleDisconnect() }
func (b *switchBroker) goUp()   { b.down.Store(false); b.handler().HandleReconnect() }

// storeNode is one node: a hub and its chat.Service over a shared real
// store.
type storeNode struct {
	*env
	broker *switchBroker
}

// storeCluster starts two nodes on st, each with its own service and
// broker on one memory bus; principals maps session ids to principals.
func storeCluster(t *testing.T, st chat.Store, principals map[string]*chat.Principal, opts ...envOption) [2]*storeNode {
	bus := NewMemoryBroker()
	brokers := [2]*switchBroker{{MemoryBroker: bus}, {MemoryBroker: bus.Peer()}}
	var nodes [2]*storeNode
	for i, b := range brokers {
		svc := chat.NewService(chat.Config{Store: st, Publisher: Publisher{Broker: b}, Logger: zerolog.Nop()})
		reg := prometheus.NewRegistry()
		cfg := Config{
			Service:  hubDomain{svc.Sessions, svc.Messages, svc.Directory},
			Broker:   b,
			Presence: NewMemoryPresence(),
			Authenticate: func(r *http.Request) (*chat.Principal, error) {
				if p := principals[r.Header.Get("X-Session")]; p != nil {
					return p, nil
				}
				return nil, chat.Errorf(chat.EUnauthenticated, "no session")
			},
			Registerer:     reg,
			SessionRecheck: -1,
			RateLimit:      10_000,
			RateBurst:      10_000,
			PollInterval:   20 * time.Millisecond,
			NodeID:         fmt.Sprint("node-", i),
		}
		for _, o := range opts {
			o(&cfg)
		}
		nodes[i] = &storeNode{env: serveHub(t, cfg, reg), broker: b}
	}
	return nodes
}

// hubDomain is the domain as cmd/parley wires it for the hub.
type hubDomain struct {
	*chat.SessionService
	*chat.MessageService
	*chat.DirectoryService
}

// storeEngines are the real stores the catch-up tests run on.
var storeEngines = map[string]func(t *testing.T) chat.Store{
	"sqlite": func(t *testing.T) chat.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), zerolog.Nop())
		must(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	},
	"postgres": func(t *testing.T) chat.Store {
		st, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), zerolog.Nop())
		must(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	},
}

// onStoreEngines runs fn once per real store, as parallel subtests named
// after the engine.
func onStoreEngines(t *testing.T, fn func(t *testing.T, st chat.Store)) {
	for name, open := range storeEngines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// topicCluster is two nodes on st and the channel of a topic whose members
// have the sessions "a" and "m".
func topicCluster(t *testing.T, st chat.Store, opts ...envOption) (string, [2]*storeNode) {
	ch, principals := topicWorld(t, st)
	return ch, storeCluster(t, st, principals, opts...)
}

// topicWorld is a topic two members post in, on a real store.
func topicWorld(t *testing.T, st chat.Store) (string, map[string]*chat.Principal) {
	f := storetest.NewFixture(t, st, "catchup")
	g := f.NewGroup(t, "group", f.EmployeeA.ID, f.Manager.ID)
	topic := f.NewTopic(t, g.ID, "topic")
	return chat.TopicChannel(topic.ID).String(), map[string]*chat.Principal{
		"a": {TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, SessionID: "a", Name: f.EmployeeA.Name},
		"m": {TenantID: f.Tenant.ID, UserID: f.Manager.ID, SessionID: "m", Name: f.Manager.Name},
	}
}

// While the broker is down a node delivers its own publishes to its own
// subscribers and catches up the other node's from the database; while it
// is flaky (the hub polls but the broker still delivers) the two streams
// overlap. Every subscriber gets every event once and in order, and the
// broker stream takes over again when it returns.
func TestCatchUpWithoutBroker(t *testing.T) {
	t.Parallel()
	onStoreEngines(t, func(t *testing.T, st chat.Store) {
		ch, nodes := topicCluster(t, st)
		a, a2 := nodes[0].dial("a"), nodes[0].dial("m") // node A
		m := nodes[1].dial("m")                         // node B
		for _, c := range []*client{a, a2, m} {
			c.subscribe("s", ch, nil)
		}
		seq := 0
		post := func(c *client, n int) {
			for range n {
				seq++
				if f := c.publish(fmt.Sprint("p", seq), ch, fmt.Sprint("body ", seq), fmt.Sprint("c", seq)); f.Type != "ack" || f.Seq != int64(seq) {
					t.Fatalf("publish %d: %+v", seq, f)
				}
			}
		}
		post(a, 3) // broker up
		for _, n := range nodes {
			n.broker.goDown()
		}
		if metricValue(nodes[0].hub.m.brokerUp) != 0 {
			t.Fatal("broker_up not 0 while down")
		}
		for range 5 { // both nodes publish while down
			post(a, 2)
			post(m, 2)
		}
		// Everyone has everything while still down: the other node's
		// events came from the database (the poll, or a gap fill that
		// a later local event opened).
		clients := map[string]*client{"a (node A)": a, "a2 (node A)": a2, "m (node B)": m}
		got := map[string][]int64{}
		for who, c := range clients {
			got[who] = c.messageSeqs(ch, int64(seq))
		}
		eventually(t, "catch-up polls while down", func() bool {
			return metricValue(nodes[0].hub.m.polls) > 0 && metricValue(nodes[1].hub.m.polls) > 0
		})
		// Flaky: the hubs believe the broker down, so they poll, but it
		// still delivers: the same events come by both paths.
		for _, n := range nodes {
			n.broker.down.Store(false)
		}
		for range 5 {
			post(m, 2)
			post(a, 2)
		}
		for _, n := range nodes {
			n.broker.goUp()
		}
		if metricValue(nodes[1].hub.m.brokerUp) != 1 {
			t.Fatal("broker_up not 1 after the reconnect")
		}
		post(m, 3)
		last := int64(seq)
		for who, c := range clients {
			checkContiguous(t, who, append(got[who], c.messageSeqs(ch, last)...), 1, last)
		}
		// Nothing beyond: no duplicate is still queued.
		post(a, 1)
		for who, c := range map[string]*client{"a": a, "a2": a2, "m": m} {
			if got := c.messageSeqs(ch, last+1); len(got) != 1 || got[0] != last+1 {
				t.Fatalf("%s after the outage: %v", who, got)
			}
		}
	})
}

// Without the poll (PollInterval < 0) a node still delivers its own
// publishes to its own subscribers while the broker is down, and the
// other node gets them from the database once the broker is back.
func TestLocalDeliveryWithoutBroker(t *testing.T) {
	t.Parallel()
	st := storeEngines["sqlite"](t)
	ch, nodes := topicCluster(t, st, func(c *Config) { c.PollInterval = -1 })
	a, a2 := nodes[0].dial("a"), nodes[0].dial("m")
	m := nodes[1].dial("m")
	for _, c := range []*client{a, a2, m} {
		c.subscribe("s", ch, nil)
	}
	for _, n := range nodes {
		n.broker.goDown()
	}
	for i := range 5 {
		a.publish(fmt.Sprint("p", i), ch, "x", fmt.Sprint("c", i))
	}
	checkContiguous(t, "same node while down", a2.messageSeqs(ch, 5), 1, 5)
	for len(m.frames) > 0 {
		if f := <-m.frames; f.Type == "event" && f.Event == string(chat.EventMessageNew) {
			t.Fatalf("other node got %+v without broker or poll", f)
		}
	}
	for _, n := range nodes {
		n.broker.goUp()
	}
	checkContiguous(t, "other node after the reconnect", m.messageSeqs(ch, 5), 1, 5)
	checkContiguous(t, "publisher", a.messageSeqs(ch, 5), 1, 5)
}

// A subscription the broker cannot confirm does not fail the subscribe:
// the channel is polled until HandleConfirm.
func TestUnconfirmedSubscriptionIsPolled(t *testing.T) {
	t.Parallel()
	st := storeEngines["sqlite"](t)
	ch, nodes := topicCluster(t, st, func(c *Config) { c.BrokerWait = time.Millisecond })
	a := nodes[0].dial("a")
	a.subscribe("s", ch, nil)
	// Node B's broker loses the channel's messages (as before a late
	// confirmation); its hub marked the channel unconfirmed by hand.
	m := nodes[1].dial("m")
	m.subscribe("s", ch, nil)
	nodes[1].hub.mu.RLock()
	cs := nodes[1].hub.channels[ch]
	nodes[1].hub.mu.RUnlock()
	cs.mu.Lock()
	cs.unconfirmed = true
	cs.mu.Unlock()
	must(t, nodes[1].broker.MemoryBroker.Unsubscribe(context.Background(), ch))
	for i := range 4 {
		a.publish(fmt.Sprint("p", i), ch, "x", fmt.Sprint("c", i))
	}
	checkContiguous(t, "unconfirmed channel, polled", m.messageSeqs(ch, 4), 1, 4)
	must(t, nodes[1].broker.MemoryBroker.Subscribe(context.Background(), ch))
	nodes[1].hub.HandleConfirm(ch)
	a.publish("p5", ch, "x", "c5")
	checkContiguous(t, "after the confirmation", m.messageSeqs(ch, 5), 5, 5)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.unconfirmed {
		t.Fatal("still unconfirmed after HandleConfirm")
	}
}

// One node cut off from the broker while the other still reaches it: the
// cut-off node records its outage in the database, and the other, whose
// broker is up, catches up what it publishes from there until it is
// back. Without the record nothing it publishes reaches the other node
// until that node's channel shows a gap.
func TestCatchUpWhileAnotherNodeIsCutOff(t *testing.T) {
	t.Parallel()
	onStoreEngines(t, func(t *testing.T, st chat.Store) {
		ch, nodes := topicCluster(t, st)
		a := nodes[0].dial("a") // node A, to be cut off
		m := nodes[1].dial("m") // node B
		a.subscribe("s", ch, nil)
		m.subscribe("s", ch, nil)
		if f := a.publish("p1", ch, "before", "c1"); f.Type != "ack" {
			t.Fatalf("publish: %+v", f)
		}
		checkContiguous(t, "node A, broker up", a.messageSeqs(ch, 1), 1, 1)
		checkContiguous(t, "node B, broker up", m.messageSeqs(ch, 1), 1, 1)

		nodes[0].broker.goDown() // node A only: B's broker stays up
		for i := 2; i <= 4; i++ {
			if f := a.publish(fmt.Sprint("p", i), ch, "cut off", fmt.Sprint("c", i)); f.Type != "ack" {
				t.Fatalf("publish %d: %+v", i, f)
			}
		}
		checkContiguous(t, "node A's own subscriber", a.messageSeqs(ch, 4), 2, 4)
		checkContiguous(t, "node B while node A is cut off", m.messageSeqs(ch, 4), 2, 4)
		if v := metricValue(nodes[1].hub.m.peerOutages); v != 1 {
			t.Fatalf("node B's catchup_peer_outages = %v, want 1", v)
		}
		// Node B's publishes reach node A too (here by the memory bus
		// or A's poll, whichever first).
		if f := m.publish("p5", ch, "from B", "c5"); f.Type != "ack" {
			t.Fatalf("publish 5: %+v", f)
		}
		checkContiguous(t, "node A, cut off", a.messageSeqs(ch, 5), 5, 5)
		checkContiguous(t, "node B's publisher", m.messageSeqs(ch, 5), 5, 5)

		nodes[0].broker.goUp()
		eventually(t, "node B sees no outage", func() bool { return metricValue(nodes[1].hub.m.peerOutages) == 0 })
		left, err := st.BrokerOutageNodes(t.Context(), time.Now())
		must(t, err)
		if len(left) != 0 {
			t.Fatalf("outage records left after the broker is back: %v", left)
		}
		if f := a.publish("p6", ch, "after", "c6"); f.Type != "ack" {
			t.Fatalf("publish 6: %+v", f)
		}
		checkContiguous(t, "node B after the outage", m.messageSeqs(ch, 6), 6, 6)
		checkContiguous(t, "node A after the outage", a.messageSeqs(ch, 6), 6, 6)
	})
}
