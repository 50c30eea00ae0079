package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"parley/chat"
)

// Now is the current time as both engines store it: UTC, microseconds.
func Now() time.Time { return chat.SystemClock{}.Now() }

// WantCode fails the test unless err carries the chat error code (use ""
// for no error).
func WantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := chat.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
	if code != "" {
		var ce *chat.Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v is not a *chat.Error", err)
		}
	}
}

// NoErr fails the test on err.
func NoErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// WantNotFound fails unless err is ENotFound.
func WantNotFound(t testing.TB, err error) {
	t.Helper()
	WantCode(t, err, chat.ENotFound)
}

// SameTime fails unless the two times are the same instant.
func SameTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// SameIDs fails unless got and want hold the same ids in any order.
func SameIDs(t testing.TB, what string, got, want []int64) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// wantNone fails unless a list call succeeded and found nothing; what
// names the call and whose rows it must not see.
func wantNone[T any](t testing.TB, what string, got []T, err error) {
	t.Helper()
	NoErr(t, err, what)
	if len(got) != 0 {
		t.Fatalf("%s: got %d, want none: %+v", what, len(got), got)
	}
}

// idsOf lists the ids of xs, in their order.
func idsOf[T any](xs []T, id func(T) int64) []int64 {
	ids := make([]int64, len(xs))
	for i, x := range xs {
		ids[i] = id(x)
	}
	return ids
}

// Fixture is a populated tenant: the built-in roles, two companies and a
// user for each typical part. Every email is unique to the tenant, so
// several fixtures can share one store (tenant-isolation tests).
type Fixture struct {
	Store  chat.Store
	Tenant chat.Tenant
	// Roles holds the built-in roles by key.
	Roles map[chat.RoleKey]chat.Role
	// CompanyA and CompanyB are two customer companies of the tenant.
	CompanyA, CompanyB chat.Company
	// Admin holds tenant_admin and employee roles, in CompanyA.
	Admin chat.User
	// Handler holds message_handler, in no company (the provider side).
	Handler chat.User
	// Manager holds manager and employee, in CompanyA.
	Manager chat.User
	// EmployeeA (CompanyA, managed by Manager) and EmployeeB (CompanyB)
	// hold employee.
	EmployeeA, EmployeeB chat.User
	// Now is the time the fixture was made; use it as the base of times.
	Now time.Time
}

// NewFixture creates a tenant named name with its roles, companies and
// users in s.
func NewFixture(t testing.TB, s chat.Store, name string) *Fixture {
	t.Helper()
	ctx := t.Context()
	f := &Fixture{Store: s, Now: Now(), Roles: map[chat.RoleKey]chat.Role{}}
	f.Tenant = chat.Tenant{Name: name, Settings: chat.TenantSettings{MessengerEnabled: true}}
	NoErr(t, s.TenantCreate(ctx, &f.Tenant), "TenantCreate")
	for _, b := range chat.BuiltinRoles {
		r := chat.Role{TenantID: f.Tenant.ID, Key: b.Key, Name: b.Name, Handler: b.Handler}
		NoErr(t, s.RoleCreate(ctx, &r), "RoleCreate "+string(b.Key))
		f.Roles[b.Key] = r
	}
	f.CompanyA = f.NewCompany(t, name+" Company A")
	f.CompanyB = f.NewCompany(t, name+" Company B")
	emp := f.Roles[chat.RoleEmployee].ID
	f.Admin = f.NewUser(t, "admin", []int64{f.CompanyA.ID}, []int64{f.Roles[chat.RoleTenantAdmin].ID, emp})
	f.Handler = f.NewUser(t, "handler", nil, []int64{f.Roles[chat.RoleMessageHandler].ID})
	f.Manager = f.NewUser(t, "manager", []int64{f.CompanyA.ID}, []int64{f.Roles[chat.RoleManager].ID, emp})
	f.EmployeeA = f.newUser(t, "employee-a", []int64{f.CompanyA.ID}, []int64{emp}, &f.Manager.ID)
	f.EmployeeB = f.NewUser(t, "employee-b", []int64{f.CompanyB.ID}, []int64{emp})
	return f
}

// NewCompany adds a company to the fixture's tenant.
func (f *Fixture) NewCompany(t testing.TB, name string) chat.Company {
	t.Helper()
	c := chat.Company{TenantID: f.Tenant.ID, Name: name}
	NoErr(t, f.Store.CompanyCreate(t.Context(), &c), "CompanyCreate")
	return c
}

