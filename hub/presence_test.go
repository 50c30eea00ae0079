package hub

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/chat"
	"parley/hub/redistest"
)

// presencePair returns the presence of two nodes of one cluster.
type presencePair func(t *testing.T) (Presence, Presence)

func memoryPresences(t *testing.T) (Presence, Presence) {
	p := NewMemoryPresence()
	return p, p
}

func redisPresences(t *testing.T) (Presence, Presence) {
	return redisPair(t, func(r *redistest.Redis, _ string) Presence {
		return NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{})
	})
}

func TestPresenceConformance(t *testing.T) {
	t.Parallel()
	onEveryBackend(t, map[string]presencePair{"memory": memoryPresences, "redis": redisPresences}, runPresenceConformance)
}

func online(t *testing.T, p Presence, tenant, user int64) bool {
	t.Helper()
	ok, err := p.Online(context.Background(), tenant, user)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func runPresenceConformance(t *testing.T, pair presencePair) {
	ctx := context.Background()
	t.Run("AddIsSeenOnEveryNode", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		must(t, a.Add(ctx, 1, 10))
		if !online(t, a, 1, 10) || !online(t, b, 1, 10) {
			t.Fatal("user 10 should be online on both nodes")
		}
		if online(t, b, 1, 11) || online(t, b, 2, 10) {
			t.Fatal("another user or tenant is not online")
		}
		m, err := b.OnlineMany(ctx, 1, []int64{10, 11})
		must(t, err)
		if !m[10] || m[11] || len(m) != 2 {
			t.Fatalf("OnlineMany: %v", m)
		}
	})
	t.Run("CountsConnections", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		must(t, a.Add(ctx, 1, 20))
		must(t, a.Add(ctx, 1, 20))
		must(t, a.Remove(ctx, 1, 20))
		if !online(t, b, 1, 20) {
			t.Fatal("one connection left: still online")
		}
		must(t, a.Remove(ctx, 1, 20))
		if online(t, b, 1, 20) || online(t, a, 1, 20) {
			t.Fatal("no connection left: offline")
		}
	})
	t.Run("OnlineWhileAnyNodeHasTheUser", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		must(t, a.Add(ctx, 1, 30))
		must(t, b.Add(ctx, 1, 30))
		must(t, a.Remove(ctx, 1, 30))
		if !online(t, a, 1, 30) {
			t.Fatal("still connected on node b")
		}
		must(t, b.Remove(ctx, 1, 30))
		if online(t, a, 1, 30) {
			t.Fatal("gone everywhere")
		}
	})
}

