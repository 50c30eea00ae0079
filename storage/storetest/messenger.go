package storetest

import (
	"testing"
	"time"

	"parley/chat"
)

func testMessengerGroups(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")

	g := chat.Group{TenantID: f.Tenant.ID, Name: "Payroll", Description: "Monthly pay", Active: true}
	NoErr(t, s.GroupCreate(ctx, &g), "GroupCreate")
	if g.ID == 0 || g.CreatedAt.IsZero() {
		t.Fatalf("GroupCreate left %+v", g)
	}
	got, err := s.GroupGet(ctx, f.Tenant.ID, g.ID)
	NoErr(t, err, "GroupGet")
	if got.Name != "Payroll" || got.Description != "Monthly pay" || !got.Active || len(got.MemberIDs) != 0 {
		t.Fatalf("GroupGet = %+v", got)
	}
	SameTime(t, "CreatedAt", got.CreatedAt, g.CreatedAt)

	NoErr(t, s.GroupSetMembers(ctx, f.Tenant.ID, g.ID, []int64{f.EmployeeA.ID, f.EmployeeB.ID}), "GroupSetMembers")
	got, err = s.GroupGet(ctx, f.Tenant.ID, g.ID)
	NoErr(t, err, "GroupGet")
	SameIDs(t, "members", got.MemberIDs, []int64{f.EmployeeA.ID, f.EmployeeB.ID})
	// Replace, not add; duplicates in the input are harmless.
	NoErr(t, s.GroupSetMembers(ctx, f.Tenant.ID, g.ID, []int64{f.Manager.ID, f.EmployeeA.ID, f.Manager.ID}), "GroupSetMembers")
	got, err = s.GroupGet(ctx, f.Tenant.ID, g.ID)
	NoErr(t, err, "GroupGet")
	SameIDs(t, "members after replace", got.MemberIDs, []int64{f.Manager.ID, f.EmployeeA.ID})
	for _, c := range []struct {
		user int64
		want bool
	}{{f.Manager.ID, true}, {f.EmployeeA.ID, true}, {f.EmployeeB.ID, false}, {f.Admin.ID, false}} {
		ok, err := s.GroupIsMember(ctx, f.Tenant.ID, g.ID, c.user)
		NoErr(t, err, "GroupIsMember")
		if ok != c.want {
			t.Fatalf("GroupIsMember(%d) = %v, want %v", c.user, ok, c.want)
		}
	}

	got.Name, got.Description, got.Active = "Pay", "", false
	NoErr(t, s.GroupUpdate(ctx, got), "GroupUpdate")
	got, err = s.GroupGet(ctx, f.Tenant.ID, g.ID)
	NoErr(t, err, "GroupGet")
	if got.Name != "Pay" || got.Description != "" || got.Active {
		t.Fatalf("after update = %+v", got)
	}
	SameIDs(t, "members after update", got.MemberIDs, []int64{f.Manager.ID, f.EmployeeA.ID})

	NoErr(t, s.GroupSetMembers(ctx, f.Tenant.ID, g.ID, nil), "GroupSetMembers empty")
	got, err = s.GroupGet(ctx, f.Tenant.ID, g.ID)
	NoErr(t, err, "GroupGet")
	if len(got.MemberIDs) != 0 {
		t.Fatalf("members after emptying = %v", got.MemberIDs)
	}

	_, err = s.GroupGet(ctx, f.Tenant.ID, g.ID+1000)
	WantNotFound(t, err)
	WantNotFound(t, s.GroupUpdate(ctx, chat.Group{TenantID: f.Tenant.ID, ID: g.ID + 1000, Name: "x"}))
	WantNotFound(t, s.GroupSetMembers(ctx, f.Tenant.ID, g.ID+1000, []int64{f.EmployeeA.ID}))
}

