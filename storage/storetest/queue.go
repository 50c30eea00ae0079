package storetest

import (
	"slices"
	"testing"
	"time"

	"parley/chat"
)

// The queue filters and counts repeat ConversationList's visibility
// predicate in SQL (ConversationListOldest, ConversationQueueCounts):
// these checks hold each to the list, and the list to explicit answers.

// queueWorld is a tenant with conversations of every queue.
type queueWorld struct {
	a, b             *Fixture
	payroll, hr      chat.Category
	staleBefore      time.Time
	c                map[string]chat.Conversation
	byCreation       []int64 // every conversation of a, oldest first
	handlerRole, emp int64
}

func newQueueWorld(t *testing.T, s chat.Store) *queueWorld {
	ctx := t.Context()
	w := &queueWorld{a: NewFixture(t, s, "queue-a"), b: NewFixture(t, s, "queue-b"), c: map[string]chat.Conversation{}}
	a := w.a
	w.handlerRole, w.emp = a.Roles[chat.RoleMessageHandler].ID, a.Roles[chat.RoleEmployee].ID
	w.payroll = a.NewCategory(t, "Payroll", w.handlerRole)
	w.hr = a.NewCategory(t, "HR", a.Roles[chat.RoleManager].ID)
	base := Now().Add(-48 * time.Hour)
	w.staleBefore = base.Add(10 * time.Hour)
	at := func(h int) *time.Time { v := base.Add(time.Duration(h) * time.Hour); return &v }
	for i, x := range []struct {
		name string
		edit func(c *chat.Conversation)
	}{
		// Created in this order, an hour apart; awaiting times relative to
		// staleBefore (hour 10).
		{"newA", func(c *chat.Conversation) { c.RelatedCompanyID, c.AwaitingSince = &a.CompanyA.ID, at(0) }},
		{"openMine", func(c *chat.Conversation) {
			c.Status, c.HandlerID, c.RelatedCompanyID, c.AwaitingSince = chat.StatusOpen, &a.Handler.ID, &a.CompanyA.ID, at(20)
		}},
		{"waitingB", func(c *chat.Conversation) {
			c.Status, c.CreatorID, c.RelatedCompanyID = chat.StatusWaiting, a.EmployeeB.ID, &a.CompanyB.ID
		}},
		{"solvedA", func(c *chat.Conversation) {
			c.Status, c.RelatedCompanyID, c.AwaitingSince = chat.StatusSolved, &a.CompanyA.ID, at(1)
		}},
		{"staleB", func(c *chat.Conversation) {
			c.Status, c.CreatorID, c.RelatedCompanyID, c.AwaitingSince = chat.StatusOpen, a.EmployeeB.ID, &a.CompanyB.ID, at(2)
		}},
		{"toCompanyB", func(c *chat.Conversation) {
			c.CreatorID, c.ToCustomer, c.CustomerCompanyID, c.RelatedCompanyID = a.Handler.ID, true, &a.CompanyB.ID, &a.CompanyB.ID
		}},
		{"hrNoCompany", func(c *chat.Conversation) { c.CategoryID, c.RoleIDs, c.CreatorID = w.hr.ID, w.hr.RoleIDs, a.Manager.ID }},
	} {
		c := chat.Conversation{TenantID: a.Tenant.ID, Subject: x.name, CategoryID: w.payroll.ID, Status: chat.StatusNew,
			CreatorID: a.EmployeeA.ID, RoleIDs: w.payroll.RoleIDs, CreatedAt: *at(i), LastActivityAt: *at(40 - i)}
		x.edit(&c)
		NoErr(t, s.ConversationCreate(ctx, &c), "ConversationCreate "+x.name)
		got, err := s.ConversationGet(ctx, a.Tenant.ID, c.ID)
		NoErr(t, err, "ConversationGet")
		if got.ToCustomer != c.ToCustomer || !slices.Equal(ptrs(got.CustomerCompanyID), ptrs(c.CustomerCompanyID)) ||
			(got.AwaitingSince == nil) != (c.AwaitingSince == nil) || (c.AwaitingSince != nil && !got.AwaitingSince.Equal(*c.AwaitingSince)) {
			t.Fatalf("%s stored as %+v, want %+v", x.name, got, c)
		}
		w.c[x.name] = got
		w.byCreation = append(w.byCreation, got.ID)
	}
	w.b.NewConversation(t, w.b.NewCategory(t, "b", w.b.Roles[chat.RoleMessageHandler].ID), w.b.EmployeeA.ID, "b's")
	return w
}

