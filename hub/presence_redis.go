package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"parley/chat"
)

// RedisPresenceOptions tunes a RedisPresence. Zero values are defaults.
type RedisPresenceOptions struct {
	// NodeID names this node inside the presence sets. Zero: random.
	NodeID string
	// TTL is how long a node's entry for a user lives without a refresh:
	// the users of a node that died go offline after at most TTL.
	// Zero: 60 s.
	TTL time.Duration
	// Refresh is how often the node renews its entries. Zero: TTL/3.
	Refresh time.Duration
	// Logger receives refresh failures. Zero: discarded.
	Logger zerolog.Logger
}

// RedisPresence keeps presence in Redis: one sorted set per user
// (prefix+"presence:<tenant>:<user>") whose members are node ids scored by
// their expiry in Redis server time (no clock skew between nodes). A
// ticker renews this node's members well before they expire; a node that
// dies stops renewing and its users expire.
type RedisPresence struct {
	client *redis.Client
	prefix string
	opts   RedisPresenceOptions
	log    zerolog.Logger

	mu    sync.Mutex // held across the Redis call of Add/Remove to keep them ordered
	count map[presenceKey]int

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var _ Presence = (*RedisPresence)(nil)

// presenceAdd (re)sets this node's member of every KEYS set to expire
// ARGV[2] ms from now, dropping members already expired.
var presenceAdd = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  redis.call('ZADD', k, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', k, ARGV[2])
end
return 1`)

// presenceCount counts the live members of every KEYS set.
var presenceCount = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, k in ipairs(KEYS) do
  out[i] = redis.call('ZCOUNT', k, '(' .. now, '+inf')
end
return out`)

// NewRedisPresence starts a Redis presence on client under prefix (nodes
// of one cluster share the prefix). Close stops its ticker; the client
// stays owned by the caller.
func NewRedisPresence(client *redis.Client, prefix string, opts RedisPresenceOptions) *RedisPresence {
	if opts.TTL <= 0 {
		opts.TTL = 60 * time.Second
	}
	if opts.Refresh <= 0 {
		opts.Refresh = opts.TTL / 3
	}
	if opts.NodeID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		opts.NodeID = hex.EncodeToString(b[:])
	}
	p := &RedisPresence{
		client: client,
		prefix: prefix,
		opts:   opts,
		log:    opts.Logger.With().Str("component", "hub.redispresence").Logger(),
		count:  make(map[presenceKey]int),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go p.refreshLoop()
	return p
}

func (p *RedisPresence) key(tenantID, userID int64) string {
	return p.prefix + "presence:" + strconv.FormatInt(tenantID, 10) + ":" + strconv.FormatInt(userID, 10)
}

func (p *RedisPresence) ttlMillis() int64 { return p.opts.TTL.Milliseconds() }

// Add implements Presence.
func (p *RedisPresence) Add(ctx context.Context, tenantID, userID int64) error {
	k := presenceKey{tenantID, userID}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count[k]++
	if p.count[k] > 1 {
		return nil
	}
	if err := presenceAdd.Run(ctx, p.client, []string{p.key(tenantID, userID)}, p.opts.NodeID, p.ttlMillis()).Err(); err != nil {
		// The entry stays counted: the next refresh writes it.
		return chat.Internal(err, "presence add")
	}
	return nil
}

// Remove implements Presence.
func (p *RedisPresence) Remove(ctx context.Context, tenantID, userID int64) error {
	k := presenceKey{tenantID, userID}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count[k] > 1 {
		p.count[k]--
		return nil
	}
	delete(p.count, k)
	if err := p.client.ZRem(ctx, p.key(tenantID, userID), p.opts.NodeID).Err(); err != nil {
		return chat.Internal(err, "presence remove")
	}
	return nil
}

// Online implements chat.Presence.
func (p *RedisPresence) Online(ctx context.Context, tenantID, userID int64) (bool, error) {
	m, err := p.OnlineMany(ctx, tenantID, []int64{userID})
	return m[userID], err
}

// OnlineMany implements Presence.
func (p *RedisPresence) OnlineMany(ctx context.Context, tenantID int64, userIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	keys := make([]string, len(userIDs))
	for i, id := range userIDs {
		keys[i] = p.key(tenantID, id)
	}
	counts, err := presenceCount.Run(ctx, p.client, keys).Int64Slice()
	if err != nil {
		return nil, chat.Internal(err, "presence count")
	}
	for i, id := range userIDs {
		out[id] = i < len(counts) && counts[i] > 0
	}
	return out, nil
}

// Close implements Presence: it stops refreshing and withdraws this node's
// users at once (they stay online if connected elsewhere).
func (p *RedisPresence) Close() error {
	p.halt()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.count) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pipe := p.client.Pipeline()
	for k := range p.count {
		pipe.ZRem(ctx, p.key(k.tenantID, k.userID), p.opts.NodeID)
	}
	p.count = make(map[presenceKey]int)
	if _, err := pipe.Exec(ctx); err != nil {
		return chat.Internal(err, "presence close")
	}
	return nil
}

// halt stops refreshing without withdrawing anything, as a node that dies.
func (p *RedisPresence) halt() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

func (p *RedisPresence) refreshLoop() {
	defer close(p.done)
	t := time.NewTicker(p.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.refresh()
		}
	}
}

// refresh renews every local entry, in chunks so one script stays short.
// It holds mu so that a concurrent Remove cannot be undone by a renewal.
func (p *RedisPresence) refresh() {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.count))
	for k := range p.count {
		keys = append(keys, p.key(k.tenantID, k.userID))
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.Refresh)
	defer cancel()
	const chunk = 500
	for len(keys) > 0 {
		n := min(chunk, len(keys))
		if err := presenceAdd.Run(ctx, p.client, keys[:n], p.opts.NodeID, p.ttlMillis()).Err(); err != nil {
			p.log.Warn().Err(err).Msg("presence refresh failed")
			return
		}
		keys = keys[n:]
	}
}
