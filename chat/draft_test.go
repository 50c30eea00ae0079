package chat_test

import (
	"slices"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

func TestDrafts(t *testing.T) {
	t.Parallel()
	w := newCvWorld(t, newSQLite(t), chat.Config{})
	a := w.a
	laptop, phone := w.as(t, a.EmployeeA), w.as(t, a.EmployeeA) // two devices, one user
	other := w.as(t, a.EmployeeB)

	d, err := w.svc.Messages.SaveDraft(laptop, chat.DraftInput{Subject: "Holiday pay", Body: "I wonder", Data: `{"category_id":1}`})
	storetest.NoErr(t, err, "save")
	d.Body = "I wonder why"
	d2, err := w.svc.Messages.SaveDraft(phone, chat.DraftInput{ID: d.ID, Subject: d.Subject, Body: d.Body, Data: d.Data})
	storetest.NoErr(t, err, "update from another device")
	got, err := w.svc.Messages.Draft(laptop, d.ID)
	storetest.NoErr(t, err, "resume")
	if got.Body != "I wonder why" || got.Channel != nil || !got.UpdatedAt.Equal(d2.UpdatedAt) {
		t.Fatalf("resumed %+v", got)
	}
	// Only the owner sees, changes or discards it.
	_, err = w.svc.Messages.Draft(other, d.ID)
	storetest.WantNotFound(t, err)
	_, err = w.svc.Messages.SaveDraft(other, chat.DraftInput{ID: d.ID, Body: "mine now"})
	storetest.WantNotFound(t, err)
	storetest.WantNotFound(t, w.svc.Messages.DiscardDraft(other, d.ID))
	list, err := w.svc.Messages.Drafts(other)
	storetest.NoErr(t, err, "list other")
	if len(list) != 0 {
		t.Fatalf("other user lists %d drafts", len(list))
	}

	// A reply draft needs a thread the user can read.
	v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{})
	ch := chat.ConversationChannel(v.ID)
	_, err = w.svc.Messages.SaveDraft(other, chat.DraftInput{Channel: &ch, Body: "x"})
	storetest.WantNotFound(t, err)
	reply, err := w.svc.Messages.SaveDraft(phone, chat.DraftInput{Channel: &ch, Body: "Thanks, and"})
	storetest.NoErr(t, err, "reply draft")
	list, err = w.svc.Messages.Drafts(laptop)
	storetest.NoErr(t, err, "list")
	if len(list) != 2 || list[1].Channel == nil || *list[1].Channel != ch {
		t.Fatalf("drafts = %+v", list)
	}
	storetest.NoErr(t, w.svc.Messages.DiscardDraft(laptop, reply.ID), "discard")

	// Sending the new conversation discards its draft.
	_ = w.create(t, a, a.EmployeeA, chat.NewConversationInput{DraftID: d.ID})
	_, err = w.svc.Messages.Draft(laptop, d.ID)
	storetest.WantNotFound(t, err)
}

