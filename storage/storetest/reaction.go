package storetest

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/chat"
)

func testReactionAddRemove(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "react-add")
	m := f.PostMessage(t, f.T1, f.EmployeeA.ID, "hello")
	at := Now()

	added, err := s.ReactionAdd(ctx, f.Tenant.ID, m.ID, f.Manager.ID, "👍", at)
	NoErr(t, err, "ReactionAdd")
	if !added {
		t.Fatal("ReactionAdd of a new reaction = false")
	}
	added, err = s.ReactionAdd(ctx, f.Tenant.ID, m.ID, f.Manager.ID, "👍", Now())
	NoErr(t, err, "ReactionAdd again")
	if added {
		t.Fatal("ReactionAdd of an existing reaction = true")
	}
	rs, err := s.ReactionList(ctx, f.Tenant.ID, []int64{m.ID})
	NoErr(t, err, "ReactionList")
	if len(rs) != 1 || rs[0].MessageID != m.ID || rs[0].UserID != f.Manager.ID || rs[0].Emoji != "👍" {
		t.Fatalf("ReactionList = %+v", rs)
	}
	SameTime(t, "CreatedAt", rs[0].CreatedAt, at)

	removed, err := s.ReactionRemove(ctx, f.Tenant.ID, m.ID, f.Manager.ID, "👍")
	NoErr(t, err, "ReactionRemove")
	if !removed {
		t.Fatal("ReactionRemove of an existing reaction = false")
	}
	removed, err = s.ReactionRemove(ctx, f.Tenant.ID, m.ID, f.Manager.ID, "👍")
	NoErr(t, err, "ReactionRemove again")
	if removed {
		t.Fatal("ReactionRemove of a missing reaction = true")
	}
	rs, err = s.ReactionList(ctx, f.Tenant.ID, []int64{m.ID})
	wantNone(t, "ReactionList after remove", rs, err)
	_, err = s.ReactionAdd(ctx, f.Tenant.ID, m.ID+1_000_000, f.Manager.ID, "👍", Now())
	WantNotFound(t, err)
	rs, err = s.ReactionList(ctx, f.Tenant.ID, nil)
	wantNone(t, "ReactionList of no messages", rs, err)
}

// ListOrder: by message, then oldest first, ties by user id then emoji
// (byte order); written in a transaction as the message service does.
func testReactionListOrder(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "react-order")
	m1 := f.PostMessage(t, f.T1, f.EmployeeA.ID, "one")
	m2 := f.PostMessage(t, f.Conv, f.EmployeeA.ID, "two")
	t0 := Now()
	later := t0.Add(time.Second)
	in := []chat.StoredReaction{
		{MessageID: m2.ID, UserID: f.EmployeeA.ID, Emoji: "🎉", CreatedAt: t0},
		{MessageID: m1.ID, UserID: f.Manager.ID, Emoji: "👍", CreatedAt: later},
		{MessageID: m1.ID, UserID: f.EmployeeA.ID, Emoji: "👍", CreatedAt: later},
		{MessageID: m1.ID, UserID: f.EmployeeA.ID, Emoji: "❤️", CreatedAt: later},
		{MessageID: m1.ID, UserID: f.Manager.ID, Emoji: "😄", CreatedAt: t0},
	}
	NoErr(t, s.InTx(ctx, func(tx chat.Store) error {
		for _, r := range in {
			if _, err := tx.ReactionAdd(ctx, f.Tenant.ID, r.MessageID, r.UserID, r.Emoji, r.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	}), "ReactionAdd in a transaction")
	want := slices.Clone(in)
	slices.SortFunc(want, func(a, b chat.StoredReaction) int {
		return cmp.Or(cmp.Compare(a.MessageID, b.MessageID), a.CreatedAt.Compare(b.CreatedAt),
			cmp.Compare(a.UserID, b.UserID), strings.Compare(a.Emoji, b.Emoji))
	})
	got, err := s.ReactionList(ctx, f.Tenant.ID, []int64{m2.ID, m1.ID})
	NoErr(t, err, "ReactionList")
	if len(got) != len(want) {
		t.Fatalf("ReactionList = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.MessageID != w.MessageID || g.UserID != w.UserID || g.Emoji != w.Emoji || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("ReactionList[%d] = %+v, want %+v (all: %+v)", i, g, w, got)
		}
	}
}

// Tenants: another tenant's message is not found and its reactions are
// never listed.
func testReactionTenants(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "react-ten-a")
	b := newThreadFixture(t, s, "react-ten-b")
	m := a.PostMessage(t, a.T1, a.EmployeeA.ID, "mine")
	_, err := s.ReactionAdd(ctx, a.Tenant.ID, m.ID, a.Manager.ID, "👀", Now())
	NoErr(t, err, "ReactionAdd")
	_, err = s.ReactionAdd(ctx, b.Tenant.ID, m.ID, b.Manager.ID, "👀", Now())
	WantNotFound(t, err)
	rs, err := s.ReactionList(ctx, b.Tenant.ID, []int64{m.ID})
	wantNone(t, "ReactionList in another tenant", rs, err)
	removed, err := s.ReactionRemove(ctx, b.Tenant.ID, m.ID, a.Manager.ID, "👀")
	NoErr(t, err, "ReactionRemove of another tenant")
	if removed {
		t.Fatal("another tenant removed a reaction")
	}
	rs, err = s.ReactionList(ctx, a.Tenant.ID, []int64{m.ID})
	NoErr(t, err, "ReactionList")
	if len(rs) != 1 {
		t.Fatalf("ReactionList = %+v", rs)
	}
}

// GoWithTheMessage: removing a conversation's data (retention) removes its
// messages' reactions.
func testReactionsGoWithTheMessage(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "react-gone")
	m := f.PostMessage(t, f.Conv, f.EmployeeA.ID, "to be removed")
	_, err := s.ReactionAdd(ctx, f.Tenant.ID, m.ID, f.Manager.ID, "✅", Now())
	NoErr(t, err, "ReactionAdd")
	NoErr(t, s.ConversationDelete(ctx, f.Tenant.ID, f.Conversation.ID), "ConversationDelete")
	rs, err := s.ReactionList(ctx, f.Tenant.ID, []int64{m.ID})
	wantNone(t, "ReactionList of a removed message", rs, err)
}