func ptrs(p *int64) []int64 {
	if p == nil {
		return nil
	}
	return []int64{*p}
}

func (w *queueWorld) ids(names ...string) []int64 {
	var out []int64
	for _, n := range names {
		out = append(out, w.c[n].ID)
	}
	return out
}

// oldest keeps the ids of ids in creation order.
func (w *queueWorld) oldest(ids []int64) []int64 {
	var out []int64
	for _, id := range w.byCreation {
		if slices.Contains(ids, id) {
			out = append(out, id)
		}
	}
	return out
}

func testConversationQueues(t *testing.T, s chat.Store) {
	w := newQueueWorld(t, s)
	a := w.a
	viewers := []struct {
		name string
		f    chat.ConversationFilter
		want []string // unsolved conversations they see
	}{
		{"tenant admin", chat.ConversationFilter{VisibleTo: a.Admin.ID, AllOfTenant: true},
			[]string{"newA", "openMine", "waitingB", "staleB", "toCompanyB", "hrNoCompany"}},
		{"handler", chat.ConversationFilter{VisibleTo: a.Handler.ID, RoleIDs: []int64{w.handlerRole}},
			[]string{"newA", "openMine", "waitingB", "staleB", "toCompanyB"}},
		{"handler of company A", chat.ConversationFilter{VisibleTo: a.Handler.ID, RoleIDs: []int64{w.handlerRole},
			CompanyIDs: []int64{a.CompanyA.ID}}, []string{"newA", "openMine", "toCompanyB"}},
		{"employee B (addressee)", chat.ConversationFilter{VisibleTo: a.EmployeeB.ID, RoleIDs: []int64{w.emp},
			AddresseeCompanyIDs: []int64{a.CompanyB.ID}}, []string{"waitingB", "staleB", "toCompanyB"}},
		{"employee A", chat.ConversationFilter{VisibleTo: a.EmployeeA.ID, RoleIDs: []int64{w.emp},
			AddresseeCompanyIDs: []int64{a.CompanyA.ID}}, []string{"newA", "openMine"}},
		{"tenant b's handler", chat.ConversationFilter{VisibleTo: w.b.Handler.ID,
			RoleIDs: []int64{w.b.Roles[chat.RoleMessageHandler].ID}}, nil},
	}
	// Tenant a's ids in tenant b find none of a's conversations.
	cs, err := s.ConversationList(t.Context(), w.b.Tenant.ID, chat.ConversationFilter{VisibleTo: a.EmployeeB.ID,
		AddresseeCompanyIDs: []int64{a.CompanyB.ID}, RoleIDs: []int64{w.handlerRole}, OldestFirst: true}, chat.Page{})
	NoErr(t, err, "ConversationList in b")
	wantIDs(t, "a's ids in b", convIDs(cs), nil)
	qc, err := s.ConversationQueueCounts(t.Context(), w.b.Tenant.ID, chat.ConversationFilter{VisibleTo: a.EmployeeB.ID,
		AddresseeCompanyIDs: []int64{a.CompanyB.ID}, RoleIDs: []int64{w.handlerRole}}, a.Handler.ID, w.staleBefore)
	NoErr(t, err, "ConversationQueueCounts in b")
	if len(qc) != 0 {
		t.Fatalf("a's ids count in b: %+v", qc)
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			w.checkViewer(t, s, v.f, w.ids(v.want...))
		})
	}
}

