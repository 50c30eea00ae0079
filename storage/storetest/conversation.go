package storetest

import (
	"fmt"
	"testing"
	"time"

	"parley/chat"
)

func convIDs(cs []chat.Conversation) []int64 {
	return idsOf(cs, func(c chat.Conversation) int64 { return c.ID })
}

func ptr[T any](v T) *T { return &v }

func testConversationCategories(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "categories-a")
	b := NewFixture(t, s, "categories-b")
	handler, manager := a.Roles[chat.RoleMessageHandler].ID, a.Roles[chat.RoleManager].ID

	c := chat.Category{TenantID: a.Tenant.ID, NameEN: "Payroll", NameFI: "Palkanlaskenta",
		RoleIDs: []int64{handler, manager}, RetentionDays: ptr(365), Active: true}
	NoErr(t, s.CategoryCreate(ctx, &c), "CategoryCreate")
	if c.ID == 0 {
		t.Fatal("CategoryCreate did not set ID")
	}
	plain := a.NewCategory(t, "Other")

	got, err := s.CategoryGet(ctx, a.Tenant.ID, c.ID)
	NoErr(t, err, "CategoryGet")
	if got.ID != c.ID || got.TenantID != a.Tenant.ID || got.NameEN != "Payroll" || got.NameFI != "Palkanlaskenta" ||
		!got.Active || got.RetentionDays == nil || *got.RetentionDays != 365 {
		t.Fatalf("CategoryGet = %+v, want %+v", got, c)
	}
	SameIDs(t, "category roles", got.RoleIDs, c.RoleIDs)
	got, err = s.CategoryGet(ctx, a.Tenant.ID, plain.ID)
	NoErr(t, err, "CategoryGet plain")
	if got.RetentionDays != nil || len(got.RoleIDs) != 0 {
		t.Fatalf("category without override and roles = %+v", got)
	}

	c.NameEN, c.RoleIDs, c.RetentionDays, c.Active = "Payroll and HR", []int64{manager}, nil, false
	NoErr(t, s.CategoryUpdate(ctx, c), "CategoryUpdate")
	got, err = s.CategoryGet(ctx, a.Tenant.ID, c.ID)
	NoErr(t, err, "CategoryGet updated")
	if got.NameEN != "Payroll and HR" || got.Active || got.RetentionDays != nil {
		t.Fatalf("updated category = %+v", got)
	}
	SameIDs(t, "updated category roles", got.RoleIDs, []int64{manager})

	list, err := s.CategoryList(ctx, a.Tenant.ID)
	NoErr(t, err, "CategoryList")
	wantIDs(t, "CategoryList", idsOf(list, func(c chat.Category) int64 { return c.ID }), []int64{c.ID, plain.ID})

	// Isolation: b neither sees nor changes a's categories, and cannot
	// route its categories to a's roles.
	_, err = s.CategoryGet(ctx, b.Tenant.ID, c.ID)
	WantNotFound(t, err)
	list, err = s.CategoryList(ctx, b.Tenant.ID)
	wantNone(t, "CategoryList of tenant b", list, err)
	hijack := c
	hijack.TenantID, hijack.RoleIDs = b.Tenant.ID, nil
	WantNotFound(t, s.CategoryUpdate(ctx, hijack))
	foreignRole := chat.Category{TenantID: b.Tenant.ID, NameEN: "x", NameFI: "x", RoleIDs: []int64{handler}, Active: true}
	WantNotFound(t, s.CategoryCreate(ctx, &foreignRole))
	list, err = s.CategoryList(ctx, b.Tenant.ID)
	wantNone(t, "CategoryList of tenant b after a failed CategoryCreate", list, err)
	_, err = s.CategoryGet(ctx, a.Tenant.ID, c.ID+1_000_000)
	WantNotFound(t, err)
}

