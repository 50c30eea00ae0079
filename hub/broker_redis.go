package hub

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"parley/chat"
)

// RedisBrokerOptions tunes a RedisBroker. Zero values are defaults.
type RedisBrokerOptions struct {
	// HealthInterval is how long the receive loop waits for traffic before
	// pinging the pub/sub connection; a ping unanswered for another
	// interval replaces the connection, so a Redis that hangs is noticed
	// within two intervals. Zero: 1 s.
	HealthInterval time.Duration
	// Logger receives reconnect notices. Zero: discarded.
	Logger zerolog.Logger
}

// RedisBroker is the Broker of a cluster: Redis pub/sub on channels named
// prefix+channel. It runs one receive loop which never blocks (the handler
// does not block), so go-redis never drops a message for a slow reader; a
// lost connection is re-established, every channel resubscribed, and the
// handler told through HandleReconnect so it can fill gaps from the
// database.
type RedisBroker struct {
	client *redis.Client
	prefix string
	opts   RedisBrokerOptions
	log    zerolog.Logger

	// handler is read on every publish: never behind mu, which a
	// reconnect may hold while Redis hangs.
	handler atomic.Pointer[BrokerHandler]

	mu      sync.Mutex
	ps      *redis.PubSub
	subs    map[string]struct{}        // desired subscriptions (prefixed)
	waiters map[string][]chan struct{} // Subscribe calls awaiting confirmation
	late    map[string]struct{}        // given up waiting for: HandleConfirm when confirmed
	closed  bool

	down        atomic.Bool // the receive loop lost its connection
	publishFail atomic.Bool // the last publish failed (logged once per streak)

	out        chan outMsg   // publishes the sender has yet to send
	sent       chan struct{} // closed when the sender ended
	cancel     context.CancelFunc
	done       chan struct{}
	reconnects atomic.Int64
	dropped    atomic.Int64
}

// outMsg is one publish on its way to Redis.
type outMsg struct {
	key     string
	payload []byte
}

// publishQueue bounds the publishes waiting for Redis; beyond it they are
// dropped (the other nodes read them from the database).
const publishQueue = 8192

var _ Broker = (*RedisBroker)(nil)

