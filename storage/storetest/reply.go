package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"parley/chat"
)

// testReplyKeyAcrossNodes: the first key stored wins, on every node, and
// tenants have keys of their own.
func testReplyKeyAcrossNodes(t *testing.T, nodes []chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, nodes[0], "replykey-a")
	b := NewFixture(t, nodes[0], "replykey-b")
	keys := make([][]byte, len(nodes))
	var wg sync.WaitGroup
	for i, s := range nodes {
		wg.Go(func() {
			k, err := s.ReplyKeyEnsure(ctx, a.Tenant.ID, bytes.Repeat([]byte{byte(i + 1)}, 32), Now())
			if err != nil {
				t.Errorf("ReplyKeyEnsure on node %d: %v", i, err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	if len(keys[0]) != 32 || !bytes.Equal(keys[0], keys[1]) {
		t.Fatalf("nodes got keys %x and %x, want one 32-byte key", keys[0], keys[1])
	}
	again, err := nodes[1].ReplyKeyEnsure(ctx, a.Tenant.ID, bytes.Repeat([]byte{9}, 32), Now())
	NoErr(t, err, "ReplyKeyEnsure again")
	if !bytes.Equal(again, keys[0]) {
		t.Fatalf("a second ReplyKeyEnsure replaced the key: %x, want %x", again, keys[0])
	}
	other, err := nodes[1].ReplyKeyEnsure(ctx, b.Tenant.ID, bytes.Repeat([]byte{7}, 32), Now())
	NoErr(t, err, "ReplyKeyEnsure other tenant")
	if !bytes.Equal(other, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("another tenant's key = %x, want its own candidate", other)
	}
}

func testReplyRevocation(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "replyrev")
	u := f.NewUser(t, "revoked", nil, nil)
	_, err := s.ReplyRevocationGet(ctx, f.Tenant.ID, u.ID)
	WantCode(t, err, chat.ENotFound)
	first := Now().Add(-time.Hour)
	NoErr(t, s.ReplyRevocationSet(ctx, f.Tenant.ID, u.ID, first), "ReplyRevocationSet")
	got, err := s.ReplyRevocationGet(ctx, f.Tenant.ID, u.ID)
	NoErr(t, err, "ReplyRevocationGet")
	SameTime(t, "not before", got, first)
	later := Now()
	NoErr(t, s.ReplyRevocationSet(ctx, f.Tenant.ID, u.ID, later), "ReplyRevocationSet again")
	got, err = s.ReplyRevocationGet(ctx, f.Tenant.ID, u.ID)
	NoErr(t, err, "ReplyRevocationGet again")
	SameTime(t, "not before after a second revoke", got, later)
	_, err = s.ReplyRevocationGet(ctx, f.Tenant.ID+1000, u.ID)
	WantCode(t, err, chat.ENotFound)
}