func testConversationCreateGetUpdate(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "conv-a")
	b := NewFixture(t, s, "conv-b")
	handlerRole, managerRole := a.Roles[chat.RoleMessageHandler].ID, a.Roles[chat.RoleManager].ID
	cat := a.NewCategory(t, "Payroll", handlerRole)
	activity := Now().Add(-time.Hour)
	created := Now().Add(-2 * time.Hour)

	c := chat.Conversation{
		TenantID: a.Tenant.ID, Subject: "My salary", CategoryID: cat.ID, Status: chat.StatusNew,
		CreatorID: a.Manager.ID, RelatedCompanyID: &a.CompanyA.ID, RelatedUserID: &a.EmployeeA.ID,
		RoleIDs: []int64{handlerRole, managerRole}, ExternalEmails: []string{"accountant@example.com"},
		NotifyAdmins: true, LastActivityAt: activity, CreatedAt: created,
	}
	NoErr(t, s.ConversationCreate(ctx, &c), "ConversationCreate")
	if c.ID == 0 {
		t.Fatal("ConversationCreate did not set ID")
	}
	SameTime(t, "CreatedAt kept", c.CreatedAt, created)

	got, err := s.ConversationGet(ctx, a.Tenant.ID, c.ID)
	NoErr(t, err, "ConversationGet")
	if got.ID != c.ID || got.TenantID != a.Tenant.ID || got.Subject != "My salary" || got.CategoryID != cat.ID ||
		got.Status != chat.StatusNew || got.CreatorID != a.Manager.ID || got.HandlerID != nil ||
		got.CustomerAssigneeID != nil || got.AdminID != nil ||
		got.RelatedCompanyID == nil || *got.RelatedCompanyID != a.CompanyA.ID ||
		got.RelatedUserID == nil || *got.RelatedUserID != a.EmployeeA.ID ||
		len(got.ExternalEmails) != 1 || got.ExternalEmails[0] != "accountant@example.com" ||
		!got.NotifyAdmins || got.LastSeq != 0 {
		t.Fatalf("ConversationGet = %+v, want %+v", got, c)
	}
	SameIDs(t, "conversation roles", got.RoleIDs, c.RoleIDs)
	SameTime(t, "LastActivityAt", got.LastActivityAt, activity)
	SameTime(t, "CreatedAt", got.CreatedAt, created)

	testConversationUpdate(t, s, a, &c, managerRole)
	testConversationMinimalAndIsolated(t, s, a, b, c, cat, handlerRole)
}

// testConversationUpdate: LastSeq follows the thread, and every field of
// c, which it updates, is written.
func testConversationUpdate(t *testing.T, s chat.Store, a *Fixture, c *chat.Conversation, managerRole int64) {
	ctx := t.Context()
	// LastSeq follows the thread.
	a.PostMessage(t, chat.ConversationChannel(c.ID), a.Manager.ID, "one")
	a.PostMessage(t, chat.ConversationChannel(c.ID), a.Handler.ID, "two")
	got, err := s.ConversationGet(ctx, a.Tenant.ID, c.ID)
	NoErr(t, err, "ConversationGet")
	if got.LastSeq != 2 {
		t.Fatalf("LastSeq = %d, want 2", got.LastSeq)
	}

	later := Now()
	c.Status, c.HandlerID, c.CustomerAssigneeID, c.AdminID = chat.StatusWaiting, &a.Handler.ID, &a.EmployeeA.ID, &a.Admin.ID
	c.RelatedCompanyID, c.RelatedUserID, c.RoleIDs, c.ExternalEmails = nil, nil, []int64{managerRole}, nil
	c.NotifyAdmins, c.LastActivityAt = false, later
	NoErr(t, s.ConversationUpdate(ctx, *c), "ConversationUpdate")
	got, err = s.ConversationGet(ctx, a.Tenant.ID, c.ID)
	NoErr(t, err, "ConversationGet updated")
	if got.Status != chat.StatusWaiting || got.HandlerID == nil || *got.HandlerID != a.Handler.ID ||
		got.CustomerAssigneeID == nil || *got.CustomerAssigneeID != a.EmployeeA.ID ||
		got.AdminID == nil || *got.AdminID != a.Admin.ID || got.RelatedCompanyID != nil || got.RelatedUserID != nil ||
		len(got.ExternalEmails) != 0 || got.NotifyAdmins || got.Subject != "My salary" || got.CreatorID != a.Manager.ID {
		t.Fatalf("updated conversation = %+v", got)
	}
	SameIDs(t, "updated roles", got.RoleIDs, []int64{managerRole})
	SameTime(t, "updated LastActivityAt", got.LastActivityAt, later)
}

