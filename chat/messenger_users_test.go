package chat_test

import (
	"fmt"
	"testing"

	"parley/chat"
)

// TestMessengerUsersPage: a member sees their own active groups with the
// members' names, whatever the company rule says, and nothing else, on
// both engines.
func TestMessengerUsersPage(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		// Company visibility on: membership still decides.
		tt, err := w.st.TenantGet(t.Context(), a.Tenant.ID)
		msNoErr(t, "TenantGet", err)
		tt.Settings.CompanyVisibility = true
		msNoErr(t, "TenantUpdate", w.st.TenantUpdate(t.Context(), tt))
		second := a.NewGroup(t, "Board", a.member.ID, a.EmployeeB.ID)
		hidden := a.NewGroup(t, "Payroll team", a.mgr.ID, a.outsider.ID)
		inactive := a.NewGroup(t, "Old", a.member.ID, a.Admin.ID)
		inactive.Active = false
		msNoErr(t, "GroupUpdate", w.st.GroupUpdate(t.Context(), inactive))
		_ = hidden

		show := func(gs []chat.GroupWithMembers) string {
			out := ""
			for _, g := range gs {
				out += g.Name + ":"
				for _, m := range g.Members {
					out += fmt.Sprintf(" %s", m.Name)
				}
				out += ";"
			}
			return out
		}
		for _, c := range []struct {
			who  string
			u    chat.User
			want string
		}{
			{"member", a.member, "alpha group: User member User msgr;Board: User employee-b User member;"},
			{"manager", a.mgr, "alpha group: User member User msgr;Payroll team: User msgr User outsider;"},
			{"outsider", a.outsider, "Payroll team: User msgr User outsider;"},
			// A tenant admin sees only their own groups here (none active).
			{"tenant admin", a.Admin, ""},
			{"no groups", a.EmployeeA, ""},
			{"other tenant", w.b.member, "beta group: User member User msgr;"},
		} {
			gs, err := w.svc.Messenger.MyGroupMembers(w.as(t, c.u))
			msNoErr(t, "MyGroupMembers", err)
			if got := show(gs); got != c.want {
				t.Errorf("%s sees %q, want %q", c.who, got, c.want)
			}
		}
		if second.ID == 0 {
			t.Fatal("no group")
		}

		// With the messenger off there is nothing to show.
		tt.Settings.MessengerEnabled = false
		msNoErr(t, "TenantUpdate", w.st.TenantUpdate(t.Context(), tt))
		gs, err := w.svc.Messenger.MyGroupMembers(w.as(t, a.member))
		msNoErr(t, "MyGroupMembers off", err)
		if len(gs) != 0 {
			t.Fatalf("messenger off: %+v", gs)
		}
	})
}