// NewRedisBroker starts a broker on client. prefix namespaces its Redis
// channels (e.g. "parley:"); nodes of one cluster use the same prefix. The
// client stays owned by the caller; Close does not close it.
func NewRedisBroker(client *redis.Client, prefix string, opts RedisBrokerOptions) *RedisBroker {
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &RedisBroker{
		client:  client,
		prefix:  prefix,
		opts:    opts,
		log:     opts.Logger.With().Str("component", "hub.redisbroker").Logger(),
		ps:      client.Subscribe(ctx),
		subs:    make(map[string]struct{}),
		waiters: make(map[string][]chan struct{}),
		late:    make(map[string]struct{}),
		out:     make(chan outMsg, publishQueue),
		sent:    make(chan struct{}),
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	go b.receive(ctx)
	go b.send(ctx)
	return b
}

// Reconnects counts re-established pub/sub connections.
func (b *RedisBroker) Reconnects() int64 { return b.reconnects.Load() }

// SetHandler implements Broker.
func (b *RedisBroker) SetHandler(h BrokerHandler) {
	b.handler.Store(&h)
}

// Publish implements Broker without waiting for Redis. The payload goes to
// this node's handler first (HandleLocal), so the node's own subscribers
// never wait for Redis, then to a queue the sender pipelines to Redis in
// order. A publish Redis does not take (down, hung, the queue full) is
// dropped and logged once per run of failures, not returned: the event is
// committed, this node delivered it, and the other nodes read it from the
// database (their catch-up poll while Redis is down, or a gap fill).
func (b *RedisBroker) Publish(ctx context.Context, channel string, payload []byte) error {
	if h := b.getHandler(); h != nil {
		h.HandleLocal(channel, payload)
	}
	select {
	case b.out <- outMsg{key: b.prefix + channel, payload: payload}:
	default:
		b.dropped.Add(1)
		b.publishFailed(errors.New("publish queue full"))
	}
	return nil
}

// Dropped counts publishes that did not reach Redis.
func (b *RedisBroker) Dropped() int64 { return b.dropped.Load() }

func (b *RedisBroker) publishFailed(err error) {
	if !b.publishFail.Swap(true) {
		b.log.Warn().Err(err).Msg("redis publish failed; other nodes catch up from the database")
	}
}

// send is the only writer of publishes: it sends what is queued, up to 256
// at a time in one pipeline, so one node's publishes reach Redis in order.
func (b *RedisBroker) send(ctx context.Context) {
	defer close(b.sent)
	batch := make([]outMsg, 0, 256)
	flush := func(ctx context.Context) {
		pipe := b.client.Pipeline()
		for _, m := range batch {
			pipe.Publish(ctx, m.key, m.payload)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.dropped.Add(int64(len(batch)))
			b.publishFailed(err)
		} else if b.publishFail.Swap(false) {
			b.log.Info().Msg("redis publish works again")
		}
		clear(batch)
		batch = batch[:0]
	}
	for {
		select {
		case m := <-b.out:
			batch = append(batch, m)
		case <-ctx.Done():
			// Closing: what is queued gets one short try.
			for len(b.out) > 0 && len(batch) < cap(batch) {
				batch = append(batch, <-b.out)
			}
			if len(batch) > 0 {
				fctx, cancel := context.WithTimeout(context.Background(), time.Second)
				flush(fctx)
				cancel()
			}
			return
		}
		for len(batch) < cap(batch) && len(b.out) > 0 {
			batch = append(batch, <-b.out)
		}
		flush(ctx)
	}
}

// Subscribe implements Broker: it waits for Redis to confirm the
// subscription, so that a replay read from the database afterwards cannot
// miss a message published in between. While the connection is down, or
// when ctx ends first, it returns ErrUnconfirmed and keeps the
// subscription (go-redis sends it on the next connection).
func (b *RedisBroker) Subscribe(ctx context.Context, channel string) error {
	key := b.prefix + channel
	confirmed := make(chan struct{})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return chat.Errorf(chat.EUnavailable, "message broker is closed")
	}
	b.subs[key] = struct{}{}
	b.waiters[key] = append(b.waiters[key], confirmed)
	ps := b.ps
	b.mu.Unlock()

	// A failed write is not final: go-redis keeps the channel in its set and
	// resubscribes it when the receive loop reconnects, which confirms it.
	_ = ps.Subscribe(ctx, key)
	var wait <-chan struct{} = ctx.Done()
	if b.down.Load() {
		closed := make(chan struct{})
		close(closed)
		wait = closed
	}
	select {
	case <-confirmed:
		return nil
	case <-wait:
		b.mu.Lock()
		ws := b.waiters[key]
		for i, w := range ws {
			if w == confirmed {
				b.waiters[key] = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(b.waiters[key]) == 0 {
			delete(b.waiters, key)
		}
		b.late[key] = struct{}{}
		b.mu.Unlock()
		return &chat.Error{Code: chat.EUnavailable, Message: "message broker unavailable", Err: ErrUnconfirmed}
	}
}

// Unsubscribe implements Broker.
func (b *RedisBroker) Unsubscribe(ctx context.Context, channel string) error {
	key := b.prefix + channel
	b.mu.Lock()
	delete(b.subs, key)
	delete(b.late, key)
	ps := b.ps
	b.mu.Unlock()
	// An error means the connection broke: the reconnect does not
	// resubscribe key, which is what was asked.
	_ = ps.Unsubscribe(ctx, key)
	return nil
}

// Close implements Broker.
func (b *RedisBroker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	ps := b.ps
	b.mu.Unlock()
	b.cancel()
	_ = ps.Close()
	<-b.done
	<-b.sent
	return nil
}

// receive is the only reader of the pub/sub connection.
func (b *RedisBroker) receive(ctx context.Context) {
	defer close(b.done)
	var (
		lost     bool // the connection failed; messages may have been lost
		pingSent bool
		failures int
	)
	for {
		b.mu.Lock()
		ps, closed := b.ps, b.closed
		b.mu.Unlock()
		if closed {
			return
		}
		msg, err := ps.ReceiveTimeout(ctx, b.opts.HealthInterval)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var netErr net.Error
			switch {
			case errors.Is(err, redis.ErrClosed):
				// Replaced by resetPubSub (or closing): read the new one.
			case errors.As(err, &netErr) && netErr.Timeout() && !pingSent:
				// Idle: a ping proves the connection (its pong is traffic).
				_ = ps.Ping(ctx)
				pingSent = true
			case errors.As(err, &netErr) && netErr.Timeout():
				// The ping went unanswered: the connection is silently dead.
				b.log.Warn().Msg("redis pub/sub connection unresponsive; replacing it")
				if !lost {
					b.setDown()
				}
				lost, pingSent = true, false
				b.resetPubSub(ctx)
			default:
				// go-redis reconnects and resubscribes on the next receive.
				if !lost {
					b.log.Warn().Err(err).Msg("redis pub/sub connection lost; reconnecting")
					b.setDown()
				}
				lost, pingSent = true, false
				failures++
				wait := min(time.Duration(failures)*100*time.Millisecond, 2*time.Second)
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			continue
		}
		failures, pingSent = 0, false
		if lost {
			// A reply on the new connection comes after its resubscribe
			// (commands on one connection run in order): every channel
			// is live again, so the hub may fill what was lost.
			lost = false
			b.down.Store(false)
			b.reconnects.Add(1)
			b.log.Info().Msg("redis pub/sub connection re-established")
			if h := b.getHandler(); h != nil {
				h.HandleReconnect()
			}
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.confirm(m.Channel)
			}
		case *redis.Message:
			if h := b.getHandler(); h != nil {
				h.HandleMessage(strings.TrimPrefix(m.Channel, b.prefix), []byte(m.Payload))
			}
		}
	}
}

func (b *RedisBroker) getHandler() BrokerHandler {
	if h := b.handler.Load(); h != nil {
		return *h
	}
	return nil
}

// setDown reports a lost connection to the handler.
func (b *RedisBroker) setDown() {
	b.down.Store(true)
	if h := b.getHandler(); h != nil {
		h.HandleDisconnect()
	}
}

func (b *RedisBroker) confirm(key string) {
	b.mu.Lock()
	ws := b.waiters[key]
	delete(b.waiters, key)
	_, late := b.late[key]
	delete(b.late, key)
	b.mu.Unlock()
	h := b.getHandler()
	for _, w := range ws {
		close(w)
	}
	if late && h != nil {
		h.HandleConfirm(strings.TrimPrefix(key, b.prefix))
	}
}

// resetPubSub replaces the pub/sub connection with a fresh one subscribed
// to every desired channel. The new connection is made outside mu: with
// Redis hung, dialling and its handshake wait for their timeout, and
// Subscribe and Unsubscribe must not wait with them.
func (b *RedisBroker) resetPubSub(ctx context.Context) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	keys := make(map[string]struct{}, len(b.subs))
	for k := range b.subs {
		keys[k] = struct{}{}
	}
	b.mu.Unlock()

	sctx, cancel := context.WithTimeout(ctx, b.opts.HealthInterval)
	defer cancel()
	// Errors are not final: the new PubSub reconnects on its next receive.
	ps := b.client.Subscribe(sctx, slices.Collect(maps.Keys(keys))...)

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = ps.Close()
		return
	}
	// Channels subscribed meanwhile went to the old connection.
	var missed []string
	for k := range b.subs {
		if _, ok := keys[k]; !ok {
			missed = append(missed, k)
		}
	}
	old := b.ps
	b.ps = ps
	b.mu.Unlock()
	_ = old.Close()
	if len(missed) > 0 {
		_ = ps.Subscribe(sctx, missed...)
	}
}
