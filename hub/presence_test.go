package hub

import (
	"context"
	"testing"
	"time"

	"parley/hub/redistest"
)

// presencePair returns the presence of two nodes of one cluster.
type presencePair func(t *testing.T) (Presence, Presence)

func memoryPresences(t *testing.T) (Presence, Presence) {
	p := NewMemoryPresence()
	return p, p
}

func redisPresences(t *testing.T) (Presence, Presence) {
	r := redistest.New(t)
	a := NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{})
	b := NewRedisPresence(r.Client, r.Prefix, RedisPresenceOptions{})
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

func TestPresenceConformance(t *testing.T) {
	t.Parallel()
	for name, pair := range map[string]presencePair{"memory": memoryPresences, "redis": redisPresences} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runPresenceConformance(t, pair)
		})
	}
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

// A node that dies stops refreshing; its users expire for the others,
// while a live node's users outlive the TTL through refreshes.
func TestRedisPresenceExpiresDeadNodes(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	// Ten refreshes per TTL, each with Refresh as its own timeout: a live
	// node loses its users only if all of them fail, which a loaded
	// machine can do to two or three short ones in a row but not to ten.
	opts := RedisPresenceOptions{TTL: 2 * time.Second, Refresh: 200 * time.Millisecond}
	live := NewRedisPresence(r.Client, r.Prefix, opts)
	dying := NewRedisPresence(r.Client, r.Prefix, opts)
	observer := NewRedisPresence(r.Client, r.Prefix, opts)
	t.Cleanup(func() { _ = live.Close(); _ = dying.Close(); _ = observer.Close() })
	ctx := context.Background()
	must(t, live.Add(ctx, 1, 1))
	must(t, dying.Add(ctx, 1, 2))
	dying.halt()
	eventually(t, "dead node's user to expire", func() bool { return !online(t, observer, 1, 2) })
	// Three TTLs later the live node's user is still there.
	until := time.Now().Add(3 * opts.TTL)
	for time.Now().Before(until) {
		if !online(t, observer, 1, 1) {
			t.Fatal("live node's user expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
