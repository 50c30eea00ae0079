package storetest

import (
	"testing"

	"parley/chat"
)

func testUserRoundTrip(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")

	got, err := s.UserGet(ctx, f.Tenant.ID, f.EmployeeA.ID)
	NoErr(t, err, "UserGet")
	want := f.EmployeeA
	if got.Email != want.Email || got.Name != want.Name || got.Locale != chat.LocaleEnglish || !got.Active ||
		got.Superuser || !got.EmailNotifications || got.TenantID != f.Tenant.ID {
		t.Fatalf("UserGet = %+v, want %+v", got, want)
	}
	if got.ManagerID == nil || *got.ManagerID != f.Manager.ID {
		t.Fatalf("ManagerID = %v, want %d", got.ManagerID, f.Manager.ID)
	}
	SameIDs(t, "CompanyIDs", got.CompanyIDs, want.CompanyIDs)
	SameIDs(t, "RoleIDs", got.RoleIDs, want.RoleIDs)
	SameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)

	h, err := s.UserGet(ctx, f.Tenant.ID, f.Handler.ID)
	NoErr(t, err, "UserGet handler")
	if len(h.CompanyIDs) != 0 || h.ManagerID != nil {
		t.Fatalf("handler = %+v, want no companies and no manager", h)
	}

	byEmail, hash, err := s.UserByEmail(ctx, f.Email("employee-a"))
	NoErr(t, err, "UserByEmail")
	if byEmail.ID != f.EmployeeA.ID || hash != "hash-employee-a" {
		t.Fatalf("UserByEmail = %+v, %q", byEmail, hash)
	}
	SameIDs(t, "UserByEmail RoleIDs", byEmail.RoleIDs, want.RoleIDs)
	_, _, err = s.UserByEmail(ctx, "nobody@nowhere.example")
	WantNotFound(t, err)

	NoErr(t, s.UserSetPassword(ctx, f.Tenant.ID, f.EmployeeA.ID, "new-hash"), "UserSetPassword")
	_, hash, err = s.UserByEmail(ctx, f.Email("employee-a"))
	NoErr(t, err, "UserByEmail")
	if hash != "new-hash" {
		t.Fatalf("hash = %q after UserSetPassword", hash)
	}

	_, err = s.UserGet(ctx, f.Tenant.ID, f.EmployeeA.ID+1000)
	WantNotFound(t, err)
	WantNotFound(t, s.UserSetPassword(ctx, f.Tenant.ID, f.EmployeeA.ID+1000, "x"))
}

func testUserUpdate(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")

	u := f.EmployeeA
	u.Name, u.Email, u.Locale = "Renamed", f.Email("renamed"), chat.LocaleFinnish
	u.Active, u.Superuser, u.EmailNotifications = false, true, false
	u.ManagerID = nil
	u.CompanyIDs = []int64{f.CompanyB.ID}
	u.RoleIDs = []int64{f.Roles[chat.RoleManager].ID, f.Roles[chat.RoleMessageHandler].ID}
	NoErr(t, s.UserUpdate(ctx, u), "UserUpdate")
	got, err := s.UserGet(ctx, f.Tenant.ID, u.ID)
	NoErr(t, err, "UserGet")
	if got.Name != "Renamed" || got.Email != f.Email("renamed") || got.Locale != chat.LocaleFinnish ||
		got.Active || !got.Superuser || got.EmailNotifications || got.ManagerID != nil {
		t.Fatalf("after update = %+v", got)
	}
	SameIDs(t, "CompanyIDs", got.CompanyIDs, u.CompanyIDs)
	SameIDs(t, "RoleIDs", got.RoleIDs, u.RoleIDs)
	// The password is not touched by UserUpdate.
	_, hash, err := s.UserByEmail(ctx, f.Email("renamed"))
	NoErr(t, err, "UserByEmail")
	if hash != "hash-employee-a" {
		t.Fatalf("hash = %q after UserUpdate", hash)
	}

	// Clearing companies and roles.
	u.CompanyIDs, u.RoleIDs = nil, nil
	NoErr(t, s.UserUpdate(ctx, u), "UserUpdate")
	got, err = s.UserGet(ctx, f.Tenant.ID, u.ID)
	NoErr(t, err, "UserGet")
	if len(got.CompanyIDs) != 0 || len(got.RoleIDs) != 0 {
		t.Fatalf("after clearing = %+v", got)
	}

	// Email is unique: taking another user's address conflicts.
	u.Email = f.Admin.Email
	WantCode(t, s.UserUpdate(ctx, u), chat.EConflict)

	missing := f.EmployeeB
	missing.ID += 1000
	WantNotFound(t, s.UserUpdate(ctx, missing))
}