func TestCategories(t *testing.T) {
	t.Parallel()
	w := newCvWorld(t, newSQLite(t), chat.Config{})
	a, b := w.a, w.b
	admin, emp := w.as(t, a.Admin), w.as(t, a.EmployeeA)
	h := a.Roles[chat.RoleMessageHandler].ID

	_, err := w.svc.Conversations.CreateCategory(emp, chat.CategoryInput{NameEN: "Mine", RoleIDs: []int64{h}})
	storetest.WantCode(t, err, chat.EForbidden)
	_, err = w.svc.Conversations.CreateCategory(admin, chat.CategoryInput{NameEN: "No roles"})
	storetest.WantCode(t, err, chat.EInvalid)
	_, err = w.svc.Conversations.CreateCategory(admin, chat.CategoryInput{NameEN: "Foreign role", RoleIDs: []int64{b.Roles[chat.RoleMessageHandler].ID}})
	storetest.WantCode(t, err, chat.EInvalid)
	bad := 0
	_, err = w.svc.Conversations.CreateCategory(admin, chat.CategoryInput{NameEN: "Bad retention", RoleIDs: []int64{h}, RetentionDays: &bad})
	storetest.WantCode(t, err, chat.EInvalid)

	c, err := w.svc.Conversations.CreateCategory(admin, chat.CategoryInput{NameEN: "Taxes", NameFI: "Verot", RoleIDs: []int64{h}})
	storetest.NoErr(t, err, "create")
	if !c.Active || c.NameFI != "Verot" {
		t.Fatalf("created %+v", c)
	}
	off := false
	_, err = w.svc.Conversations.UpdateCategory(admin, c.ID, chat.CategoryInput{NameEN: "Taxes", RoleIDs: []int64{h}, Active: &off})
	storetest.NoErr(t, err, "deactivate")
	ids := func(cs []chat.Category) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	list, err := w.svc.Conversations.Categories(emp, true)
	storetest.NoErr(t, err, "list")
	if slices.Contains(ids(list), c.ID) || !slices.Contains(ids(list), a.cat.ID) {
		t.Fatalf("employee lists %v", ids(list))
	}
	list, err = w.svc.Conversations.Categories(admin, true)
	storetest.NoErr(t, err, "admin list")
	if !slices.Contains(ids(list), c.ID) {
		t.Fatal("admin does not list the inactive category")
	}
	_, err = w.svc.Conversations.CreateConversation(emp, chat.NewConversationInput{CategoryID: c.ID, Subject: "x", Body: "y"})
	storetest.WantNotFound(t, err)
	_, err = w.svc.Conversations.Category(w.as(t, b.Admin), a.cat.ID)
	storetest.WantNotFound(t, err)
	_, err = w.svc.Conversations.UpdateCategory(w.as(t, b.Admin), a.cat.ID, chat.CategoryInput{NameEN: "x", RoleIDs: []int64{b.Roles[chat.RoleMessageHandler].ID}})
	storetest.WantNotFound(t, err)
}

// TestDirectoryScope: with company-based visibility on, users find their
// own companies' people and the handler side; tenant admins everyone.
func TestDirectoryScope(t *testing.T) {
	t.Parallel()
	w := newCvWorld(t, newSQLite(t), chat.Config{})
	a := w.a
	ctx := t.Context()
	find := func(u chat.User) []int64 {
		t.Helper()
		p := chat.PrincipalFrom(w.as(t, u))
		f, err := w.svc.Directory.DirectoryScope(ctx, w.st, p, chat.UserFilter{})
		storetest.NoErr(t, err, "DirectoryScope")
		us, err := w.st.UserList(ctx, a.Tenant.ID, f, chat.Page{Limit: 100})
		storetest.NoErr(t, err, "UserList")
		var ids []int64
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		return ids
	}
	all := []int64{a.Admin.ID, a.Handler.ID, a.Manager.ID, a.EmployeeA.ID, a.EmployeeB.ID, a.handlerA.ID, a.handlerB.ID, a.colleagueA.ID}
	storetest.SameIDs(t, "visibility off", find(a.EmployeeB), all)
	w.setVisibility(t, a, true)
	handlers := []int64{a.Handler.ID, a.handlerA.ID, a.handlerB.ID}
	storetest.SameIDs(t, "employee B", find(a.EmployeeB), append([]int64{a.EmployeeB.ID}, handlers...))
	storetest.SameIDs(t, "employee A", find(a.EmployeeA),
		append([]int64{a.Admin.ID, a.Manager.ID, a.EmployeeA.ID, a.colleagueA.ID}, handlers...))
	storetest.SameIDs(t, "handler without company", find(a.Handler), handlers)
	storetest.SameIDs(t, "admin", find(a.Admin), all)

	// The receiver preview hides (but counts) receivers outside the
	// caller's directory.
	emp := a.Roles[chat.RoleEmployee].ID
	preview, err := w.svc.Conversations.ReceiverPreview(w.as(t, a.EmployeeB), chat.NewConversationInput{CategoryID: a.cat.ID, RoleIDs: []int64{emp}})
	storetest.WantCode(t, err, chat.EForbidden)
	preview, err = w.svc.Conversations.ReceiverPreview(w.as(t, a.EmployeeB), chat.NewConversationInput{CategoryID: a.cat.ID})
	storetest.NoErr(t, err, "preview")
	var names []int64
	for _, r := range preview.Receivers {
		names = append(names, r.UserID)
	}
	// Company B's conversation: handler B by role and company, employee B
	// as creator; the tenant admin (company A) is a receiver but hidden.
	storetest.SameIDs(t, "preview", names, []int64{a.handlerB.ID, a.EmployeeB.ID})
	if preview.Hidden != 1 {
		t.Fatalf("hidden = %d, want 1 (the tenant admin)", preview.Hidden)
	}
}
