package chat_test

import (
	"testing"

	"parley/chat"
)

// Category and settings changes reach every active user of the tenant
// live (tenant.changed with what), and nobody in another tenant.
func TestTenantChangedEvents(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		admin := w.as(t, a.Admin)
		told := func(what string) {
			t.Helper()
			evs := w.pub.take()
			for _, u := range []chat.User{a.member, a.outsider, a.Admin} {
				ev, ok := findEvent(evs, chat.UserChannel(u.ID), chat.EventTenant)
				if !ok {
					t.Fatalf("%s: user %d not told: %+v", what, u.ID, evs)
				}
				if d := ev.Data.(chat.TenantChangedData); d.What != what || d.TenantID != a.Tenant.ID || !d.MessengerEnabled {
					t.Fatalf("%s: event data %+v", what, d)
				}
			}
			if _, ok := findEvent(evs, chat.UserChannel(w.b.member.ID), chat.EventTenant); ok {
				t.Fatalf("%s: another tenant's user was told", what)
			}
		}
		w.pub.take()
		c, err := w.svc.Conversations.CreateCategory(admin, chat.CategoryInput{NameEN: "Taxes", RoleIDs: []int64{a.Roles[chat.RoleMessageHandler].ID}})
		msNoErr(t, "CreateCategory", err)
		told(chat.TenantChangedCategories)
		_, err = w.svc.Conversations.UpdateCategory(admin, c.ID, chat.CategoryInput{NameEN: "Tax", RoleIDs: []int64{a.Roles[chat.RoleMessageHandler].ID}})
		msNoErr(t, "UpdateCategory", err)
		told(chat.TenantChangedCategories)
		name := "Renamed"
		_, err = w.svc.Directory.TenantUpdate(admin, a.Tenant.ID, chat.TenantPatch{Name: &name})
		msNoErr(t, "TenantUpdate", err)
		told(chat.TenantChangedSettings)

		// A refused change tells nobody.
		_, err = w.svc.Conversations.CreateCategory(w.as(t, a.member), chat.CategoryInput{NameEN: "Mine", RoleIDs: []int64{a.Roles[chat.RoleMessageHandler].ID}})
		msWant(t, "CreateCategory by a member", err, chat.EForbidden)
		if evs := w.pub.take(); len(evs) != 0 {
			t.Fatalf("refused change published %+v", evs)
		}
	})
}