func testUserCreateValidation(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")
	before, err := s.UserCount(ctx)
	NoErr(t, err, "UserCount")
	if before != 10 {
		t.Fatalf("UserCount = %d, want 10 (two fixtures)", before)
	}

	// Emails are unique across tenants.
	dup := chat.User{TenantID: b.Tenant.ID, Email: a.Admin.Email, Name: "Dup", Locale: "en", Active: true}
	WantCode(t, s.UserCreate(ctx, &dup, "h"), chat.EConflict)

	// Companies, roles and managers come from the user's own tenant;
	// a failed create leaves nothing behind.
	bad := chat.User{TenantID: a.Tenant.ID, Email: a.Email("bad1"), Name: "Bad", Locale: "en", Active: true,
		CompanyIDs: []int64{b.CompanyA.ID}}
	WantNotFound(t, s.UserCreate(ctx, &bad, "h"))
	bad = chat.User{TenantID: a.Tenant.ID, Email: a.Email("bad2"), Name: "Bad", Locale: "en", Active: true,
		RoleIDs: []int64{b.Roles[chat.RoleEmployee].ID}}
	WantNotFound(t, s.UserCreate(ctx, &bad, "h"))
	bad = chat.User{TenantID: a.Tenant.ID, Email: a.Email("bad3"), Name: "Bad", Locale: "en", Active: true,
		ManagerID: &b.Manager.ID}
	WantNotFound(t, s.UserCreate(ctx, &bad, "h"))
	bad = chat.User{TenantID: b.Tenant.ID + 1000, Email: "orphan@nowhere.example", Name: "Bad", Locale: "en"}
	WantNotFound(t, s.UserCreate(ctx, &bad, "h"))
	after, err := s.UserCount(ctx)
	NoErr(t, err, "UserCount")
	if after != before {
		t.Fatalf("UserCount = %d after failed creates, want %d", after, before)
	}
	_, _, err = s.UserByEmail(ctx, a.Email("bad1"))
	WantNotFound(t, err)

	// Updates are held to the same rule.
	u := a.EmployeeA
	u.CompanyIDs = []int64{b.CompanyA.ID}
	WantNotFound(t, s.UserUpdate(ctx, u))
	got, err := s.UserGet(ctx, a.Tenant.ID, u.ID)
	NoErr(t, err, "UserGet")
	SameIDs(t, "companies after failed update", got.CompanyIDs, a.EmployeeA.CompanyIDs)
}

func testUserTenantIsolation(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "A")
	b := NewFixture(t, s, "B")

	_, err := s.UserGet(ctx, b.Tenant.ID, a.EmployeeA.ID)
	WantNotFound(t, err)
	stolen := a.EmployeeA
	stolen.TenantID = b.Tenant.ID
	stolen.Name = "stolen"
	WantNotFound(t, s.UserUpdate(ctx, stolen))
	WantNotFound(t, s.UserSetPassword(ctx, b.Tenant.ID, a.EmployeeA.ID, "stolen"))
	got, hash, err := s.UserByEmail(ctx, a.EmployeeA.Email)
	NoErr(t, err, "UserByEmail")
	if got.Name != a.EmployeeA.Name || hash != "hash-employee-a" || got.TenantID != a.Tenant.ID {
		t.Fatalf("cross-tenant writes changed the user: %+v %q", got, hash)
	}
	list, err := s.UserList(ctx, b.Tenant.ID, chat.UserFilter{IDs: []int64{a.EmployeeA.ID}}, chat.Page{})
	wantNone(t, "UserList of B (A's users)", list, err)
	all, err := s.UserList(ctx, b.Tenant.ID, chat.UserFilter{}, chat.Page{})
	NoErr(t, err, "UserList")
	SameIDs(t, "B's users", userIDs(all), b.userIDs())
}

