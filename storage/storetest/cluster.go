package storetest

import (
	"slices"
	"testing"
	"time"

	"parley/chat"
)

func testBrokerOutages(t *testing.T, s chat.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	nodes := func(at time.Time) []string {
		t.Helper()
		got, err := s.BrokerOutageNodes(ctx, at)
		NoErr(t, err, "BrokerOutageNodes")
		return got
	}
	if got := nodes(now); len(got) != 0 {
		t.Fatalf("BrokerOutageNodes of an empty store = %v", got)
	}
	NoErr(t, s.BrokerOutageClear(ctx, "nobody", now), "BrokerOutageClear of no record")

	NoErr(t, s.BrokerOutageSet(ctx, "node-b", now.Add(3*time.Second)), "BrokerOutageSet b")
	NoErr(t, s.BrokerOutageSet(ctx, "node-a", now.Add(time.Second)), "BrokerOutageSet a")
	if got := nodes(now); !slices.Equal(got, []string{"node-a", "node-b"}) {
		t.Fatalf("BrokerOutageNodes = %v, want [node-a node-b] sorted", got)
	}
	// A record lives until its expiry, exclusive.
	if got := nodes(now.Add(time.Second)); !slices.Equal(got, []string{"node-b"}) {
		t.Fatalf("at node-a's expiry: %v, want [node-b]", got)
	}
	// A renewal moves the expiry, either way.
	NoErr(t, s.BrokerOutageSet(ctx, "node-a", now.Add(5*time.Second)), "BrokerOutageSet a renewed")
	NoErr(t, s.BrokerOutageSet(ctx, "node-b", now.Add(2*time.Second)), "BrokerOutageSet b renewed")
	if got := nodes(now.Add(4 * time.Second)); !slices.Equal(got, []string{"node-a"}) {
		t.Fatalf("after the renewals at +4 s: %v, want [node-a]", got)
	}
	// Clearing removes the node's own record and the expired ones only.
	NoErr(t, s.BrokerOutageSet(ctx, "node-c", now.Add(10*time.Second)), "BrokerOutageSet c")
	NoErr(t, s.BrokerOutageClear(ctx, "node-a", now.Add(4*time.Second)), "BrokerOutageClear a")
	if got := nodes(now); !slices.Equal(got, []string{"node-c"}) {
		t.Fatalf("after clearing node-a at +4 s (node-b expired at +2 s): %v, want [node-c]", got)
	}
}

// One node's record is every node's: the others poll because of it.
func testBrokerOutagesAcrossNodes(t *testing.T, stores []chat.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	NoErr(t, stores[0].BrokerOutageSet(ctx, "cut-off", now.Add(time.Minute)), "BrokerOutageSet")
	got, err := stores[1].BrokerOutageNodes(ctx, now)
	NoErr(t, err, "BrokerOutageNodes on the other node")
	if !slices.Equal(got, []string{"cut-off"}) {
		t.Fatalf("the other node sees %v, want [cut-off]", got)
	}
	NoErr(t, stores[0].BrokerOutageClear(ctx, "cut-off", now), "BrokerOutageClear")
	got, err = stores[1].BrokerOutageNodes(ctx, now)
	NoErr(t, err, "BrokerOutageNodes after the clear")
	if len(got) != 0 {
		t.Fatalf("the other node still sees %v", got)
	}
}