func testMessengerGroupList(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")
	g1 := f.NewGroup(t, "one", f.EmployeeA.ID, f.EmployeeB.ID)
	g2 := f.NewGroup(t, "two", f.EmployeeB.ID)
	g3 := f.NewGroup(t, "three", f.EmployeeA.ID)
	g4 := f.NewGroup(t, "four")

	all, err := s.GroupList(ctx, f.Tenant.ID, 0, chat.Page{})
	NoErr(t, err, "GroupList")
	if ids := groupIDs(all); len(ids) != 4 || ids[0] != g1.ID || ids[3] != g4.ID {
		t.Fatalf("GroupList = %v, want ordered [%d %d %d %d]", ids, g1.ID, g2.ID, g3.ID, g4.ID)
	}
	SameIDs(t, "listed members", all[0].MemberIDs, []int64{f.EmployeeA.ID, f.EmployeeB.ID})
	mine, err := s.GroupList(ctx, f.Tenant.ID, f.EmployeeA.ID, chat.Page{})
	NoErr(t, err, "GroupList member")
	SameIDs(t, "A's groups", groupIDs(mine), []int64{g1.ID, g3.ID})
	none, err := s.GroupList(ctx, f.Tenant.ID, f.Admin.ID, chat.Page{})
	wantNone(t, "GroupList of the admin's groups", none, err)
	p1, err := s.GroupList(ctx, f.Tenant.ID, 0, chat.Page{Limit: 3})
	NoErr(t, err, "GroupList page")
	p2, err := s.GroupList(ctx, f.Tenant.ID, 0, chat.Page{After: p1[len(p1)-1].ID, Limit: 3})
	NoErr(t, err, "GroupList page")
	if len(p1) != 3 || len(p2) != 1 || p2[0].ID != g4.ID {
		t.Fatalf("pages %v / %v", groupIDs(p1), groupIDs(p2))
	}
	pm, err := s.GroupList(ctx, f.Tenant.ID, f.EmployeeB.ID, chat.Page{After: g1.ID, Limit: 10})
	NoErr(t, err, "GroupList member page")
	SameIDs(t, "B's groups after g1", groupIDs(pm), []int64{g2.ID})
}

func testMessengerTopics(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")
	g := f.NewGroup(t, "g", f.EmployeeA.ID)
	other := f.NewGroup(t, "other")

	tp := chat.Topic{TenantID: f.Tenant.ID, GroupID: g.ID, Name: "Salaries", EmailNotify: true,
		NotifyInterval: 90 * time.Minute, Active: true}
	NoErr(t, s.TopicCreate(ctx, &tp), "TopicCreate")
	if tp.ID == 0 || tp.CreatedAt.IsZero() {
		t.Fatalf("TopicCreate left %+v", tp)
	}
	got, err := s.TopicGet(ctx, f.Tenant.ID, tp.ID)
	NoErr(t, err, "TopicGet")
	if got.GroupID != g.ID || got.Name != "Salaries" || !got.EmailNotify || got.NotifyInterval != 90*time.Minute ||
		!got.Active || got.LastSeq != 0 || got.LastMessageAt != nil {
		t.Fatalf("TopicGet = %+v", got)
	}

	got.Name, got.EmailNotify, got.NotifyInterval, got.Active = "Pay", false, 0, false
	NoErr(t, s.TopicUpdate(ctx, got), "TopicUpdate")
	got, err = s.TopicGet(ctx, f.Tenant.ID, tp.ID)
	NoErr(t, err, "TopicGet")
	if got.Name != "Pay" || got.EmailNotify || got.NotifyInterval != 0 || got.Active {
		t.Fatalf("after update = %+v", got)
	}

	at := f.Now.Add(time.Minute)
	NoErr(t, s.TopicTouch(ctx, f.Tenant.ID, tp.ID, at), "TopicTouch")
	got, err = s.TopicGet(ctx, f.Tenant.ID, tp.ID)
	NoErr(t, err, "TopicGet")
	if got.LastMessageAt == nil {
		t.Fatal("LastMessageAt nil after touch")
	}
	SameTime(t, "LastMessageAt", *got.LastMessageAt, at)

	// LastSeq follows the channel counter.
	f.PostMessage(t, chat.TopicChannel(tp.ID), f.EmployeeA.ID, "one")
	f.PostMessage(t, chat.TopicChannel(tp.ID), f.EmployeeA.ID, "two")
	got, err = s.TopicGet(ctx, f.Tenant.ID, tp.ID)
	NoErr(t, err, "TopicGet")
	if got.LastSeq != 2 {
		t.Fatalf("LastSeq = %d, want 2", got.LastSeq)
	}

	active := f.NewTopic(t, g.ID, "active")
	inOther := f.NewTopic(t, other.ID, "elsewhere")
	list, err := s.TopicListByGroups(ctx, f.Tenant.ID, []int64{g.ID}, false)
	NoErr(t, err, "TopicListByGroups")
	SameIDs(t, "topics of g", topicIDs(list), []int64{tp.ID, active.ID})
	for _, x := range list {
		if x.ID == tp.ID && x.LastSeq != 2 {
			t.Fatalf("listed LastSeq = %d, want 2", x.LastSeq)
		}
	}
	list, err = s.TopicListByGroups(ctx, f.Tenant.ID, []int64{g.ID}, true)
	NoErr(t, err, "TopicListByGroups active")
	SameIDs(t, "active topics of g", topicIDs(list), []int64{active.ID})
	list, err = s.TopicListByGroups(ctx, f.Tenant.ID, []int64{g.ID, other.ID}, true)
	NoErr(t, err, "TopicListByGroups two groups")
	SameIDs(t, "active topics of both", topicIDs(list), []int64{active.ID, inOther.ID})
	list, err = s.TopicListByGroups(ctx, f.Tenant.ID, nil, false)
	wantNone(t, "TopicListByGroups of no groups", list, err)

	_, err = s.TopicGet(ctx, f.Tenant.ID, tp.ID+1000)
	WantNotFound(t, err)
	WantNotFound(t, s.TopicUpdate(ctx, chat.Topic{TenantID: f.Tenant.ID, ID: tp.ID + 1000, Name: "x"}))
	WantNotFound(t, s.TopicTouch(ctx, f.Tenant.ID, tp.ID+1000, at))
	// A topic needs a group of its tenant.
	WantNotFound(t, s.TopicCreate(ctx, &chat.Topic{TenantID: f.Tenant.ID, GroupID: other.ID + 1000, Name: "orphan"}))
}