// testConversationMinimalAndIsolated: a conversation with the least gets
// defaults, and tenant b can neither read nor change a's conversation c
// nor create one with a's category or roles.
func testConversationMinimalAndIsolated(t *testing.T, s chat.Store, a, b *Fixture, c chat.Conversation, cat chat.Category, handlerRole int64) {
	ctx := t.Context()
	// A conversation with the least: defaults for status and activity.
	min := chat.Conversation{TenantID: a.Tenant.ID, Subject: "Minimal", CategoryID: cat.ID, CreatorID: a.EmployeeA.ID, Status: chat.StatusNew}
	NoErr(t, s.ConversationCreate(ctx, &min), "ConversationCreate minimal")
	got, err := s.ConversationGet(ctx, a.Tenant.ID, min.ID)
	NoErr(t, err, "ConversationGet minimal")
	if len(got.RoleIDs) != 0 || len(got.ExternalEmails) != 0 || got.CreatedAt.IsZero() {
		t.Fatalf("minimal conversation = %+v", got)
	}

	// Isolation.
	_, err = s.ConversationGet(ctx, b.Tenant.ID, c.ID)
	WantNotFound(t, err)
	hijack := c
	hijack.TenantID, hijack.RoleIDs, hijack.Status = b.Tenant.ID, nil, chat.StatusSolved
	WantNotFound(t, s.ConversationUpdate(ctx, hijack))
	got, err = s.ConversationGet(ctx, a.Tenant.ID, c.ID)
	NoErr(t, err, "ConversationGet")
	if got.Status != chat.StatusWaiting {
		t.Fatalf("another tenant's update changed the status to %q", got.Status)
	}
	foreignCat := chat.Conversation{TenantID: b.Tenant.ID, Subject: "x", CategoryID: cat.ID, Status: chat.StatusNew, CreatorID: b.EmployeeA.ID}
	WantNotFound(t, s.ConversationCreate(ctx, &foreignCat))
	bCat := b.NewCategory(t, "b's")
	foreignRole := chat.Conversation{TenantID: b.Tenant.ID, Subject: "x", CategoryID: bCat.ID, Status: chat.StatusNew,
		CreatorID: b.EmployeeA.ID, RoleIDs: []int64{handlerRole}}
	WantNotFound(t, s.ConversationCreate(ctx, &foreignRole))
	list, err := s.ConversationList(ctx, b.Tenant.ID, chat.ConversationFilter{AllOfTenant: true}, chat.Page{})
	wantNone(t, "ConversationList of tenant b after failed creates", list, err)
	_, err = s.ConversationGet(ctx, a.Tenant.ID, c.ID+1_000_000)
	WantNotFound(t, err)
}

