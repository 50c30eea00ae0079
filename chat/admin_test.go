package chat_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"parley/chat"
)

const adminTestPassword = "correct horse battery"

// adminWorld is a store with an operator and two tenants, A and B, each
// with an admin, an employee in a company, and an inactive user.
type adminWorld struct {
	svc   *chat.Service
	store chat.Store
	op    context.Context // the operator (superuser of the first tenant)
	a, b  adminTenant
}

type adminTenant struct {
	tenant   chat.Tenant
	roles    map[chat.RoleKey]chat.Role
	company  chat.Company // the employee's company
	other    chat.Company // a company the employee does not belong to
	admin    chat.User
	employee chat.User
	inactive chat.User
}

func newAdminWorld(t *testing.T) *adminWorld {
	t.Helper()
	ctx := t.Context()
	st := newSQLite(t)
	svc := chat.NewService(chat.Config{Store: st, Logger: zerolog.Nop()})
	w := &adminWorld{svc: svc, store: st}
	w.op = chat.OperatorContext(ctx)
	if _, err := svc.Directory.TenantCreate(w.op, chat.TenantInput{Name: "Operators"}); err != nil {
		t.Fatalf("operators' tenant: %v", err)
	}
	w.a = w.newTenant(t, "a")
	w.b = w.newTenant(t, "b")
	return w
}

func (w *adminWorld) newTenant(t *testing.T, key string) adminTenant {
	t.Helper()
	ctx := w.op
	var at adminTenant
	var err error
	if at.tenant, err = w.svc.Directory.TenantCreate(ctx, chat.TenantInput{Name: "Tenant " + key}); err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	roles, err := w.svc.Directory.RoleList(ctx, at.tenant.ID)
	if err != nil {
		t.Fatalf("RoleList: %v", err)
	}
	at.roles = map[chat.RoleKey]chat.Role{}
	for _, r := range roles {
		at.roles[r.Key] = r
	}
	if at.company, err = w.svc.Directory.CompanyCreate(ctx, at.tenant.ID, "Company "+key+"1"); err != nil {
		t.Fatalf("CompanyCreate: %v", err)
	}
	if at.other, err = w.svc.Directory.CompanyCreate(ctx, at.tenant.ID, "Company "+key+"2"); err != nil {
		t.Fatalf("CompanyCreate: %v", err)
	}
	// Users are written straight to the store with one shared hash: argon2
	// is deliberately slow, and UserCreate has tests of its own.
	user := func(name string, roles []int64, companies []int64, active bool) chat.User {
		u := chat.User{TenantID: at.tenant.ID, Email: name + "@" + key + ".example", Name: name, Locale: chat.LocaleEnglish,
			Active: active, RoleIDs: roles, CompanyIDs: companies, EmailNotifications: true}
		if err := w.store.UserCreate(t.Context(), &u, testPasswordHash(t)); err != nil {
			t.Fatalf("UserCreate %s: %v", name, err)
		}
		return u
	}
	emp := at.roles[chat.RoleEmployee].ID
	at.admin = user("admin", []int64{at.roles[chat.RoleTenantAdmin].ID, emp}, nil, true)
	at.employee = user("employee", []int64{emp}, []int64{at.company.ID}, true)
	at.inactive = user("inactive", []int64{emp}, []int64{at.company.ID}, false)
	return at
}

var testPasswordHash = func() func(t *testing.T) string {
	var once sync.Once
	var hash string
	var err error
	return func(t *testing.T) string {
		once.Do(func() { hash, err = chat.HashPassword(adminTestPassword) })
		if err != nil {
			t.Fatal(err)
		}
		return hash
	}
}()

// as returns a context carrying u's principal, built the way
// Authenticate builds it.
func (w *adminWorld) as(t *testing.T, u chat.User) context.Context {
	t.Helper()
	return actingAs(t, w.svc, u)
}

// login opens a real session for u and returns its id.
func (w *adminWorld) login(t *testing.T, u chat.User) string {
	t.Helper()
	sess, _, err := w.svc.Sessions.Login(t.Context(), u.Email, adminTestPassword, "192.0.2.1", "test")
	if err != nil {
		t.Fatalf("login %s: %v", u.Email, err)
	}
	return sess.ID
}

