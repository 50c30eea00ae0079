package hub

import (
	"context"
	"errors"
	"sync"

	"parley/chat"
)

// Broker carries encoded event frames between the nodes of a cluster.
// Delivery is at most once and unordered across publishers: the hub
// restores order and fills gaps from the database.
//
// The hub subscribes a channel on its first local subscriber and
// unsubscribes it after a grace period when the last one left; Subscribe
// and Unsubscribe of one channel are never called concurrently.
type Broker interface {
	// SetHandler installs the receiver of messages and reconnects. The hub
	// calls it once, in New, before any Subscribe.
	SetHandler(h BrokerHandler)
	// Publish sends payload to every node subscribed to channel.
	Publish(ctx context.Context, channel string, payload []byte) error
	// Subscribe starts delivery of channel to the handler. It returns nil
	// once the subscription is active, so anything published after it
	// returns is delivered (unless lost, which HandleReconnect reports).
	// When the broker cannot confirm it before ctx ends (it is down or
	// slow) it returns an error wrapping ErrUnconfirmed and keeps the
	// subscription: HandleConfirm or HandleReconnect reports it active
	// later, until then deliveries may be missed. Any other error: not
	// subscribed.
	Subscribe(ctx context.Context, channel string) error
	// Unsubscribe stops delivery of channel.
	Unsubscribe(ctx context.Context, channel string) error
	// Close stops the broker; later calls return nil.
	Close() error
}

// BrokerHandler receives from a Broker. Its methods must not block: the
// Redis broker calls them from its only receive loop.
type BrokerHandler interface {
	// HandleMessage receives a payload published to a subscribed channel.
	// Payload is never reused by the broker: the handler may keep it but
	// must not modify it (all nodes of a memory bus share it).
	HandleMessage(channel string, payload []byte)
	// HandleReconnect reports that the broker's subscriptions were lost and
	// are active again: messages published meanwhile may be lost.
	HandleReconnect()
	// HandleDisconnect reports that the broker lost its connection: until
	// HandleReconnect nothing published on other nodes arrives, and what
	// this node publishes may not reach them.
	HandleDisconnect()
	// HandleConfirm reports that a subscription Subscribe could not
	// confirm (ErrUnconfirmed) is active now.
	HandleConfirm(channel string)
	// HandleLocal receives a payload this node publishes, before the
	// broker sends it on, from a broker whose own subscriptions do not
	// deliver to this node in time when the broker is down (Redis). The
	// same payload may also arrive through HandleMessage later.
	HandleLocal(channel string, payload []byte)
}

// ErrUnconfirmed marks a subscription the broker keeps but could not
// confirm yet (see Broker.Subscribe).
var ErrUnconfirmed = errors.New("broker subscription not confirmed yet")

// MemoryBroker is the in-process Broker for a single node. Peers made with
// Peer share its bus, which lets tests run several hubs in one process.
type MemoryBroker struct {
	bus *memoryBus

	mu      sync.Mutex
	handler BrokerHandler
	subs    map[string]struct{}
	closed  bool
}

type memoryBus struct {
	mu    sync.RWMutex
	nodes []*MemoryBroker
}

var _ Broker = (*MemoryBroker)(nil)

// NewMemoryBroker returns an in-process broker on a new bus.
func NewMemoryBroker() *MemoryBroker {
	return (&memoryBus{}).add()
}

// Peer returns another broker on the same bus, as if on another node.
func (b *MemoryBroker) Peer() *MemoryBroker { return b.bus.add() }

func (bus *memoryBus) add() *MemoryBroker {
	b := &MemoryBroker{bus: bus, subs: make(map[string]struct{})}
	bus.mu.Lock()
	bus.nodes = append(bus.nodes, b)
	bus.mu.Unlock()
	return b
}

// SetHandler implements Broker.
func (b *MemoryBroker) SetHandler(h BrokerHandler) {
	b.mu.Lock()
	b.handler = h
	b.mu.Unlock()
}

// Publish implements Broker: it hands payload to the handler of every
// subscribed node before returning (handlers do not block).
func (b *MemoryBroker) Publish(ctx context.Context, channel string, payload []byte) error {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return chat.Errorf(chat.EUnavailable, "broker is closed")
	}
	b.bus.mu.RLock()
	defer b.bus.mu.RUnlock()
	for _, n := range b.bus.nodes {
		n.mu.Lock()
		_, ok := n.subs[channel]
		h := n.handler
		n.mu.Unlock()
		if ok && h != nil {
			h.HandleMessage(channel, payload)
		}
	}
	return nil
}

// Subscribe implements Broker.
func (b *MemoryBroker) Subscribe(ctx context.Context, channel string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return chat.Errorf(chat.EUnavailable, "broker is closed")
	}
	b.subs[channel] = struct{}{}
	return nil
}

// Unsubscribe implements Broker.
func (b *MemoryBroker) Unsubscribe(ctx context.Context, channel string) error {
	b.mu.Lock()
	delete(b.subs, channel)
	b.mu.Unlock()
	return nil
}

// Close implements Broker.
func (b *MemoryBroker) Close() error {
	b.mu.Lock()
	b.closed = true
	b.subs = make(map[string]struct{})
	b.mu.Unlock()
	return nil
}

// SimulateReconnect reports a reconnect to the handler, as the Redis broker
// does after losing its connection; for tests.
func (b *MemoryBroker) SimulateReconnect() {
	b.mu.Lock()
	h := b.handler
	b.mu.Unlock()
	if h != nil {
		h.HandleReconnect()
	}
}