func testConversationListFiltersVisibility(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "list-a")
	b := NewFixture(t, s, "list-b")
	handlerRole, managerRole, employeeRole := a.Roles[chat.RoleMessageHandler].ID, a.Roles[chat.RoleManager].ID, a.Roles[chat.RoleEmployee].ID
	payroll := a.NewCategory(t, "Payroll", handlerRole)
	hr := a.NewCategory(t, "HR", managerRole)
	base := Now().Add(-time.Hour)
	mk := func(cat chat.Category, creator int64, company *int64, minutes int, edit func(*chat.Conversation)) chat.Conversation {
		t.Helper()
		c := chat.Conversation{TenantID: a.Tenant.ID, Subject: fmt.Sprintf("c%d", minutes), CategoryID: cat.ID,
			Status: chat.StatusNew, CreatorID: creator, RelatedCompanyID: company, RoleIDs: cat.RoleIDs,
			LastActivityAt: base.Add(time.Duration(minutes) * time.Minute)}
		if edit != nil {
			edit(&c)
		}
		NoErr(t, s.ConversationCreate(ctx, &c), "ConversationCreate")
		return c
	}
	// Newest activity last in this list, first in results.
	c1 := mk(payroll, a.EmployeeA.ID, &a.CompanyA.ID, 1, nil)
	c2 := mk(payroll, a.EmployeeB.ID, &a.CompanyB.ID, 2, func(c *chat.Conversation) {
		c.Status, c.HandlerID = chat.StatusOpen, &a.Handler.ID
	})
	c3 := mk(hr, a.Manager.ID, nil, 3, nil)
	c4 := mk(payroll, a.Admin.ID, nil, 4, func(c *chat.Conversation) {
		c.CustomerAssigneeID, c.Status = &a.EmployeeB.ID, chat.StatusSolved
	})
	c5 := mk(hr, a.EmployeeB.ID, &a.CompanyA.ID, 5, func(c *chat.Conversation) { c.AdminID = &a.EmployeeA.ID })
	bConv := b.NewConversation(t, b.NewCategory(t, "b", b.Roles[chat.RoleMessageHandler].ID), b.EmployeeA.ID, "b's")

	list := func(tenantID int64, f chat.ConversationFilter) []int64 {
		t.Helper()
		cs, err := s.ConversationList(ctx, tenantID, f, chat.Page{})
		NoErr(t, err, "ConversationList")
		for _, c := range cs {
			if c.TenantID != tenantID {
				t.Fatalf("ConversationList of tenant %d returned %+v", tenantID, c)
			}
		}
		return convIDs(cs)
	}
	all := chat.ConversationFilter{AllOfTenant: true}
	wantIDs(t, "all of tenant", list(a.Tenant.ID, all), []int64{c5.ID, c4.ID, c3.ID, c2.ID, c1.ID})
	wantIDs(t, "tenant b", list(b.Tenant.ID, all), []int64{bConv.ID})

	// Filters.
	wantIDs(t, "status", list(a.Tenant.ID, chat.ConversationFilter{AllOfTenant: true, Status: chat.StatusNew}), []int64{c5.ID, c3.ID, c1.ID})
	wantIDs(t, "category", list(a.Tenant.ID, chat.ConversationFilter{AllOfTenant: true, CategoryID: hr.ID}), []int64{c5.ID, c3.ID})
	wantIDs(t, "handler", list(a.Tenant.ID, chat.ConversationFilter{AllOfTenant: true, HandlerID: a.Handler.ID}), []int64{c2.ID})
	wantIDs(t, "company", list(a.Tenant.ID, chat.ConversationFilter{AllOfTenant: true, CompanyID: a.CompanyA.ID}), []int64{c5.ID, c1.ID})
	wantIDs(t, "filters combine", list(a.Tenant.ID, chat.ConversationFilter{AllOfTenant: true, CategoryID: payroll.ID, Status: chat.StatusNew}), []int64{c1.ID})

	// Visibility: own part (creator, handler, assignee, admin) or a
	// receiver role.
	wantIDs(t, "employee A", list(a.Tenant.ID, chat.ConversationFilter{VisibleTo: a.EmployeeA.ID, RoleIDs: []int64{employeeRole}}), []int64{c5.ID, c1.ID})
	wantIDs(t, "employee B", list(a.Tenant.ID, chat.ConversationFilter{VisibleTo: a.EmployeeB.ID, RoleIDs: []int64{employeeRole}}), []int64{c5.ID, c4.ID, c2.ID})
	wantIDs(t, "handler by role", list(a.Tenant.ID, chat.ConversationFilter{VisibleTo: a.Handler.ID, RoleIDs: []int64{handlerRole}}), []int64{c4.ID, c2.ID, c1.ID})
	wantIDs(t, "manager by role", list(a.Tenant.ID, chat.ConversationFilter{VisibleTo: a.Manager.ID, RoleIDs: []int64{managerRole, employeeRole}}), []int64{c5.ID, c3.ID})
	// Company-based visibility limits role routing to related
	// companies; own conversations stay visible.
	wantIDs(t, "handler limited to company A", list(a.Tenant.ID, chat.ConversationFilter{
		VisibleTo: a.Handler.ID, RoleIDs: []int64{handlerRole}, CompanyIDs: []int64{a.CompanyA.ID}}), []int64{c2.ID, c1.ID})
	wantIDs(t, "handler limited to company B", list(a.Tenant.ID, chat.ConversationFilter{
		VisibleTo: a.Handler.ID, RoleIDs: []int64{handlerRole}, CompanyIDs: []int64{a.CompanyB.ID}}), []int64{c2.ID})
	wantIDs(t, "manager limited to company A", list(a.Tenant.ID, chat.ConversationFilter{
		VisibleTo: a.Manager.ID, RoleIDs: []int64{managerRole}, CompanyIDs: []int64{a.CompanyA.ID}}), []int64{c5.ID, c3.ID})
	wantIDs(t, "visibility and filter", list(a.Tenant.ID, chat.ConversationFilter{
		VisibleTo: a.Handler.ID, RoleIDs: []int64{handlerRole}, Status: chat.StatusNew}), []int64{c1.ID})
	// No visibility given shows nothing.
	wantIDs(t, "no visibility", list(a.Tenant.ID, chat.ConversationFilter{}), nil)
	// Tenant b's users and roles see nothing of a.
	wantIDs(t, "b's handler role in a", list(a.Tenant.ID, chat.ConversationFilter{
		VisibleTo: b.Handler.ID, RoleIDs: []int64{b.Roles[chat.RoleMessageHandler].ID}}), nil)
	wantIDs(t, "a's ids in b", list(b.Tenant.ID, chat.ConversationFilter{
		VisibleTo: a.EmployeeA.ID, RoleIDs: []int64{handlerRole, managerRole, employeeRole}}), nil)
}

