package chat_test

import (
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// TestUserNames: the names a caller may see, under company visibility: its
// own companies and the handler side, group mates, never another tenant's
// people or the inactive; everyone for a tenant admin.
func TestUserNames(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		w.setVisibility(t, a, true)
		mate := a.NewUser(t, "mate-b", []int64{a.CompanyB.ID}, []int64{a.Roles[chat.RoleEmployee].ID})
		a.NewGroup(t, "lunch", a.EmployeeA.ID, mate.ID)
		all := []int64{a.EmployeeA.ID, a.Manager.ID, a.EmployeeB.ID, a.Handler.ID, mate.ID, w.b.EmployeeA.ID, 0, -3}
		for _, tc := range []struct {
			who  chat.User
			want []chat.User
		}{
			{a.EmployeeA, []chat.User{a.EmployeeA, a.Manager, a.Handler, mate}},
			{a.EmployeeB, []chat.User{a.EmployeeB, a.Handler, mate}},
			{a.Handler, []chat.User{a.Handler}},
			{a.Admin, []chat.User{a.EmployeeA, a.Manager, a.EmployeeB, a.Handler, mate}},
		} {
			names, err := w.svc.Directory.UserNames(w.as(t, tc.who), all)
			storetest.NoErr(t, err, "UserNames")
			if len(names) != len(tc.want) {
				t.Errorf("%s sees %v, want %d names", tc.who.Name, names, len(tc.want))
			}
			for _, u := range tc.want {
				if names[u.ID] != u.Name {
					t.Errorf("%s: name of %d = %q, want %q", tc.who.Name, u.ID, names[u.ID], u.Name)
				}
			}
		}
		_, err := w.svc.Directory.UserNames(w.as(t, a.EmployeeA), make([]int64, chat.MaxVisibleUsers+1))
		storetest.WantCode(t, err, chat.EInvalid)
	})
}

// TestConversationNames: a conversation comes with the names of its
// people for everyone who may see it, also where the directory would not
// name them (the customer sees a designated administrator who is in no
// company).
func TestConversationNames(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		w.setVisibility(t, a, true)
		admin2 := a.NewUser(t, "admin-2", nil, []int64{a.Roles[chat.RoleTenantAdmin].ID})
		v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{})
		_, err := w.svc.Conversations.TakeConversation(w.as(t, a.handlerA), v.ID)
		storetest.NoErr(t, err, "TakeConversation")
		_, err = w.svc.Conversations.SetConversationAdmin(w.as(t, a.Admin), v.ID, &admin2.ID)
		storetest.NoErr(t, err, "SetConversationAdmin")

		emma := w.as(t, a.EmployeeA)
		names, err := w.svc.Directory.UserNames(emma, []int64{admin2.ID})
		storetest.NoErr(t, err, "UserNames")
		if len(names) != 0 {
			t.Fatalf("fixture: the customer finds the administrator in the directory (%v), the test proves nothing", names)
		}
		for _, who := range []chat.User{a.EmployeeA, a.handlerA} {
			got, err := w.svc.Conversations.Conversation(w.as(t, who), v.ID)
			storetest.NoErr(t, err, "Conversation")
			for _, u := range []chat.User{a.EmployeeA, a.handlerA, admin2} {
				if got.Names[u.ID] != u.Name {
					t.Errorf("%s: names = %v, lacks %s", who.Name, got.Names, u.Name)
				}
			}
			list, err := w.svc.Conversations.Conversations(w.as(t, who), chat.ConversationQuery{})
			storetest.NoErr(t, err, "Conversations")
			if len(list) != 1 || list[0].Names[admin2.ID] != admin2.Name {
				t.Errorf("%s: list = %+v", who.Name, list)
			}
		}
	})
}
