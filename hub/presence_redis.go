package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"parley/chat"
)

// Defaults of RedisPresenceOptions.
const (
	DefaultPresenceHeartbeat = 2 * time.Second
	// presenceTTLBeats is the default TTL in heartbeats: a node is
	// declared dead after missing about three in a row.
	presenceTTLBeats = 3
)

// RedisPresenceOptions tunes a RedisPresence. Zero values are defaults.
type RedisPresenceOptions struct {
	// NodeID names this node inside the presence keys. Zero: random, so a
	// restarted process is a new node and never inherits a dead one's
	// entries.
	NodeID string
	// Heartbeat is how often the node renews its liveness: one Redis
	// write per beat, however many users it holds. Zero: 2 s
	// (DefaultPresenceHeartbeat).
	Heartbeat time.Duration
	// TTL is how long the node counts as alive after a beat: the users of
	// a node that died go offline everywhere after at most TTL. Zero: 3 ×
	// Heartbeat. It must exceed Heartbeat (NewRedisPresence raises it to
	// two beats) so that one slow beat does not hide a live node's users.
	TTL time.Duration
	// CallTimeout bounds each Redis call of Add, Remove and OnlineMany,
	// so that a hung Redis holds a connecting socket at most this long.
	// Zero: 1 s.
	CallTimeout time.Duration
	// Logger receives heartbeat failures. Zero: discarded.
	Logger zerolog.Logger
}