func (w *adminWorld) userCount(t *testing.T) int64 {
	t.Helper()
	n, err := w.store.UserCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := chat.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q, want %q (err: %v)", what, got, code, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAdminTenantIsolation(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	adminA := w.as(t, w.a.admin)
	empA := w.as(t, w.a.employee)
	b := w.b
	// Everything of tenant B is nonexistent to tenant A, admin or not.
	for _, ctx := range []context.Context{adminA, empA} {
		for name, call := range map[string]func() error{
			"TenantGet": func() error { _, err := w.svc.Directory.TenantGet(ctx, b.tenant.ID); return err },
			"TenantUpdate": func() error {
				_, err := w.svc.Directory.TenantUpdate(ctx, b.tenant.ID, chat.TenantPatch{Name: ptr("x")})
				return err
			},
			"CompanyList":      func() error { _, err := w.svc.Directory.CompanyList(ctx, b.tenant.ID, chat.Page{}); return err },
			"CompanyGet":       func() error { _, err := w.svc.Directory.CompanyGet(ctx, b.tenant.ID, b.company.ID); return err },
			"CompanyGet(A, B)": func() error { _, err := w.svc.Directory.CompanyGet(ctx, w.a.tenant.ID, b.company.ID); return err },
			"CompanyCreate":    func() error { _, err := w.svc.Directory.CompanyCreate(ctx, b.tenant.ID, "x"); return err },
			"CompanyUpdate":    func() error { _, err := w.svc.Directory.CompanyUpdate(ctx, b.tenant.ID, b.company.ID, "x"); return err },
			"UserList": func() error {
				_, err := w.svc.Directory.UserList(ctx, b.tenant.ID, chat.UserFilter{}, chat.Page{})
				return err
			},
			"UserGet":       func() error { _, err := w.svc.Directory.UserGet(ctx, b.tenant.ID, b.employee.ID); return err },
			"UserGet(A, B)": func() error { _, err := w.svc.Directory.UserGet(ctx, w.a.tenant.ID, b.employee.ID); return err },
			"UserByEmail":   func() error { _, err := w.svc.Directory.UserByEmail(ctx, b.employee.Email); return err },
			"UserCreate":    func() error { _, err := w.svc.Directory.UserCreate(ctx, b.tenant.ID, chat.UserInput{}); return err },
			"UserUpdate": func() error {
				_, err := w.svc.Directory.UserUpdate(ctx, b.tenant.ID, b.employee.ID, chat.UserPatch{Name: ptr("x")})
				return err
			},
			"UserUpdate(A, B)": func() error {
				_, err := w.svc.Directory.UserUpdate(ctx, w.a.tenant.ID, b.employee.ID, chat.UserPatch{Name: ptr("x")})
				return err
			},
			"UserResetPassword": func() error {
				_, err := w.svc.Directory.UserResetPassword(ctx, b.tenant.ID, b.employee.ID, "")
				return err
			},
			"UserReset(A, B)": func() error {
				_, err := w.svc.Directory.UserResetPassword(ctx, w.a.tenant.ID, b.employee.ID, "")
				return err
			},
			"RoleList": func() error { _, err := w.svc.Directory.RoleList(ctx, b.tenant.ID); return err },
			"RoleGet(A, B)": func() error {
				_, err := w.svc.Directory.RoleGet(ctx, w.a.tenant.ID, b.roles[chat.RoleEmployee].ID)
				return err
			},
			"RoleCreate": func() error {
				_, err := w.svc.Directory.RoleCreate(ctx, b.tenant.ID, chat.RoleInput{Name: "x"})
				return err
			},
			"RoleDelete": func() error { return w.svc.Directory.RoleDelete(ctx, b.tenant.ID, b.roles[chat.RoleEmployee].ID) },
		} {
			if ctx == empA && name == "UserReset(A, B)" {
				continue // an employee is refused before the user is looked up
			}
			wantCode(t, name, call(), chat.ENotFound)
		}
	}
	// Nothing of B changed.
	got, err := w.svc.Directory.TenantGet(w.op, b.tenant.ID)
	if err != nil || got.Name != b.tenant.Name {
		t.Fatalf("tenant B = %+v, %v", got, err)
	}
	if u, _ := w.svc.Directory.UserGet(w.op, b.tenant.ID, b.employee.ID); u.Name != b.employee.Name {
		t.Fatalf("user B renamed to %q", u.Name)
	}
	// Lists show tenant A only.
	ts, err := w.svc.Directory.TenantList(adminA, chat.Page{})
	if err != nil || len(ts) != 1 || ts[0].ID != w.a.tenant.ID {
		t.Fatalf("TenantList for admin A = %+v, %v", ts, err)
	}
	ts, err = w.svc.Directory.TenantList(w.op, chat.Page{})
	if err != nil || len(ts) != 3 {
		t.Fatalf("TenantList for operator = %d tenants, %v", len(ts), err)
	}
}