func testMessengerTenantIsolation(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")
	ga := a.NewGroup(t, "a-group", a.EmployeeA.ID)
	ta := a.NewTopic(t, ga.ID, "a-topic")

	_, err := s.GroupGet(ctx, b.Tenant.ID, ga.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.GroupUpdate(ctx, chat.Group{TenantID: b.Tenant.ID, ID: ga.ID, Name: "stolen"}))
	WantNotFound(t, s.GroupSetMembers(ctx, b.Tenant.ID, ga.ID, []int64{b.EmployeeA.ID}))
	ok, err := s.GroupIsMember(ctx, b.Tenant.ID, ga.ID, a.EmployeeA.ID)
	NoErr(t, err, "GroupIsMember")
	if ok {
		t.Fatal("GroupIsMember answered across tenants")
	}
	bGroups, err := s.GroupList(ctx, b.Tenant.ID, 0, chat.Page{})
	wantNone(t, "GroupList of B (A's groups)", bGroups, err)
	bGroups, err = s.GroupList(ctx, b.Tenant.ID, a.EmployeeA.ID, chat.Page{})
	wantNone(t, "GroupList of B for A's member", bGroups, err)
	// Members come from the group's tenant only.
	WantNotFound(t, s.GroupSetMembers(ctx, a.Tenant.ID, ga.ID, []int64{a.EmployeeB.ID, b.EmployeeA.ID}))
	got, err := s.GroupGet(ctx, a.Tenant.ID, ga.ID)
	NoErr(t, err, "GroupGet")
	if got.Name != "a-group" {
		t.Fatalf("cross-tenant update changed the group: %+v", got)
	}
	SameIDs(t, "members after failed set", got.MemberIDs, []int64{a.EmployeeA.ID})

	_, err = s.TopicGet(ctx, b.Tenant.ID, ta.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.TopicUpdate(ctx, chat.Topic{TenantID: b.Tenant.ID, ID: ta.ID, Name: "stolen"}))
	WantNotFound(t, s.TopicTouch(ctx, b.Tenant.ID, ta.ID, b.Now))
	topics, err := s.TopicListByGroups(ctx, b.Tenant.ID, []int64{ga.ID}, false)
	wantNone(t, "TopicListByGroups of B (A's topics)", topics, err)
	WantNotFound(t, s.TopicCreate(ctx, &chat.Topic{TenantID: b.Tenant.ID, GroupID: ga.ID, Name: "intruder"}))
	gotT, err := s.TopicGet(ctx, a.Tenant.ID, ta.ID)
	NoErr(t, err, "TopicGet")
	if gotT.Name != "a-topic" || gotT.LastMessageAt != nil {
		t.Fatalf("cross-tenant writes changed the topic: %+v", gotT)
	}
}

func groupIDs(gs []chat.Group) []int64 { return idsOf(gs, func(g chat.Group) int64 { return g.ID }) }

func topicIDs(ts []chat.Topic) []int64 { return idsOf(ts, func(t chat.Topic) int64 { return t.ID }) }