// RedisPresence keeps presence in Redis as entries that belong to their
// node, so that a node's death hides all its users at once:
//
//   - prefix+"presence:nodes": a sorted set of node ids scored by the end of
//     their liveness (Redis server time in ms, so no clock skew between
//     nodes), renewed by each node's heartbeat;
//   - prefix+"presence:<tenant>:<user>": the set of node ids holding a
//     socket of the user;
//   - prefix+"presence:node:<id>": the user keys a node holds, for clean-up.
//
// A user is online iff some node in its set is alive. Entries of dead
// nodes are ignored at once and swept by the live nodes' heartbeats; a
// node that was declared dead (paused, or cut off from Redis for longer
// than TTL) notices at its next beat and writes its entries again.
//
// The clean-up scripts reach user keys through a node's index, which a
// single Redis (or a replicated primary) allows; Redis Cluster would need
// hash tags, which Parley does not use.
type RedisPresence struct {
	client *redis.Client
	prefix string
	opts   RedisPresenceOptions
	log    zerolog.Logger

	mu    sync.Mutex // held across the Redis calls of Add/Remove/rejoin to keep them ordered
	count map[presenceKey]int
	// What failed to reach Redis, for the next beat to repair: all
	// entries (a failed Add or rejoin), or single removals.
	needRejoin bool
	unremoved  map[presenceKey]struct{}
	// unreachable: the last call to Redis failed and no beat succeeded
	// since. Meanwhile Add and Remove only record what the next good
	// beat writes, and OnlineMany answers unavailable at once: a Redis
	// that is down or hung costs one timeout per heartbeat, not one per
	// socket that connects or leaves.
	unreachable atomic.Bool

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var _ Presence = (*RedisPresence)(nil)

// presenceNow is Redis server time in ms, the clock of every score.
const presenceNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// presenceBeat renews node ARGV[1] in KEYS[1] until now+ARGV[2] ms. It
// returns whether the node had been dead (absent or expired: its entries
// may have been swept, so the caller writes them again) and up to ARGV[3]
// dead nodes to sweep.
var presenceBeat = redis.NewScript(presenceNow + `
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local rejoined = 0
if (not old) or tonumber(old) <= now then rejoined = 1 end
return {rejoined, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))}`)

// presenceAdd records that node ARGV[1] holds user KEYS[2] (indexed in
// KEYS[3]) and, like a beat, renews the node in KEYS[1] if it was dead,
// returning 1 then: a node's first Add must not wait for its first beat.
var presenceAdd = redis.NewScript(presenceNow + `
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], KEYS[2])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not old) or tonumber(old) <= now then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  return 1
end
return 0`)

// presenceOnline answers, for each user key KEYS[2..], whether a node in
// it is alive in KEYS[1].
var presenceOnline = redis.NewScript(presenceNow + `
local out = {}
for i = 2, #KEYS do
  local on = 0
  for _, n in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    local s = redis.call('ZSCORE', KEYS[1], n)
    if s and tonumber(s) > now then on = 1; break end
  end
  out[i - 1] = on
end
return out`)

// presenceSweep removes up to ARGV[2] entries of node ARGV[1] (index
// KEYS[2]) unless the node is alive in KEYS[1] (it came back: its entries
// are true again). When the index is empty the node itself goes. It
// returns 1 while entries are left. Being one script, it cannot interleave
// with the node's rejoin.
var presenceSweep = redis.NewScript(presenceNow + `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) > now then return 0 end
for _, k in ipairs(redis.call('SPOP', KEYS[2], tonumber(ARGV[2]))) do
  redis.call('SREM', k, ARGV[1])
end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
return 1`)

// presenceChunk bounds the entries one script call writes or sweeps, so a
// node with many users never blocks Redis for long.
const presenceChunk = 500

// NewRedisPresence starts a Redis presence on client under prefix (nodes
// of one cluster share the prefix). Close stops its heartbeat; the client
// stays owned by the caller.
func NewRedisPresence(client *redis.Client, prefix string, opts RedisPresenceOptions) *RedisPresence {
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultPresenceHeartbeat
	}
	if opts.TTL <= 0 {
		opts.TTL = presenceTTLBeats * opts.Heartbeat
	}
	opts.TTL = max(opts.TTL, 2*opts.Heartbeat)
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = time.Second
	}
	if opts.NodeID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		opts.NodeID = hex.EncodeToString(b[:])
	}
	p := &RedisPresence{
		client:    client,
		prefix:    prefix,
		opts:      opts,
		log:       opts.Logger.With().Str("component", "hub.redispresence").Str("presence_node", opts.NodeID).Logger(),
		count:     make(map[presenceKey]int),
		unremoved: make(map[presenceKey]struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go p.heartbeatLoop()
	return p
}

func (p *RedisPresence) nodesKey() string { return p.prefix + "presence:nodes" }

func (p *RedisPresence) indexKey(nodeID string) string { return p.prefix + "presence:node:" + nodeID }

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
	delete(p.unremoved, k)
	if p.unreachable.Load() {
		p.needRejoin = true // the next good beat writes it
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.CallTimeout)
	defer cancel()
	key := p.key(tenantID, userID)
	rejoined, err := presenceAdd.Run(ctx, p.client, []string{p.nodesKey(), key, p.indexKey(p.opts.NodeID)},
		p.opts.NodeID, p.ttlMillis()).Int()
	if err != nil {
		// The entry stays counted: the next beat writes it with the
		// others.
		p.needRejoin = true
		p.failed(ctx)
		return chat.Unavailable(err, "presence add")
	}
	if rejoined == 1 {
		p.rejoinLocked(ctx)
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
	if p.unreachable.Load() {
		p.unremoved[k] = struct{}{} // the next good beat removes it
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.CallTimeout)
	defer cancel()
	key := p.key(tenantID, userID)
	_, err := p.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.SRem(ctx, key, p.opts.NodeID)
		pipe.SRem(ctx, p.indexKey(p.opts.NodeID), key)
		return nil
	})
	if err != nil {
		// The next beat removes it; until then the user may look online.
		p.unremoved[k] = struct{}{}
		p.failed(ctx)
		return chat.Unavailable(err, "presence remove")
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
	if p.unreachable.Load() {
		return nil, &chat.Error{Code: chat.EUnavailable, Message: "presence is unavailable; try again in a moment",
			RetryAfter: chat.UnavailableRetryAfter}
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.CallTimeout)
	defer cancel()
	keys := make([]string, 1, len(userIDs)+1)
	keys[0] = p.nodesKey()
	for _, id := range userIDs {
		keys = append(keys, p.key(tenantID, id))
	}
	on, err := presenceOnline.Run(ctx, p.client, keys).Int64Slice()
	if err != nil {
		p.failed(ctx)
		return nil, chat.Unavailable(err, "presence online")
	}
	for i, id := range userIDs {
		out[id] = i < len(on) && on[i] == 1
	}
	return out, nil
}