// A node that dies stops its heartbeat: all its users go offline for the
// others within the TTL, and a live node's beats sweep the dead node's
// entries away, while a live node's users outlive the TTL.
func TestRedisPresenceExpiresDeadNodes(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	// Ten beats per TTL, each with the beat as its own timeout: a live
	// node loses its users only if all of them fail, which a loaded
	// machine can do to two or three short ones in a row but not to ten.
	opts := RedisPresenceOptions{Heartbeat: 200 * time.Millisecond, TTL: 2 * time.Second}
	live := NewRedisPresence(r.Client, r.Prefix, opts)
	dying := NewRedisPresence(r.Client, r.Prefix, opts)
	observer := NewRedisPresence(r.Client, r.Prefix, opts)
	t.Cleanup(func() { _ = live.Close(); _ = dying.Close(); _ = observer.Close() })
	ctx := context.Background()
	must(t, live.Add(ctx, 1, 1))
	must(t, live.Add(ctx, 1, 3)) // user 3 is on both nodes
	for u := int64(2); u <= 4; u++ {
		must(t, dying.Add(ctx, 1, u))
	}
	if !online(t, observer, 1, 2) {
		t.Fatal("the dying node's user is online before it dies")
	}
	dying.halt()
	eventually(t, "dead node's users to go offline", func() bool {
		m, err := observer.OnlineMany(ctx, 1, []int64{2, 4})
		must(t, err)
		return !m[2] && !m[4]
	})
	if !online(t, observer, 1, 3) {
		t.Fatal("user 3 is still connected to the live node")
	}
	// The survivors' beats delete the dead node's entries.
	eventually(t, "dead node's entries to be swept", func() bool {
		n, err := r.Client.Exists(ctx, dying.key(1, 2), dying.key(1, 4), dying.indexKey(dying.opts.NodeID)).Result()
		must(t, err)
		members, err := r.Client.SMembers(ctx, dying.key(1, 3)).Result()
		must(t, err)
		return n == 0 && len(members) == 1 && members[0] == live.opts.NodeID
	})
	// Three TTLs later the live node's user is still there.
	until := time.Now().Add(3 * opts.TTL)
	for time.Now().Before(until) {
		if !online(t, observer, 1, 1) {
			t.Fatal("live node's user expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A node that was declared dead and swept while it was alive (paused, or
// cut off from Redis for longer than the TTL) writes its entries again at
// its next beat.
func TestRedisPresenceRejoinsAfterSweep(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	opts := RedisPresenceOptions{Heartbeat: 100 * time.Millisecond}
	node := NewRedisPresence(r.Client, r.Prefix, opts)
	observer := NewRedisPresence(r.Client, r.Prefix, opts)
	t.Cleanup(func() { _ = node.Close(); _ = observer.Close() })
	ctx := context.Background()
	must(t, node.Add(ctx, 1, 1))
	must(t, node.Add(ctx, 1, 2))
	must(t, node.Remove(ctx, 1, 2))
	// What a survivor's sweep leaves behind.
	must(t, r.Client.ZRem(ctx, node.nodesKey(), node.opts.NodeID).Err())
	must(t, r.Client.Del(ctx, node.key(1, 1), node.indexKey(node.opts.NodeID)).Err())
	if online(t, observer, 1, 1) {
		t.Fatal("swept user still online")
	}
	eventually(t, "the node to write its user again", func() bool { return online(t, observer, 1, 1) })
	if online(t, observer, 1, 2) {
		t.Fatal("the rejoin brought back a removed user")
	}
	members, err := r.Client.SMembers(ctx, node.indexKey(node.opts.NodeID)).Result()
	must(t, err)
	if len(members) != 1 || members[0] != node.key(1, 1) {
		t.Fatalf("index after rejoin: %v", members)
	}
}

// Close withdraws the node's users at once and leaves no keys behind.
func TestRedisPresenceCloseWithdraws(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	a := NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{})
	b := NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{})
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	must(t, a.Add(ctx, 1, 1))
	must(t, a.Add(ctx, 1, 2))
	must(t, b.Add(ctx, 1, 2))
	must(t, a.Close())
	if online(t, b, 1, 1) || !online(t, b, 1, 2) {
		t.Fatal("after Close: user 1 must be offline, user 2 (on b) online")
	}
	n, err := r.Client.Exists(ctx, a.key(1, 1), a.indexKey(a.opts.NodeID)).Result()
	must(t, err)
	if _, zerr := r.Client.ZScore(ctx, a.nodesKey(), a.opts.NodeID).Result(); n != 0 || zerr == nil {
		t.Fatalf("Close left %d keys and node entry error %v", n, zerr)
	}
}

// A hung Redis (it accepts connections and never answers, as one stopped
// with SIGSTOP) costs one timeout, not one per socket: once a call has
// failed, Add and Remove only record what the next good beat writes, and
// OnlineMany answers unavailable, none of them asking Redis.
func TestRedisPresenceHungRedis(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	var conns sync.WaitGroup
	var mu sync.Mutex
	var accepted []net.Conn
	conns.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
			conns.Go(func() { _, _ = io.Copy(io.Discard, c) }) // reads, never answers
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range accepted {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	client := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true,
		ReadTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	// One beat only (at the start): it fails and marks Redis unreachable.
	p := NewRedisPresence(client, "hung:", RedisPresenceOptions{Heartbeat: time.Hour, CallTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { p.halt() })
	eventually(t, "the first beat fails", p.unreachable.Load)

	asked := client.PoolStats()
	ctx := context.Background()
	for u := range int64(20) {
		must(t, p.Add(ctx, 1, u))
	}
	for u := range int64(10) {
		must(t, p.Remove(ctx, 1, u))
	}
	if _, err := p.OnlineMany(ctx, 1, []int64{1, 2}); chat.ErrorCode(err) != chat.EUnavailable {
		t.Fatalf("OnlineMany while Redis is unreachable: %v, want unavailable", err)
	}
	if now := client.PoolStats(); now.Hits != asked.Hits || now.Misses != asked.Misses || now.Timeouts != asked.Timeouts {
		t.Fatalf("presence asked the hung Redis again: pool stats %+v, then %+v", asked, now)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.needRejoin || len(p.count) != 10 {
		t.Fatalf("what the next beat writes: rejoin %v, %d users, want true and 10", p.needRejoin, len(p.count))
	}
}

// What a node recorded while Redis was unreachable is written by its
// first good beat: its users are online on every node again.
func TestRedisPresenceRepairsAfterUnreachable(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	a := NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{Heartbeat: time.Hour})
	b := NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{Heartbeat: time.Hour})
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	<-a.firstBeat             // a good beat ending later would undo the next line
	a.unreachable.Store(true) // as after a failed call
	ctx := context.Background()
	must(t, a.Add(ctx, 1, 30))
	if online(t, b, 1, 30) {
		t.Fatal("written while Redis counted as unreachable")
	}
	a.beat()
	if a.unreachable.Load() || !online(t, b, 1, 30) {
		t.Fatal("the good beat did not write the user recorded meanwhile")
	}
}