func TestAdminPermissions(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	a := w.a
	empA := w.as(t, a.employee)
	adminA := w.as(t, a.admin)

	// Employees read but do not manage.
	for name, call := range map[string]func() error{
		"TenantCreate": func() error { _, err := w.svc.Directory.TenantCreate(empA, chat.TenantInput{Name: "x"}); return err },
		"TenantUpdate": func() error {
			_, err := w.svc.Directory.TenantUpdate(empA, a.tenant.ID, chat.TenantPatch{Name: ptr("x")})
			return err
		},
		"CompanyCreate": func() error { _, err := w.svc.Directory.CompanyCreate(empA, a.tenant.ID, "x"); return err },
		"CompanyUpdate": func() error {
			_, err := w.svc.Directory.CompanyUpdate(empA, a.tenant.ID, a.company.ID, "x")
			return err
		},
		"UserCreate": func() error { _, err := w.svc.Directory.UserCreate(empA, a.tenant.ID, chat.UserInput{}); return err },
		"UserUpdate other": func() error {
			_, err := w.svc.Directory.UserUpdate(empA, a.tenant.ID, a.admin.ID, chat.UserPatch{Name: ptr("x")})
			return err
		},
		"UserUpdate roles": func() error {
			_, err := w.svc.Directory.UserUpdate(empA, a.tenant.ID, a.employee.ID, chat.UserPatch{RoleIDs: &[]int64{}})
			return err
		},
		"UserResetPassword": func() error {
			_, err := w.svc.Directory.UserResetPassword(empA, a.tenant.ID, a.admin.ID, "")
			return err
		},
		"RoleCreate": func() error {
			_, err := w.svc.Directory.RoleCreate(empA, a.tenant.ID, chat.RoleInput{Name: "x"})
			return err
		},
		"TenantCreate/adm": func() error { _, err := w.svc.Directory.TenantCreate(adminA, chat.TenantInput{Name: "x"}); return err },
		"UserCreate super": func() error {
			_, err := w.svc.Directory.UserCreate(adminA, a.tenant.ID, chat.UserInput{Superuser: true})
			return err
		},
		"UserUpdate super": func() error {
			_, err := w.svc.Directory.UserUpdate(adminA, a.tenant.ID, a.employee.ID, chat.UserPatch{Superuser: ptr(true)})
			return err
		},
	} {
		wantCode(t, name, call(), chat.EForbidden)
	}
	// Without a principal nothing is answered.
	_, err := w.svc.Directory.Me(t.Context())
	wantCode(t, "Me without principal", err, chat.EUnauthenticated)
	_, err = w.svc.Directory.TenantList(t.Context(), chat.Page{})
	wantCode(t, "TenantList without principal", err, chat.EUnauthenticated)

	// Employees read themselves, their tenant, their own companies, the
	// roles and the active directory.
	me, err := w.svc.Directory.Me(empA)
	if err != nil || me.ID != a.employee.ID {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if _, err := w.svc.Directory.TenantGet(empA, a.tenant.ID); err != nil {
		t.Fatalf("TenantGet own: %v", err)
	}
	cs, err := w.svc.Directory.CompanyList(empA, a.tenant.ID, chat.Page{})
	if err != nil || len(cs) != 1 || cs[0].ID != a.company.ID {
		t.Fatalf("employee CompanyList = %+v, %v", cs, err)
	}
	_, err = w.svc.Directory.CompanyGet(empA, a.tenant.ID, a.other.ID)
	wantCode(t, "CompanyGet of another customer", err, chat.ENotFound)
	cs, err = w.svc.Directory.CompanyList(adminA, a.tenant.ID, chat.Page{})
	if err != nil || len(cs) != 2 {
		t.Fatalf("admin CompanyList = %+v, %v", cs, err)
	}
	if rs, err := w.svc.Directory.RoleList(empA, a.tenant.ID); err != nil || len(rs) != len(chat.BuiltinRoles) {
		t.Fatalf("RoleList = %+v, %v", rs, err)
	}
	dir, err := w.svc.Directory.UserList(empA, a.tenant.ID, chat.UserFilter{}, chat.Page{})
	if err != nil || len(dir) != 2 {
		t.Fatalf("employee directory = %d users, %v; want the 2 active ones", len(dir), err)
	}
	_, err = w.svc.Directory.UserGet(empA, a.tenant.ID, a.inactive.ID)
	wantCode(t, "employee UserGet inactive", err, chat.ENotFound)
	all, err := w.svc.Directory.UserList(adminA, a.tenant.ID, chat.UserFilter{}, chat.Page{})
	if err != nil || len(all) != 3 {
		t.Fatalf("admin directory = %d users, %v; want 3", len(all), err)
	}

	// Users change their own name, locale and notifications.
	u, err := w.svc.Directory.UserUpdate(empA, a.tenant.ID, a.employee.ID, chat.UserPatch{Name: ptr(" Emma "), Locale: ptr("fi"), EmailNotifications: ptr(false)})
	if err != nil || u.Name != "Emma" || u.Locale != "fi" || u.EmailNotifications {
		t.Fatalf("self update = %+v, %v", u, err)
	}

	// Admins cannot lock themselves out.
	_, err = w.svc.Directory.UserUpdate(adminA, a.tenant.ID, a.admin.ID, chat.UserPatch{Active: ptr(false)})
	wantCode(t, "deactivate self", err, chat.EInvalid)
	_, err = w.svc.Directory.UserUpdate(adminA, a.tenant.ID, a.admin.ID, chat.UserPatch{RoleIDs: &[]int64{a.roles[chat.RoleEmployee].ID}})
	wantCode(t, "drop own admin role", err, chat.EInvalid)

	// Operators create operators.
	op, err := w.svc.Directory.UserCreate(w.op, a.tenant.ID, chat.UserInput{Email: "op2@a.example", Name: "Op 2", Password: adminTestPassword, Superuser: true})
	if err != nil || !op.Superuser {
		t.Fatalf("operator UserCreate superuser = %+v, %v", op, err)
	}
}

func TestAdminInvalidInputWritesNothing(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	a := w.a
	admin := w.as(t, a.admin)
	valid := chat.UserInput{Email: "new@a.example", Name: "New", Password: adminTestPassword}
	with := func(f func(*chat.UserInput)) chat.UserInput { in := valid; f(&in); return in }
	long := strings.Repeat("x", chat.MaxNameLen+1)
	for _, tc := range []struct {
		name string
		in   chat.UserInput
		code string
		msg  string
	}{
		{"empty email", with(func(in *chat.UserInput) { in.Email = "" }), chat.EInvalid, "email is required"},
		{"bad email", with(func(in *chat.UserInput) { in.Email = "not an email" }), chat.EInvalid, "not a valid address"},
		{"header injection", with(func(in *chat.UserInput) { in.Email = "a@b.example\r\nBcc: x@y" }), chat.EInvalid, "not a valid address"},
		{"empty name", with(func(in *chat.UserInput) { in.Name = "  " }), chat.EInvalid, "name is required"},
		{"long name", with(func(in *chat.UserInput) { in.Name = long }), chat.EInvalid, "longer than 200"},
		{"control chars", with(func(in *chat.UserInput) { in.Name = "a\x00b" }), chat.EInvalid, "control characters"},
		{"bad locale", with(func(in *chat.UserInput) { in.Locale = "sv" }), chat.EInvalid, "locale"},
		{"short password", with(func(in *chat.UserInput) { in.Password = "short" }), chat.EInvalid, "at least 10"},
		{"unknown company", with(func(in *chat.UserInput) { in.CompanyIDs = []int64{a.company.ID, 999999} }), chat.EInvalid, "company 999999 does not exist"},
		{"company of B", with(func(in *chat.UserInput) { in.CompanyIDs = []int64{w.b.company.ID} }), chat.EInvalid, "does not exist"},
		{"role of B", with(func(in *chat.UserInput) { in.RoleIDs = []int64{w.b.roles[chat.RoleEmployee].ID} }), chat.EInvalid, "does not exist"},
		{"manager of B", with(func(in *chat.UserInput) { in.ManagerID = &w.b.admin.ID }), chat.EInvalid, "manager"},
		{"email in use in B", with(func(in *chat.UserInput) { in.Email = w.b.employee.Email }), chat.EConflict, "already in use"},
	} {
		before := w.userCount(t)
		_, err := w.svc.Directory.UserCreate(admin, a.tenant.ID, tc.in)
		wantCode(t, tc.name, err, tc.code)
		if !strings.Contains(chat.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: message %q does not mention %q", tc.name, chat.ErrorMessage(err), tc.msg)
		}
		if after := w.userCount(t); after != before {
			t.Fatalf("%s: %d users written", tc.name, after-before)
		}
	}

	// Patches: invalid fields leave the user as it was.
	for _, tc := range []struct {
		name  string
		patch chat.UserPatch
	}{
		{"bad email", chat.UserPatch{Name: ptr("Changed"), Email: ptr("nope")}},
		{"long name", chat.UserPatch{Locale: ptr("fi"), Name: ptr(long)}},
		{"bad locale", chat.UserPatch{Name: ptr("Changed"), Locale: ptr("xx")}},
		{"role of B", chat.UserPatch{Name: ptr("Changed"), RoleIDs: &[]int64{w.b.roles[chat.RoleEmployee].ID}}},
		{"own manager", chat.UserPatch{Name: ptr("Changed"), ManagerID: &a.employee.ID}},
	} {
		_, err := w.svc.Directory.UserUpdate(admin, a.tenant.ID, a.employee.ID, tc.patch)
		wantCode(t, tc.name, err, chat.EInvalid)
		u, _ := w.svc.Directory.UserGet(admin, a.tenant.ID, a.employee.ID)
		if u.Name != a.employee.Name || u.Locale != a.employee.Locale || !slices.Equal(u.RoleIDs, a.employee.RoleIDs) {
			t.Fatalf("%s: user changed to %+v", tc.name, u)
		}
	}

	// Tenants, companies and roles.
	_, err := w.svc.Directory.TenantCreate(w.op, chat.TenantInput{Name: long})
	wantCode(t, "tenant long name", err, chat.EInvalid)
	for name, st := range map[string]chat.TenantSettings{
		"negative retention": {RetentionDays: -1},
		"bad mail_from":      {MailFrom: "nope"},
		"bad office address": {NotificationEmail: "office at example"},
		"bad office locale":  {NotificationEmail: "office@a.example", NotificationLocale: "de"},
		"bad label locale":   {StatusLabels: map[string]map[chat.ConversationStatus]string{"de": {chat.StatusNew: "Neu"}}},
		"bad label status":   {StatusLabels: map[string]map[chat.ConversationStatus]string{"en": {"closed": "Closed"}}},
		"empty label":        {StatusLabels: map[string]map[chat.ConversationStatus]string{"en": {chat.StatusNew: ""}}},
	} {
		_, err := w.svc.Directory.TenantUpdate(admin, a.tenant.ID, chat.TenantPatch{Name: ptr("Changed"), Settings: &st})
		wantCode(t, name, err, chat.EInvalid)
	}
	if got, _ := w.svc.Directory.TenantGet(admin, a.tenant.ID); got.Name != a.tenant.Name {
		t.Fatalf("tenant renamed to %q by invalid input", got.Name)
	}
	_, err = w.svc.Directory.CompanyCreate(admin, a.tenant.ID, "")
	wantCode(t, "company empty name", err, chat.EInvalid)
	_, err = w.svc.Directory.CompanyUpdate(admin, a.tenant.ID, a.company.ID, long)
	wantCode(t, "company long name", err, chat.EInvalid)
	_, err = w.svc.Directory.RoleCreate(admin, a.tenant.ID, chat.RoleInput{Name: long})
	wantCode(t, "role long name", err, chat.EInvalid)
	if cs, _ := w.svc.Directory.CompanyList(admin, a.tenant.ID, chat.Page{}); len(cs) != 2 || cs[0].Name != a.company.Name {
		t.Fatalf("companies after invalid input = %+v", cs)
	}
	if rs, _ := w.svc.Directory.RoleList(admin, a.tenant.ID); len(rs) != len(chat.BuiltinRoles) {
		t.Fatalf("roles after invalid input = %+v", rs)
	}

	// Valid settings are kept normalised.
	got, err := w.svc.Directory.TenantUpdate(admin, a.tenant.ID, chat.TenantPatch{Settings: &chat.TenantSettings{MessengerEnabled: true,
		MailFrom: " Chat@A.Example ", StatusLabels: map[string]map[chat.ConversationStatus]string{"en": {chat.StatusWaiting: " Attentive "}}}})
	if err != nil || got.Settings.MailFrom != "chat@a.example" || got.Settings.StatusLabels["en"][chat.StatusWaiting] != "Attentive" || got.Name != a.tenant.Name {
		t.Fatalf("TenantUpdate = %+v, %v", got, err)
	}
	if again, _ := w.svc.Directory.TenantGet(admin, a.tenant.ID); !again.Settings.MessengerEnabled {
		t.Fatalf("settings not saved: %+v", again.Settings)
	}

	// The office notification address: normalised, shown to tenant
	// admins only.
	got, err = w.svc.Directory.TenantUpdate(admin, a.tenant.ID, chat.TenantPatch{Settings: &chat.TenantSettings{
		NotificationEmail: " Office@A.Example ", NotificationLocale: "fi"}})
	if err != nil || got.Settings.NotificationEmail != "office@a.example" || got.Settings.NotificationLocale != "fi" {
		t.Fatalf("TenantUpdate office address = %+v, %v", got.Settings, err)
	}
	if seen, err := w.svc.Directory.TenantGet(w.as(t, a.employee), a.tenant.ID); err != nil || seen.Settings.NotificationEmail != "" {
		t.Fatalf("an employee reads the office address: %+v, %v", seen.Settings, err)
	}
	if ts, err := w.svc.Directory.TenantList(w.as(t, a.employee), chat.Page{}); err != nil || len(ts) != 1 || ts[0].Settings.NotificationEmail != "" {
		t.Fatalf("an employee lists the office address: %+v, %v", ts, err)
	}
}

func TestAdminRevokesSessions(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	a := w.a
	admin := w.as(t, a.admin)
	ctx := t.Context()
	alive := func(sid string) bool {
		_, err := w.svc.Sessions.Authenticate(ctx, sid)
		return err == nil
	}

	// A rename keeps the session.
	sid := w.login(t, a.employee)
	if _, err := w.svc.Directory.UserUpdate(admin, a.tenant.ID, a.employee.ID, chat.UserPatch{Name: ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}
	if !alive(sid) {
		t.Fatal("rename ended the session")
	}
	// A role change ends it.
	if _, err := w.svc.Directory.UserUpdate(admin, a.tenant.ID, a.employee.ID, chat.UserPatch{RoleIDs: &[]int64{a.roles[chat.RoleManager].ID}}); err != nil {
		t.Fatal(err)
	}
	if alive(sid) {
		t.Fatal("role change kept the session")
	}
	// Deactivation ends it, and the user cannot log in again.
	sid = w.login(t, a.employee)
	if _, err := w.svc.Directory.UserUpdate(admin, a.tenant.ID, a.employee.ID, chat.UserPatch{Active: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if alive(sid) {
		t.Fatal("deactivation kept the session")
	}
	if _, _, err := w.svc.Sessions.Login(ctx, a.employee.Email, adminTestPassword, "192.0.2.1", "test"); !chat.IsCode(err, chat.EUnauthenticated) {
		t.Fatalf("deactivated user logged in: %v", err)
	}
	if _, err := w.svc.Directory.UserUpdate(admin, a.tenant.ID, a.employee.ID, chat.UserPatch{Active: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	// A password reset ends it; the new password works.
	sid = w.login(t, a.employee)
	pw, err := w.svc.Directory.UserResetPassword(admin, a.tenant.ID, a.employee.ID, "")
	if err != nil || len(pw) < chat.MinPasswordLen {
		t.Fatalf("reset = %q, %v", pw, err)
	}
	if alive(sid) {
		t.Fatal("password reset kept the session")
	}
	if _, _, err := w.svc.Sessions.Login(ctx, a.employee.Email, pw, "192.0.2.1", "test"); err != nil {
		t.Fatalf("login with reset password: %v", err)
	}
	_, err = w.svc.Directory.UserResetPassword(admin, a.tenant.ID, a.employee.ID, "short")
	wantCode(t, "reset to a short password", err, chat.EInvalid)

	// Deleting a role its holder has ends the holder's session.
	custom, err := w.svc.Directory.RoleCreate(admin, a.tenant.ID, chat.RoleInput{Name: "Payroll", Handler: true})
	if err != nil || custom.Key != "" || !custom.Handler {
		t.Fatalf("RoleCreate = %+v, %v", custom, err)
	}
	if _, err := w.svc.Directory.UserUpdate(admin, a.tenant.ID, a.employee.ID, chat.UserPatch{RoleIDs: &[]int64{custom.ID}}); err != nil {
		t.Fatal(err)
	}
	sid, err = func() (string, error) {
		s, _, err := w.svc.Sessions.Login(ctx, a.employee.Email, pw, "192.0.2.1", "test")
		return s.ID, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Directory.RoleDelete(admin, a.tenant.ID, custom.ID); err != nil {
		t.Fatalf("RoleDelete: %v", err)
	}
	if alive(sid) {
		t.Fatal("role deletion kept the holder's session")
	}
	u, _ := w.svc.Directory.UserGet(admin, a.tenant.ID, a.employee.ID)
	if len(u.RoleIDs) != 0 {
		t.Fatalf("deleted role still held: %v", u.RoleIDs)
	}
}

func TestAdminRoles(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	a := w.a
	admin := w.as(t, a.admin)
	emp := a.roles[chat.RoleEmployee]

	err := w.svc.Directory.RoleDelete(admin, a.tenant.ID, emp.ID)
	wantCode(t, "delete built-in", err, chat.EInvalid)
	_, err = w.svc.Directory.RoleUpdate(admin, a.tenant.ID, emp.ID, chat.RolePatch{Key: ptr(chat.RoleKey("boss"))})
	wantCode(t, "re-key built-in", err, chat.EInvalid)
	_, err = w.svc.Directory.RoleUpdate(admin, a.tenant.ID, emp.ID, chat.RolePatch{Handler: ptr(true)})
	wantCode(t, "make employee a handler", err, chat.EInvalid)
	r, err := w.svc.Directory.RoleUpdate(admin, a.tenant.ID, emp.ID, chat.RolePatch{Name: ptr("Työntekijä"), Key: ptr(chat.RoleEmployee)})
	if err != nil || r.Name != "Työntekijä" || r.Key != chat.RoleEmployee {
		t.Fatalf("rename built-in = %+v, %v", r, err)
	}
	custom, err := w.svc.Directory.RoleCreate(admin, a.tenant.ID, chat.RoleInput{Name: "Auditor"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Directory.RoleUpdate(admin, a.tenant.ID, custom.ID, chat.RolePatch{Key: ptr(chat.RoleTenantAdmin)})
	wantCode(t, "key a custom role as tenant admin", err, chat.EInvalid)
	if r, err = w.svc.Directory.RoleUpdate(admin, a.tenant.ID, custom.ID, chat.RolePatch{Handler: ptr(true)}); err != nil || !r.Handler || r.Name != "Auditor" {
		t.Fatalf("custom role handler = %+v, %v", r, err)
	}
	if err := w.svc.Directory.RoleDelete(admin, a.tenant.ID, custom.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Directory.RoleGet(admin, a.tenant.ID, custom.ID)
	wantCode(t, "deleted role", err, chat.ENotFound)
}

func TestAdminBootstrap(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	ctx := t.Context()
	count := func() int64 {
		n, err := w.store.TenantCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	valid := chat.BootstrapInput{TenantName: "Acme Payroll", AdminEmail: "Boss@Acme.example", AdminName: "Boss", AdminPassword: adminTestPassword}
	before := count()
	for name, f := range map[string]func(*chat.BootstrapInput){
		"empty tenant name": func(in *chat.BootstrapInput) { in.TenantName = "" },
		"bad email":         func(in *chat.BootstrapInput) { in.AdminEmail = "boss" },
		"long admin name":   func(in *chat.BootstrapInput) { in.AdminName = strings.Repeat("y", 201) },
		"short password":    func(in *chat.BootstrapInput) { in.AdminPassword = "123" },
	} {
		in := valid
		f(&in)
		_, _, err := w.svc.Directory.Bootstrap(ctx, in)
		wantCode(t, name, err, chat.EInvalid)
	}
	// An email in use rolls the whole tenant back.
	in := valid
	in.AdminEmail = w.a.admin.Email
	_, _, err := w.svc.Directory.Bootstrap(ctx, in)
	wantCode(t, "email in use", err, chat.EConflict)
	if n := count(); n != before {
		t.Fatalf("invalid bootstraps wrote %d tenants", n-before)
	}

	tenant, admin, err := w.svc.Directory.Bootstrap(ctx, valid)
	if err != nil {
		t.Fatal(err)
	}
	if admin.Email != "boss@acme.example" || admin.Superuser || admin.TenantID != tenant.ID || len(admin.RoleIDs) != 2 {
		t.Fatalf("bootstrapped admin = %+v", admin)
	}
	ctxAdmin := w.as(t, admin)
	if !chat.PrincipalFrom(ctxAdmin).TenantAdmin() {
		t.Fatal("bootstrapped admin is not a tenant admin")
	}
	if _, err := w.svc.Directory.CompanyCreate(ctxAdmin, tenant.ID, "First customer"); err != nil {
		t.Fatal(err)
	}
	// The operator context of trusted code reaches every tenant.
	op := chat.OperatorContext(ctx)
	if u, err := w.svc.Directory.UserByEmail(op, "BOSS@acme.example"); err != nil || u.ID != admin.ID {
		t.Fatalf("UserByEmail as operator = %+v, %v", u, err)
	}
}

func TestAdminPagination(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	a := w.a
	admin := w.as(t, a.admin)
	for i := range 3 {
		if _, err := w.svc.Directory.CompanyCreate(admin, a.tenant.ID, "Extra "+string(rune('A'+i))); err != nil {
			t.Fatal(err)
		}
	}
	var seen []int64
	page := chat.Page{Limit: 2}
	for {
		cs, err := w.svc.Directory.CompanyList(admin, a.tenant.ID, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			seen = append(seen, c.ID)
		}
		if len(cs) < page.Limit {
			break
		}
		page.After = cs[len(cs)-1].ID
	}
	if len(seen) != 5 || !slices.IsSorted(seen) {
		t.Fatalf("paged companies = %v", seen)
	}
	// A member's own companies page the same way.
	emp := w.as(t, a.employee)
	cs, err := w.svc.Directory.CompanyList(emp, a.tenant.ID, chat.Page{After: a.company.ID})
	if err != nil || len(cs) != 0 {
		t.Fatalf("employee companies after own = %+v, %v", cs, err)
	}
}
