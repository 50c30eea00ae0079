package storetest

import (
	"testing"
	"time"

	"parley/chat"
)

func testTenantRoundTrip(t *testing.T, s chat.Store) {
	ctx := t.Context()
	created := Now().Add(-time.Hour)
	tn := chat.Tenant{Name: "Acme", CreatedAt: created, Settings: chat.TenantSettings{
		MessengerEnabled: true, CompanyVisibility: true, RetentionDays: 30, EmailExcerpts: true,
		MailFrom: "noreply@acme.example", ReplyTo: "support@acme.example",
		StatusLabels: map[string]map[chat.ConversationStatus]string{"en": {chat.StatusWaiting: "Attentive"}},
	}}
	NoErr(t, s.TenantCreate(ctx, &tn), "TenantCreate")
	if tn.ID == 0 {
		t.Fatal("TenantCreate did not set ID")
	}
	SameTime(t, "CreatedAt", tn.CreatedAt, created)
	got, err := s.TenantGet(ctx, tn.ID)
	NoErr(t, err, "TenantGet")
	if got.Name != "Acme" || got.Settings.RetentionDays != 30 || !got.Settings.CompanyVisibility ||
		got.Settings.MailFrom != "noreply@acme.example" || got.Settings.StatusLabels["en"][chat.StatusWaiting] != "Attentive" {
		t.Fatalf("TenantGet = %+v", got)
	}
	SameTime(t, "stored CreatedAt", got.CreatedAt, created)

	// A zero CreatedAt is filled in.
	t2 := chat.Tenant{Name: "Zero"}
	NoErr(t, s.TenantCreate(ctx, &t2), "TenantCreate")
	if t2.CreatedAt.IsZero() {
		t.Fatal("TenantCreate left CreatedAt zero")
	}

	got.Name = "Acme Ltd"
	got.Settings = chat.TenantSettings{RetentionDays: 7}
	NoErr(t, s.TenantUpdate(ctx, got), "TenantUpdate")
	got, err = s.TenantGet(ctx, tn.ID)
	NoErr(t, err, "TenantGet")
	if got.Name != "Acme Ltd" || got.Settings.RetentionDays != 7 || got.Settings.MessengerEnabled || got.Settings.StatusLabels != nil {
		t.Fatalf("after update = %+v", got)
	}

	_, err = s.TenantGet(ctx, tn.ID+1000)
	WantNotFound(t, err)
	WantNotFound(t, s.TenantUpdate(ctx, chat.Tenant{ID: tn.ID + 1000, Name: "x"}))
}

func testTenantListCount(t *testing.T, s chat.Store) {
	ctx := t.Context()
	n, err := s.TenantCount(ctx)
	NoErr(t, err, "TenantCount")
	if n != 0 {
		t.Fatalf("fresh store has %d tenants", n)
	}
	var ids []int64
	for _, name := range []string{"a", "b", "c"} {
		tn := chat.Tenant{Name: name}
		NoErr(t, s.TenantCreate(ctx, &tn), "TenantCreate")
		ids = append(ids, tn.ID)
	}
	n, err = s.TenantCount(ctx)
	NoErr(t, err, "TenantCount")
	if n != 3 {
		t.Fatalf("TenantCount = %d, want 3", n)
	}
	first, err := s.TenantList(ctx, chat.Page{Limit: 2})
	NoErr(t, err, "TenantList")
	if len(first) != 2 || first[0].ID != ids[0] || first[1].ID != ids[1] {
		t.Fatalf("first page = %+v", first)
	}
	rest, err := s.TenantList(ctx, chat.Page{After: first[1].ID, Limit: 2})
	NoErr(t, err, "TenantList")
	if len(rest) != 1 || rest[0].ID != ids[2] {
		t.Fatalf("second page = %+v", rest)
	}
	all, err := s.TenantList(ctx, chat.Page{})
	NoErr(t, err, "TenantList")
	if len(all) != 3 {
		t.Fatalf("default page has %d tenants", len(all))
	}
}

func testTenantCompanies(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")

	got, err := s.CompanyGet(ctx, a.Tenant.ID, a.CompanyA.ID)
	NoErr(t, err, "CompanyGet")
	if got.Name != "A Company A" || got.TenantID != a.Tenant.ID || got.CreatedAt.IsZero() {
		t.Fatalf("CompanyGet = %+v", got)
	}
	got.Name = "Renamed"
	NoErr(t, s.CompanyUpdate(ctx, got), "CompanyUpdate")
	got, err = s.CompanyGet(ctx, a.Tenant.ID, a.CompanyA.ID)
	NoErr(t, err, "CompanyGet")
	if got.Name != "Renamed" {
		t.Fatalf("after update = %+v", got)
	}

	c3 := a.NewCompany(t, "third")
	page1, err := s.CompanyList(ctx, a.Tenant.ID, chat.Page{Limit: 2})
	NoErr(t, err, "CompanyList")
	page2, err := s.CompanyList(ctx, a.Tenant.ID, chat.Page{After: page1[len(page1)-1].ID, Limit: 2})
	NoErr(t, err, "CompanyList")
	if len(page1) != 2 || len(page2) != 1 || page2[0].ID != c3.ID {
		t.Fatalf("pages = %+v / %+v", page1, page2)
	}

	// Tenant isolation: B's id never reaches A's companies.
	_, err = s.CompanyGet(ctx, b.Tenant.ID, a.CompanyA.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.CompanyUpdate(ctx, chat.Company{TenantID: b.Tenant.ID, ID: a.CompanyA.ID, Name: "stolen"}))
	got, err = s.CompanyGet(ctx, a.Tenant.ID, a.CompanyA.ID)
	NoErr(t, err, "CompanyGet")
	if got.Name != "Renamed" {
		t.Fatalf("cross-tenant update changed the company: %+v", got)
	}
	bs, err := s.CompanyList(ctx, b.Tenant.ID, chat.Page{})
	NoErr(t, err, "CompanyList")
	SameIDs(t, "B's companies", companyIDs(bs), []int64{b.CompanyA.ID, b.CompanyB.ID})

	// A company needs an existing tenant.
	err = s.CompanyCreate(ctx, &chat.Company{TenantID: b.Tenant.ID + 1000, Name: "orphan"})
	WantNotFound(t, err)
}