func testConversationListPaging(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "paging-a")
	b := NewFixture(t, s, "paging-b")
	cat := a.NewCategory(t, "Payroll", a.Roles[chat.RoleMessageHandler].ID)
	base := Now().Add(-time.Hour)
	var want []int64 // newest activity first, then highest id
	var made []chat.Conversation
	for i, minutes := range []int{1, 5, 3, 3, 3, 9, 2} {
		c := chat.Conversation{TenantID: a.Tenant.ID, Subject: fmt.Sprintf("c%d", i), CategoryID: cat.ID, Status: chat.StatusNew,
			CreatorID: a.EmployeeA.ID, LastActivityAt: base.Add(time.Duration(minutes) * time.Minute)}
		NoErr(t, s.ConversationCreate(ctx, &c), "ConversationCreate")
		made = append(made, c)
	}
	// minutes 9, 5, then the three at 3 by id descending, 2, 1
	for _, i := range []int{5, 1, 4, 3, 2, 6, 0} {
		want = append(want, made[i].ID)
	}
	var got []int64
	page := chat.Page{Limit: 2}
	for range 10 {
		cs, err := s.ConversationList(ctx, a.Tenant.ID, chat.ConversationFilter{AllOfTenant: true}, page)
		NoErr(t, err, "ConversationList page")
		if len(cs) > 2 {
			t.Fatalf("page of %d, limit 2", len(cs))
		}
		if len(cs) == 0 {
			break
		}
		got = append(got, convIDs(cs)...)
		page.After = cs[len(cs)-1].ID
	}
	wantIDs(t, "paged ids", got, want)

	// A cursor of another tenant is no cursor there.
	_, err := s.ConversationList(ctx, b.Tenant.ID, chat.ConversationFilter{AllOfTenant: true}, chat.Page{After: made[0].ID})
	WantNotFound(t, err)
}

func testConversationExpired(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "expired-a")
	b := NewFixture(t, s, "expired-b")
	handler := a.Roles[chat.RoleMessageHandler].ID
	plain := a.NewCategory(t, "Default retention", handler)
	long := chat.Category{TenantID: a.Tenant.ID, NameEN: "Long", NameFI: "Pitkä", RetentionDays: ptr(365), Active: true}
	NoErr(t, s.CategoryCreate(ctx, &long), "CategoryCreate")
	short := chat.Category{TenantID: a.Tenant.ID, NameEN: "Short", NameFI: "Lyhyt", RetentionDays: ptr(7), Active: true}
	NoErr(t, s.CategoryCreate(ctx, &short), "CategoryCreate")
	now := Now()
	day := 24 * time.Hour
	mk := func(cat chat.Category, age time.Duration) chat.Conversation {
		t.Helper()
		c := chat.Conversation{TenantID: a.Tenant.ID, Subject: "c", CategoryID: cat.ID, Status: chat.StatusSolved,
			CreatorID: a.EmployeeA.ID, LastActivityAt: now.Add(-age)}
		NoErr(t, s.ConversationCreate(ctx, &c), "ConversationCreate")
		return c
	}
	plainOld := mk(plain, 40*day)    // past the tenant's 30 days
	mk(plain, 10*day)                // within 30 days
	mk(long, 40*day)                 // within the category's 365 days
	longAncient := mk(long, 400*day) // past 365 days
	shortOld := mk(short, 8*day)     // past the category's 7 days
	mk(plain, 30*day-time.Minute)    // just within
	b.NewConversation(t, b.NewCategory(t, "b"), b.EmployeeA.ID, "b's")

	expired, err := s.ConversationsExpired(ctx, a.Tenant.ID, 30, now, 100)
	NoErr(t, err, "ConversationsExpired")
	SameIDs(t, "expired", convIDs(expired), []int64{plainOld.ID, longAncient.ID, shortOld.ID})
	for _, c := range expired {
		if c.TenantID != a.Tenant.ID {
			t.Fatalf("expired list has %+v of another tenant", c)
		}
	}
	expired, err = s.ConversationsExpired(ctx, a.Tenant.ID, 30, now, 2)
	NoErr(t, err, "ConversationsExpired limited")
	if len(expired) != 2 {
		t.Fatalf("limit 2 returned %d", len(expired))
	}
	// Without a tenant setting the default (4 years) applies.
	expired, err = s.ConversationsExpired(ctx, a.Tenant.ID, chat.DefaultRetentionDays, now, 100)
	NoErr(t, err, "ConversationsExpired default")
	SameIDs(t, "expired by default", convIDs(expired), []int64{longAncient.ID, shortOld.ID})
	// Later, everything has expired.
	expired, err = s.ConversationsExpired(ctx, a.Tenant.ID, 30, now.Add(5*365*day), 100)
	NoErr(t, err, "ConversationsExpired later")
	if len(expired) != 6 {
		t.Fatalf("%d expired five years later, want 6", len(expired))
	}
	// b's conversation is old from a's point of view too, but never
	// listed for a; and b sees none of a's.
	expired, err = s.ConversationsExpired(ctx, b.Tenant.ID, 1, now.Add(10*day), 100)
	NoErr(t, err, "ConversationsExpired b")
	if len(expired) != 1 || expired[0].TenantID != b.Tenant.ID {
		t.Fatalf("tenant b's expired = %+v", expired)
	}
}