// NewUser adds an active user named key (email key@t<tenant id>.example)
// with the companies and roles.
func (f *Fixture) NewUser(t testing.TB, key string, companyIDs, roleIDs []int64) chat.User {
	t.Helper()
	return f.newUser(t, key, companyIDs, roleIDs, nil)
}

func (f *Fixture) newUser(t testing.TB, key string, companyIDs, roleIDs []int64, managerID *int64) chat.User {
	t.Helper()
	u := chat.User{
		TenantID:           f.Tenant.ID,
		Email:              f.Email(key),
		Name:               "User " + key,
		Locale:             chat.LocaleEnglish,
		Active:             true,
		CompanyIDs:         companyIDs,
		RoleIDs:            roleIDs,
		ManagerID:          managerID,
		EmailNotifications: true,
	}
	NoErr(t, f.Store.UserCreate(t.Context(), &u, "hash-"+key), "UserCreate "+key)
	return u
}

// Email returns the fixture's address for key, unique across fixtures.
func (f *Fixture) Email(key string) string {
	return fmt.Sprintf("%s@t%d.example", key, f.Tenant.ID)
}

// NewGroup adds an active messenger group with the members.
func (f *Fixture) NewGroup(t testing.TB, name string, memberIDs ...int64) chat.Group {
	t.Helper()
	ctx := t.Context()
	g := chat.Group{TenantID: f.Tenant.ID, Name: name, Active: true}
	NoErr(t, f.Store.GroupCreate(ctx, &g), "GroupCreate")
	NoErr(t, f.Store.GroupSetMembers(ctx, f.Tenant.ID, g.ID, memberIDs), "GroupSetMembers")
	g.MemberIDs = memberIDs
	return g
}

// NewTopic adds an active topic to the group.
func (f *Fixture) NewTopic(t testing.TB, groupID int64, name string) chat.Topic {
	t.Helper()
	tp := chat.Topic{TenantID: f.Tenant.ID, GroupID: groupID, Name: name, Active: true}
	NoErr(t, f.Store.TopicCreate(t.Context(), &tp), "TopicCreate")
	return tp
}

// NewCategory adds an active category routed to the roles.
func (f *Fixture) NewCategory(t testing.TB, name string, roleIDs ...int64) chat.Category {
	t.Helper()
	c := chat.Category{TenantID: f.Tenant.ID, NameEN: name, NameFI: name + " (fi)", RoleIDs: roleIDs, Active: true}
	NoErr(t, f.Store.CategoryCreate(t.Context(), &c), "CategoryCreate")
	return c
}

// NewConversation adds a new conversation by creatorID in the category,
// routed to the category's roles, with last activity at f.Now.
func (f *Fixture) NewConversation(t testing.TB, cat chat.Category, creatorID int64, subject string) chat.Conversation {
	t.Helper()
	c := chat.Conversation{
		TenantID:       f.Tenant.ID,
		Subject:        subject,
		CategoryID:     cat.ID,
		Status:         chat.StatusNew,
		CreatorID:      creatorID,
		RoleIDs:        cat.RoleIDs,
		LastActivityAt: f.Now,
	}
	NoErr(t, f.Store.ConversationCreate(t.Context(), &c), "ConversationCreate")
	return c
}

// PostMessage appends a text message to ch in one transaction (next seq,
// message, message.new event), as the service does, and returns it.
func (f *Fixture) PostMessage(t testing.TB, ch chat.Channel, authorID int64, body string) chat.Message {
	t.Helper()
	m := chat.Message{TenantID: f.Tenant.ID, Channel: ch, AuthorID: authorID, Kind: chat.MessageText, Body: body, CreatedAt: Now()}
	err := f.Store.InTx(t.Context(), func(tx chat.Store) error {
		seq, err := tx.ChannelNextSeq(t.Context(), f.Tenant.ID, ch)
		if err != nil {
			return err
		}
		m.Seq = seq
		if err := tx.MessageInsert(t.Context(), &m); err != nil {
			return err
		}
		return tx.ChannelEventInsert(t.Context(), f.Tenant.ID, ch, seq, chat.EventMessageNew, m.ID, m.CreatedAt)
	})
	NoErr(t, err, "PostMessage")
	return m
}