// checkViewer holds the queue lists and counts of visibility f to the
// unsolved conversations want, and to ConversationList.
func (w *queueWorld) checkViewer(t *testing.T, s chat.Store, f chat.ConversationFilter, want []int64) {
	ctx := t.Context()
	tenant := w.a.Tenant.ID
	list := func(edit func(*chat.ConversationFilter)) (newest, oldest []int64) {
		t.Helper()
		g := f
		edit(&g)
		cs, err := s.ConversationList(ctx, tenant, g, chat.Page{})
		NoErr(t, err, "ConversationList")
		g.OldestFirst = true
		var got []int64
		page := chat.Page{Limit: 2} // pages through the oldest-first keyset
		for range 10 {
			os, err := s.ConversationList(ctx, tenant, g, page)
			NoErr(t, err, "ConversationList oldest first")
			if len(os) == 0 {
				break
			}
			got = append(got, convIDs(os)...)
			page.After = os[len(os)-1].ID
		}
		return convIDs(cs), got
	}
	type queue struct {
		name  string
		edit  func(*chat.ConversationFilter)
		count func(chat.QueueCount) int64
	}
	h := w.a.Handler.ID
	queues := []queue{
		{"unsolved", func(g *chat.ConversationFilter) { g.Unsolved = true }, func(r chat.QueueCount) int64 { return r.Unsolved }},
		{"new", func(g *chat.ConversationFilter) { g.Unsolved, g.Status = true, chat.StatusNew }, func(r chat.QueueCount) int64 { return r.New }},
		{"mine", func(g *chat.ConversationFilter) { g.Unsolved, g.HandlerID = true, h }, func(r chat.QueueCount) int64 { return r.Mine }},
		{"waiting", func(g *chat.ConversationFilter) { g.Unsolved, g.Status = true, chat.StatusWaiting }, func(r chat.QueueCount) int64 { return r.Waiting }},
		{"stale", func(g *chat.ConversationFilter) { g.Unsolved, g.AwaitingBefore = true, w.staleBefore }, func(r chat.QueueCount) int64 { return r.Stale }},
	}
	counts, err := s.ConversationQueueCounts(ctx, tenant, f, h, w.staleBefore)
	NoErr(t, err, "ConversationQueueCounts")
	newest, _ := list(func(g *chat.ConversationFilter) { g.Unsolved = true })
	SameIDs(t, "unsolved visible", newest, want)
	for _, q := range queues {
		newest, oldest := list(q.edit)
		wantIDs(t, q.name+" oldest first", oldest, w.oldest(newest))
		var n int64
		for _, r := range counts {
			n += q.count(r)
		}
		if n != int64(len(newest)) {
			t.Fatalf("%s count = %d, list has %d (%v)", q.name, n, len(newest), newest)
		}
	}
	for _, r := range counts {
		byCat, _ := list(func(g *chat.ConversationFilter) { g.Unsolved, g.CategoryID = true, r.CategoryID })
		if r.Unsolved != int64(len(byCat)) || r.Unsolved == 0 {
			t.Fatalf("category %d count = %d, list has %v", r.CategoryID, r.Unsolved, byCat)
		}
	}
	if !slices.IsSortedFunc(counts, func(x, y chat.QueueCount) int { return int(x.CategoryID - y.CategoryID) }) {
		t.Fatalf("counts not in category order: %+v", counts)
	}
	// The explicit answers: stale is staleB (and openMine is not: it waits
	// since after the bound; solvedA is solved).
	stale, _ := list(queues[4].edit)
	wantStale := []int64{}
	for _, id := range want {
		if id == w.c["staleB"].ID || id == w.c["newA"].ID {
			wantStale = append(wantStale, id)
		}
	}
	SameIDs(t, "stale", stale, wantStale)
}