func testConversationDeleteCascades(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "delete-a")
	b := NewFixture(t, s, "delete-b")
	cat := a.NewCategory(t, "Payroll", a.Roles[chat.RoleMessageHandler].ID)
	c := &deleteCase{a: a, u: a.EmployeeA.ID}
	c.gone = a.NewConversation(t, cat, a.EmployeeA.ID, "to delete")
	c.kept = a.NewConversation(t, cat, a.EmployeeA.ID, "to keep")
	c.goneCh, c.keptCh = chat.ConversationChannel(c.gone.ID), chat.ConversationChannel(c.kept.ID)
	c.gm, c.gatt, c.gd, _ = c.fill(t, s, c.goneCh)
	c.km, c.katt, c.kd, c.kn = c.fill(t, s, c.keptCh)

	// Another tenant cannot delete it.
	WantNotFound(t, s.ConversationDelete(ctx, b.Tenant.ID, c.gone.ID))
	_, err := s.ConversationGet(ctx, a.Tenant.ID, c.gone.ID)
	NoErr(t, err, "ConversationGet after b's attempt")

	NoErr(t, s.ConversationDelete(ctx, a.Tenant.ID, c.gone.ID), "ConversationDelete")
	WantNotFound(t, s.ConversationDelete(ctx, a.Tenant.ID, c.gone.ID))

	c.wantGone(t, s)
	// The other conversation is untouched.
	c.wantKept(t, s)
}

// deleteCase is the DeleteCascades check's world: a conversation to
// delete and one to keep, each filled with everything that hangs off a
// conversation, for user u of tenant a.
type deleteCase struct {
	a              *Fixture
	u              int64
	gone, kept     chat.Conversation
	goneCh, keptCh chat.Channel
	gm, km         chat.Message
	gatt, katt     chat.Attachment
	gd, kd         chat.Draft
	kn             chat.Notification
}

// fill gives ch a message with an attachment, an answer, a read state, a
// draft, a notification, a notification job and decision, and a mute.
func (c *deleteCase) fill(t *testing.T, s chat.Store, ch chat.Channel) (chat.Message, chat.Attachment, chat.Draft, chat.Notification) {
	ctx, a, u := t.Context(), c.a, c.u
	t.Helper()
	att := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: u, Filename: "f.txt", ContentType: "text/plain"}
	NoErr(t, s.AttachmentCreate(ctx, &att, []byte("secret"), nil), "AttachmentCreate")
	m := chat.Message{TenantID: a.Tenant.ID, Channel: ch, AuthorID: u, Kind: chat.MessageText, Body: "payroll details",
		Attachments: []chat.Attachment{{ID: att.ID}}}
	NoErr(t, s.InTx(ctx, func(tx chat.Store) error {
		seq, err := tx.ChannelNextSeq(ctx, a.Tenant.ID, ch)
		if err != nil {
			return err
		}
		m.Seq = seq
		if err := tx.MessageInsert(ctx, &m); err != nil {
			return err
		}
		return tx.ChannelEventInsert(ctx, a.Tenant.ID, ch, seq, chat.EventMessageNew, m.ID, Now())
	}), "post with attachment")
	a.PostMessage(t, ch, a.Handler.ID, "answer")
	_, err := s.ReadStateSet(ctx, a.Tenant.ID, u, ch, 2)
	NoErr(t, err, "ReadStateSet")
	d := chat.Draft{TenantID: a.Tenant.ID, UserID: u, Channel: &ch, Body: "draft"}
	NoErr(t, s.DraftSave(ctx, &d), "DraftSave")
	n := chat.Notification{TenantID: a.Tenant.ID, UserID: u, Kind: "answered", Channel: ch, MessageID: &m.ID, Title: "answered"}
	NoErr(t, s.NotificationCreate(ctx, &n), "NotificationCreate")
	j := chat.NotifyJob{TenantID: a.Tenant.ID, UserID: u, Reason: chat.ReasonAnswered, Channel: ch, MessageID: m.ID, DueAt: Now().Add(-time.Minute)}
	NoErr(t, s.NotifyJobEnqueue(ctx, &j), "NotifyJobEnqueue")
	dec := chat.NotifyDecision{TenantID: a.Tenant.ID, UserID: u, Channel: ch, MessageID: m.ID, Reason: chat.ReasonAnswered, Outcome: chat.OutcomeOnline}
	NoErr(t, s.NotifyDecisionRecord(ctx, &dec), "NotifyDecisionRecord")
	NoErr(t, s.MuteSet(ctx, a.Tenant.ID, u, ch, true), "MuteSet")
	return m, att, d, n
}