// Close implements Presence: it stops the heartbeat and withdraws this
// node's users at once (they stay online if connected elsewhere).
func (p *RedisPresence) Close() error {
	p.halt()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count = make(map[presenceKey]int)
	p.unremoved = make(map[presenceKey]struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Leaving the node set first makes every entry void at once; the
	// sweep then deletes them (a survivor's sweep may race it: both are
	// idempotent).
	// Withdrawing is a courtesy: with Redis unreachable the entries die
	// anyway when this node's heartbeat expires, so a failure is logged,
	// not made the stop's failure.
	err := p.client.ZRem(ctx, p.nodesKey(), p.opts.NodeID).Err()
	if err == nil {
		err = p.sweep(ctx, p.opts.NodeID)
	}
	if err != nil {
		p.log.Warn().Err(err).Msg("presence: could not withdraw this node's entries; they expire with its heartbeat")
	}
	return nil
}

// failed marks Redis unreachable after a call that did not end by the
// caller's own cancellation.
func (p *RedisPresence) failed(ctx context.Context) {
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		p.unreachable.Store(true)
	}
}

// halt stops the heartbeat without withdrawing anything, as a node that
// dies.
func (p *RedisPresence) halt() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

func (p *RedisPresence) heartbeatLoop() {
	defer close(p.done)
	p.beat()
	t := time.NewTicker(p.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.beat()
		}
	}
}

// beat renews this node, writes its entries again if it had been declared
// dead (or a write failed), and sweeps the entries of dead nodes.
func (p *RedisPresence) beat() {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.Heartbeat)
	defer cancel()
	res, err := presenceBeat.Run(ctx, p.client, []string{p.nodesKey()}, p.opts.NodeID, p.ttlMillis(), 10).Slice()
	if err != nil || len(res) != 2 {
		p.log.Warn().Err(err).Msg("presence heartbeat failed")
		p.unreachable.Store(true)
		return
	}
	p.unreachable.Store(false)
	rejoined, _ := res[0].(int64)
	p.mu.Lock()
	if rejoined == 1 || p.needRejoin {
		p.rejoinLocked(ctx)
	}
	p.removeLocked(ctx)
	p.mu.Unlock()
	dead, _ := res[1].([]any)
	for _, d := range dead {
		id, _ := d.(string)
		if id == "" || id == p.opts.NodeID {
			continue
		}
		if err := p.sweep(ctx, id); err != nil {
			p.log.Warn().Err(err).Str("dead_node", id).Msg("presence sweep failed")
			return
		}
	}
}

// sweep removes the entries of a dead node in chunks.
func (p *RedisPresence) sweep(ctx context.Context, nodeID string) error {
	keys := []string{p.nodesKey(), p.indexKey(nodeID)}
	for {
		more, err := presenceSweep.Run(ctx, p.client, keys, nodeID, presenceChunk).Int()
		if err != nil || more == 0 {
			return err
		}
	}
}

// rejoinLocked writes every local entry again after the node was
// declared dead (its entries may have been swept meanwhile) or a write
// failed. The caller holds mu, so no Remove can be undone by it. On a
// failure the next beat tries again.
func (p *RedisPresence) rejoinLocked(ctx context.Context) {
	p.needRejoin = true
	defer func() {
		if p.needRejoin {
			p.log.Warn().Int("users", len(p.count)).Msg("presence: writing this node's entries failed; retrying at the next beat")
		}
	}()
	index := p.indexKey(p.opts.NodeID)
	keys := make([]string, 0, len(p.count))
	for k := range p.count {
		keys = append(keys, p.key(k.tenantID, k.userID))
	}
	for len(keys) > 0 {
		n := min(presenceChunk, len(keys))
		_, err := p.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, k := range keys[:n] {
				pipe.SAdd(ctx, k, p.opts.NodeID)
			}
			args := make([]any, n)
			for i, k := range keys[:n] {
				args[i] = k
			}
			pipe.SAdd(ctx, index, args...)
			return nil
		})
		if err != nil {
			return
		}
		keys = keys[n:]
	}
	p.needRejoin = false
}

// removeLocked retries the removals that failed.
func (p *RedisPresence) removeLocked(ctx context.Context) {
	for k := range p.unremoved {
		key := p.key(k.tenantID, k.userID)
		_, err := p.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.SRem(ctx, key, p.opts.NodeID)
			pipe.SRem(ctx, p.indexKey(p.opts.NodeID), key)
			return nil
		})
		if err != nil {
			return
		}
		delete(p.unremoved, k)
	}
}