func testUserList(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "A")
	inactive := f.NewUser(t, "inactive", []int64{f.CompanyB.ID}, nil)
	inactive.Active = false
	NoErr(t, s.UserUpdate(ctx, inactive), "UserUpdate")
	mixed := f.NewUser(t, "MiXeD.Case", nil, nil)

	list := func(flt chat.UserFilter) []int64 {
		t.Helper()
		us, err := s.UserList(ctx, f.Tenant.ID, flt, chat.Page{})
		NoErr(t, err, "UserList")
		for i := 1; i < len(us); i++ {
			if us[i-1].ID >= us[i].ID {
				t.Fatalf("UserList not ordered by id: %v", userIDs(us))
			}
		}
		return userIDs(us)
	}
	everyone := append(f.userIDs(), inactive.ID, mixed.ID)
	SameIDs(t, "no filter", list(chat.UserFilter{}), everyone)
	SameIDs(t, "company A", list(chat.UserFilter{CompanyIDs: []int64{f.CompanyA.ID}}),
		[]int64{f.Admin.ID, f.Manager.ID, f.EmployeeA.ID})
	SameIDs(t, "company B", list(chat.UserFilter{CompanyIDs: []int64{f.CompanyB.ID}}),
		[]int64{f.EmployeeB.ID, inactive.ID})
	SameIDs(t, "company B or handlers", list(chat.UserFilter{CompanyIDs: []int64{f.CompanyB.ID}, OrHandlers: true}),
		[]int64{f.EmployeeB.ID, inactive.ID, f.Handler.ID})
	SameIDs(t, "both companies", list(chat.UserFilter{CompanyIDs: []int64{f.CompanyA.ID, f.CompanyB.ID}}),
		[]int64{f.Admin.ID, f.Manager.ID, f.EmployeeA.ID, f.EmployeeB.ID, inactive.ID})
	SameIDs(t, "managers", list(chat.UserFilter{RoleIDs: []int64{f.Roles[chat.RoleManager].ID}}), []int64{f.Manager.ID})
	SameIDs(t, "admins or handlers", list(chat.UserFilter{RoleIDs: []int64{f.Roles[chat.RoleTenantAdmin].ID, f.Roles[chat.RoleMessageHandler].ID}}),
		[]int64{f.Admin.ID, f.Handler.ID})
	SameIDs(t, "employees in B", list(chat.UserFilter{RoleIDs: []int64{f.Roles[chat.RoleEmployee].ID}, CompanyIDs: []int64{f.CompanyB.ID}}),
		[]int64{f.EmployeeB.ID})
	SameIDs(t, "active only", list(chat.UserFilter{ActiveOnly: true}), append(f.userIDs(), mixed.ID))
	SameIDs(t, "ids", list(chat.UserFilter{IDs: []int64{f.Admin.ID, inactive.ID}}), []int64{f.Admin.ID, inactive.ID})
	SameIDs(t, "ids active only", list(chat.UserFilter{IDs: []int64{f.Admin.ID, inactive.ID}, ActiveOnly: true}), []int64{f.Admin.ID})
	// Query is a case-insensitive substring of name or email.
	SameIDs(t, "query name", list(chat.UserFilter{Query: "mixed.case"}), []int64{mixed.ID})
	SameIDs(t, "query upper", list(chat.UserFilter{Query: "EMPLOYEE-"}), []int64{f.EmployeeA.ID, f.EmployeeB.ID})
	SameIDs(t, "query email", list(chat.UserFilter{Query: "handler@t"}), []int64{f.Handler.ID})
	SameIDs(t, "query wildcard is literal", list(chat.UserFilter{Query: "%"}), nil)
	SameIDs(t, "query underscore is literal", list(chat.UserFilter{Query: "_"}), nil)
	SameIDs(t, "query none", list(chat.UserFilter{Query: "zzz"}), nil)

	// Keyset pages cover everyone once.
	var paged []int64
	after := int64(0)
	for {
		us, err := s.UserList(ctx, f.Tenant.ID, chat.UserFilter{}, chat.Page{After: after, Limit: 3})
		NoErr(t, err, "UserList page")
		if len(us) > 3 {
			t.Fatalf("page of %d, limit 3", len(us))
		}
		if len(us) == 0 {
			break
		}
		paged = append(paged, userIDs(us)...)
		after = us[len(us)-1].ID
	}
	SameIDs(t, "paged", paged, everyone)

	got, err := s.UserList(ctx, f.Tenant.ID, chat.UserFilter{IDs: []int64{f.EmployeeA.ID}}, chat.Page{})
	NoErr(t, err, "UserList")
	SameIDs(t, "listed companies", got[0].CompanyIDs, f.EmployeeA.CompanyIDs)
	SameIDs(t, "listed roles", got[0].RoleIDs, f.EmployeeA.RoleIDs)

	n, err := s.UserCount(ctx)
	NoErr(t, err, "UserCount")
	if n != int64(len(everyone)) {
		t.Fatalf("UserCount = %d, want %d", n, len(everyone))
	}
}

func userIDs(us []chat.User) []int64 { return idsOf(us, func(u chat.User) int64 { return u.ID }) }

// userIDs lists the fixture's five users.
func (f *Fixture) userIDs() []int64 {
	return []int64{f.Admin.ID, f.Handler.ID, f.Manager.ID, f.EmployeeA.ID, f.EmployeeB.ID}
}