// wantGone checks the deleted conversation left nothing behind.
func (c *deleteCase) wantGone(t *testing.T, s chat.Store) {
	ctx, a, u := t.Context(), c.a, c.u
	gone, goneCh, gm, gatt, gd, kn, keptCh := c.gone, c.goneCh, c.gm, c.gatt, c.gd, c.kn, c.keptCh
	_, err := s.ConversationGet(ctx, a.Tenant.ID, gone.ID)
	WantNotFound(t, err)
	_, err = s.MessageGet(ctx, a.Tenant.ID, gm.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentGet(ctx, a.Tenant.ID, gatt.ID)
	WantNotFound(t, err)
	_, err = s.DraftGet(ctx, a.Tenant.ID, u, gd.ID)
	WantNotFound(t, err)
	hist, err := s.MessageHistory(ctx, a.Tenant.ID, goneCh, 0, 10)
	NoErr(t, err, "MessageHistory")
	evs, err := s.ChannelEventsSince(ctx, a.Tenant.ID, goneCh, 0, 10)
	NoErr(t, err, "ChannelEventsSince")
	rs, err := s.ReadStateList(ctx, a.Tenant.ID, u, []chat.Channel{goneCh})
	NoErr(t, err, "ReadStateList")
	last, err := s.ChannelLastSeq(ctx, a.Tenant.ID, goneCh)
	NoErr(t, err, "ChannelLastSeq")
	muted, err := s.MuteGet(ctx, a.Tenant.ID, u, goneCh)
	NoErr(t, err, "MuteGet")
	found, err := s.MessageSearch(ctx, a.Tenant.ID, "payroll", []chat.Channel{goneCh}, chat.MessageFilter{}, 10)
	NoErr(t, err, "MessageSearch")
	decs, err := s.NotifyDecisionList(ctx, a.Tenant.ID, u, gm.ID, chat.Page{})
	NoErr(t, err, "NotifyDecisionList")
	if len(hist)+len(evs)+len(rs)+len(found)+len(decs) != 0 || last != 0 || muted {
		t.Fatalf("deleted conversation left: %d messages, %d events, %d read states, %d search hits, %d decisions, last seq %d, muted %v",
			len(hist), len(evs), len(rs), len(found), len(decs), last, muted)
	}
	notes, err := s.NotificationList(ctx, a.Tenant.ID, u, chat.Page{})
	NoErr(t, err, "NotificationList")
	if len(notes) != 1 || notes[0].ID != kn.ID {
		t.Fatalf("notifications after delete = %+v, want only %d", notes, kn.ID)
	}
	jobs, err := s.NotifyJobClaim(ctx, Now(), Now().Add(time.Minute), 100)
	NoErr(t, err, "NotifyJobClaim")
	if len(jobs) != 1 || jobs[0].Channel != keptCh {
		t.Fatalf("notification jobs after delete = %+v, want only the kept conversation's", jobs)
	}
}

// wantKept checks the kept conversation has all it had.
func (c *deleteCase) wantKept(t *testing.T, s chat.Store) {
	ctx, a, u := t.Context(), c.a, c.u
	kept, keptCh, km, katt, kd := c.kept, c.keptCh, c.km, c.katt, c.kd
	_, err := s.ConversationGet(ctx, a.Tenant.ID, kept.ID)
	NoErr(t, err, "kept conversation")
	got, err := s.MessageGet(ctx, a.Tenant.ID, km.ID)
	NoErr(t, err, "kept message")
	if len(got.Attachments) != 1 || got.Attachments[0].ID != katt.ID {
		t.Fatalf("kept message lost its attachment: %+v", got)
	}
	_, err = s.DraftGet(ctx, a.Tenant.ID, u, kd.ID)
	NoErr(t, err, "kept draft")
	found, err := s.MessageSearch(ctx, a.Tenant.ID, "payroll", []chat.Channel{keptCh}, chat.MessageFilter{}, 10)
	NoErr(t, err, "MessageSearch kept")
	if len(found) != 1 {
		t.Fatalf("search in the kept conversation found %d", len(found))
	}
	last, err := s.ChannelLastSeq(ctx, a.Tenant.ID, keptCh)
	NoErr(t, err, "ChannelLastSeq kept")
	if last != 2 {
		t.Fatalf("kept conversation's last seq = %d, want 2", last)
	}
	muted, err := s.MuteGet(ctx, a.Tenant.ID, u, keptCh)
	NoErr(t, err, "MuteGet kept")
	if !muted {
		t.Fatal("kept conversation lost its mute")
	}
}

// testConversationDeleteTakesNotes: deleting a conversation deletes its
// internal notes (its note channel) too, and no other conversation's.
func testConversationDeleteTakesNotes(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "delete-notes")
	cat := a.NewCategory(t, "Payroll", a.Roles[chat.RoleMessageHandler].ID)
	gone := a.NewConversation(t, cat, a.EmployeeA.ID, "to delete")
	kept := a.NewConversation(t, cat, a.EmployeeA.ID, "to keep")
	goneNote := a.PostMessage(t, chat.NoteChannel(gone.ID), a.Handler.ID, "internal: salary dispute")
	keptNote := a.PostMessage(t, chat.NoteChannel(kept.ID), a.Handler.ID, "internal: keep me")
	_, err := s.ReadStateSet(ctx, a.Tenant.ID, a.Handler.ID, chat.NoteChannel(gone.ID), 1)
	NoErr(t, err, "ReadStateSet")

	NoErr(t, s.ConversationDelete(ctx, a.Tenant.ID, gone.ID), "ConversationDelete")
	_, err = s.MessageGet(ctx, a.Tenant.ID, goneNote.ID)
	WantNotFound(t, err)
	hist, err := s.MessageHistory(ctx, a.Tenant.ID, chat.NoteChannel(gone.ID), 0, 10)
	NoErr(t, err, "MessageHistory")
	last, err := s.ChannelLastSeq(ctx, a.Tenant.ID, chat.NoteChannel(gone.ID))
	NoErr(t, err, "ChannelLastSeq")
	if len(hist) != 0 || last != 0 {
		t.Fatalf("deleted conversation left %d notes, note seq %d", len(hist), last)
	}
	got, err := s.MessageGet(ctx, a.Tenant.ID, keptNote.ID)
	NoErr(t, err, "kept note")
	if got.Channel != chat.NoteChannel(kept.ID) || got.Body != keptNote.Body {
		t.Fatalf("kept note = %+v", got)
	}
}