func testTenantRoles(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")

	roles, err := s.RoleList(ctx, a.Tenant.ID)
	NoErr(t, err, "RoleList")
	if len(roles) != len(chat.BuiltinRoles) {
		t.Fatalf("RoleList = %d roles, want %d", len(roles), len(chat.BuiltinRoles))
	}
	for _, r := range roles {
		if r.TenantID != a.Tenant.ID || !r.Builtin() || r != a.Roles[r.Key] {
			t.Fatalf("role %+v, fixture has %+v", r, a.Roles[r.Key])
		}
	}
	if !a.Roles[chat.RoleMessageHandler].Handler || a.Roles[chat.RoleEmployee].Handler {
		t.Fatal("handler flags not stored")
	}

	// Keys are unique per tenant; tenant-defined roles have none.
	dup := chat.Role{TenantID: a.Tenant.ID, Key: chat.RoleEmployee, Name: "Again"}
	WantCode(t, s.RoleCreate(ctx, &dup), chat.EConflict)
	payroll := chat.Role{TenantID: a.Tenant.ID, Name: "Payroll", Handler: true}
	NoErr(t, s.RoleCreate(ctx, &payroll), "RoleCreate")
	hr := chat.Role{TenantID: a.Tenant.ID, Name: "HR"}
	NoErr(t, s.RoleCreate(ctx, &hr), "RoleCreate second keyless role")

	got, err := s.RoleGet(ctx, a.Tenant.ID, payroll.ID)
	NoErr(t, err, "RoleGet")
	if got != payroll {
		t.Fatalf("RoleGet = %+v, want %+v", got, payroll)
	}
	got.Name, got.Handler = "Payroll team", false
	NoErr(t, s.RoleUpdate(ctx, got), "RoleUpdate")
	got, err = s.RoleGet(ctx, a.Tenant.ID, payroll.ID)
	NoErr(t, err, "RoleGet")
	if got.Name != "Payroll team" || got.Handler {
		t.Fatalf("after update = %+v", got)
	}

	// Deleting a tenant-defined role removes its memberships.
	u := a.NewUser(t, "payroller", []int64{a.CompanyA.ID}, []int64{payroll.ID, a.Roles[chat.RoleEmployee].ID})
	NoErr(t, s.RoleDelete(ctx, a.Tenant.ID, payroll.ID), "RoleDelete")
	_, err = s.RoleGet(ctx, a.Tenant.ID, payroll.ID)
	WantNotFound(t, err)
	u2, err := s.UserGet(ctx, a.Tenant.ID, u.ID)
	NoErr(t, err, "UserGet")
	SameIDs(t, "roles after delete", u2.RoleIDs, []int64{a.Roles[chat.RoleEmployee].ID})
	WantNotFound(t, s.RoleDelete(ctx, a.Tenant.ID, payroll.ID))

	// Built-in roles stay.
	WantCode(t, s.RoleDelete(ctx, a.Tenant.ID, a.Roles[chat.RoleEmployee].ID), chat.EInvalid)

	// Tenant isolation.
	_, err = s.RoleGet(ctx, b.Tenant.ID, hr.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.RoleUpdate(ctx, chat.Role{TenantID: b.Tenant.ID, ID: hr.ID, Name: "stolen"}))
	WantNotFound(t, s.RoleDelete(ctx, b.Tenant.ID, hr.ID))
	WantNotFound(t, s.RoleDelete(ctx, b.Tenant.ID, a.Roles[chat.RoleEmployee].ID))
	got, err = s.RoleGet(ctx, a.Tenant.ID, hr.ID)
	NoErr(t, err, "RoleGet")
	if got.Name != "HR" {
		t.Fatalf("cross-tenant update changed the role: %+v", got)
	}
	bRoles, err := s.RoleList(ctx, b.Tenant.ID)
	NoErr(t, err, "RoleList")
	for _, r := range bRoles {
		if r.TenantID != b.Tenant.ID {
			t.Fatalf("B's role list holds %+v", r)
		}
	}
}

func companyIDs(cs []chat.Company) []int64 {
	return idsOf(cs, func(c chat.Company) int64 { return c.ID })
}