func testConversationRetentionRuns(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "retention-a")
	b := NewFixture(t, s, "retention-b")
	base := Now().Add(-time.Hour)
	var runs []chat.RetentionRun
	for i := range 3 {
		r := chat.RetentionRun{TenantID: a.Tenant.ID, StartedAt: base.Add(time.Duration(i) * time.Minute), Deleted: int64(i * 10), Node: fmt.Sprintf("node-%d", i)}
		NoErr(t, s.RetentionRunRecord(ctx, &r), "RetentionRunRecord")
		if r.ID == 0 {
			t.Fatal("RetentionRunRecord did not set ID")
		}
		runs = append(runs, r)
	}
	list, err := s.RetentionRunList(ctx, a.Tenant.ID, 2)
	NoErr(t, err, "RetentionRunList")
	if len(list) != 2 || list[0].ID != runs[2].ID || list[1].ID != runs[1].ID {
		t.Fatalf("RetentionRunList = %+v, want the newest two, newest first", list)
	}
	if list[0].Deleted != 20 || list[0].Node != "node-2" || list[0].TenantID != a.Tenant.ID {
		t.Fatalf("retention run = %+v", list[0])
	}
	SameTime(t, "StartedAt", list[0].StartedAt, runs[2].StartedAt)
	list, err = s.RetentionRunList(ctx, b.Tenant.ID, 10)
	wantNone(t, "RetentionRunList of tenant b", list, err)
}
