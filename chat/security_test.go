package chat_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"parley/chat"
	"parley/storage/storetest"
)

// Security regressions found in review: each test fails without its fix.

func secVisibility(t *testing.T, f *storetest.Fixture, on bool) {
	t.Helper()
	tn, err := f.Store.TenantGet(t.Context(), f.Tenant.ID)
	coreNoErr(t, err, "tenant")
	tn.Settings.CompanyVisibility = on
	coreNoErr(t, f.Store.TenantUpdate(t.Context(), tn), "visibility")
}

// A stolen session must not allow unlimited guessing of the password
// through the change-password form: wrong current passwords count as
// failed logins of the account.
func TestChangePasswordWrongCurrentIsThrottled(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ctx := t.Context()
		const pw = "the right password"
		hash, err := chat.HashPassword(pw)
		coreNoErr(t, err, "hash")
		coreNoErr(t, w.f.Store.UserSetPassword(ctx, w.member.TenantID, w.member.ID, hash), "set password")
		sess, _, err := w.svc.Sessions.Login(ctx, w.member.Email, pw, "10.0.0.1", "ua")
		coreNoErr(t, err, "login")
		p, err := w.svc.Sessions.Authenticate(ctx, sess.ID)
		coreNoErr(t, err, "authenticate")
		as := chat.WithPrincipal(ctx, p)
		for i := range 5 {
			err := w.svc.Sessions.ChangePassword(as, "guess number "+string(rune('a'+i)), "a brand new password")
			storetest.WantCode(t, err, chat.EUnauthenticated)
		}
		// Now even the right current password is refused, and so is login.
		storetest.WantCode(t, w.svc.Sessions.ChangePassword(as, pw, "a brand new password"), chat.ERateLimited)
		_, _, err = w.svc.Sessions.Login(ctx, w.member.Email, pw, "10.0.0.9", "ua")
		storetest.WantCode(t, err, chat.ERateLimited)
		w.clock.Advance(16 * time.Minute)
		p, err = w.svc.Sessions.Authenticate(ctx, sess.ID)
		coreNoErr(t, err, "session after the window")
		coreNoErr(t, w.svc.Sessions.ChangePassword(chat.WithPrincipal(ctx, p), pw, "a brand new password"), "change after the window")
	})
}

// With company-based visibility, a single user is as invisible as in the
// directory list: another customer's employee answers 404.
func TestUserGetFollowsCompanyRule(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		f := w.f
		empA := w.as(t, f.EmployeeA)
		secVisibility(t, f, true)
		_, err := w.svc.Directory.UserGet(empA, f.Tenant.ID, f.EmployeeB.ID)
		storetest.WantNotFound(t, err)
		_, err = w.svc.Directory.UserByEmail(empA, f.EmployeeB.Email)
		storetest.WantNotFound(t, err)
		_, err = w.svc.Directory.UserUpdate(empA, f.Tenant.ID, f.EmployeeB.ID, chat.UserPatch{Name: ptrTo("x")})
		storetest.WantNotFound(t, err)
		for _, u := range []chat.User{f.EmployeeA, f.Manager, f.Handler} {
			if _, err := w.svc.Directory.UserGet(empA, f.Tenant.ID, u.ID); err != nil {
				t.Fatalf("UserGet %s: %v", u.Name, err)
			}
		}
		if _, err := w.svc.Directory.UserGet(w.as(t, f.Admin), f.Tenant.ID, f.EmployeeB.ID); err != nil {
			t.Fatalf("admin UserGet: %v", err)
		}
		secVisibility(t, f, false)
		if _, err := w.svc.Directory.UserGet(empA, f.Tenant.ID, f.EmployeeB.ID); err != nil {
			t.Fatalf("UserGet without the company rule: %v", err)
		}
	})
}

// A tenant admin must not take over an operator of its tenant by resetting
// the operator's password or changing its email.
func TestTenantAdminCannotTakeOverOperator(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		f, ctx := w.f, t.Context()
		op := f.NewUser(t, "operator", nil, []int64{f.Roles[chat.RoleEmployee].ID})
		op.Superuser = true
		coreNoErr(t, f.Store.UserUpdate(ctx, op), "make operator")
		admin := w.as(t, f.Admin)
		_, err := w.svc.Directory.UserResetPassword(admin, f.Tenant.ID, op.ID, "")
		storetest.WantCode(t, err, chat.EForbidden)
		for name, patch := range map[string]chat.UserPatch{
			"email":      {Email: ptrTo("mine@evil.example")},
			"deactivate": {Active: ptrTo(false)},
			"name":       {Name: ptrTo("Renamed")},
		} {
			_, err := w.svc.Directory.UserUpdate(admin, f.Tenant.ID, op.ID, patch)
			if !chat.IsCode(err, chat.EForbidden) {
				t.Fatalf("%s: %v, want forbidden", name, err)
			}
		}
		got, err := f.Store.UserGet(ctx, f.Tenant.ID, op.ID)
		coreNoErr(t, err, "operator")
		if got.Email != op.Email || !got.Active || got.Name != op.Name {
			t.Fatalf("operator changed: %+v", got)
		}
		_, hash, err := f.Store.UserByEmail(ctx, op.Email)
		coreNoErr(t, err, "hash")
		if hash != "hash-operator" {
			t.Fatalf("operator password was reset")
		}
		// Operators still manage each other, and admins everyone else.
		if _, err := w.svc.Directory.UserResetPassword(chat.OperatorContext(ctx), f.Tenant.ID, op.ID, ""); err != nil {
			t.Fatalf("operator reset: %v", err)
		}
		if _, err := w.svc.Directory.UserResetPassword(admin, f.Tenant.ID, f.EmployeeA.ID, ""); err != nil {
			t.Fatalf("admin reset: %v", err)
		}
	})
}

// Open sockets keep the principal they connected with; its companies decide
// what it sees under company-based visibility. Changing a user's companies
// must end their sessions (and close their sockets), as a role change does.
func TestCompanyChangeRevokesSessions(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		f, ctx := w.f, t.Context()
		const pw = "a long enough password"
		hash, err := chat.HashPassword(pw)
		coreNoErr(t, err, "hash")
		coreNoErr(t, f.Store.UserSetPassword(ctx, f.EmployeeA.TenantID, f.EmployeeA.ID, hash), "set password")
		sess, _, err := w.svc.Sessions.Login(ctx, f.EmployeeA.Email, pw, "10.0.0.1", "ua")
		coreNoErr(t, err, "login")
		admin := w.as(t, f.Admin)

		_, err = w.svc.Directory.UserUpdate(admin, f.Tenant.ID, f.EmployeeA.ID, chat.UserPatch{CompanyIDs: &[]int64{f.CompanyA.ID}})
		coreNoErr(t, err, "same companies")
		if _, err := w.svc.Sessions.Authenticate(ctx, sess.ID); err != nil {
			t.Fatalf("session ended without a change: %v", err)
		}
		_, err = w.svc.Directory.UserUpdate(admin, f.Tenant.ID, f.EmployeeA.ID, chat.UserPatch{CompanyIDs: &[]int64{f.CompanyB.ID}})
		coreNoErr(t, err, "move to B")
		storetest.WantCode(t, func() error { _, err := w.svc.Sessions.Authenticate(ctx, sess.ID); return err }(), chat.EUnauthenticated)
		revoked := false
		for _, ev := range w.pub.of(chat.EventRevoked) {
			revoked = revoked || ev.Channel == chat.UserChannel(f.EmployeeA.ID)
		}
		if !revoked {
			t.Fatal("no session.revoked event for the user's sockets")
		}
	})
}

// In a conversation, a mention must respect the company rule: a user the
// caller cannot find (here a tenant admin outside the caller's companies,
// who can read every conversation) cannot be mentioned, which would both
// notify them and confirm that they exist and read the thread.
func TestConversationMentionFollowsCompanyRule(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		f, ctx := w.f, t.Context()
		hidden := f.NewUser(t, "hidden-admin", nil, []int64{f.Roles[chat.RoleTenantAdmin].ID})
		secVisibility(t, f, true)
		cat := f.NewCategory(t, "Payroll", f.Roles[chat.RoleMessageHandler].ID)
		c := f.NewConversation(t, cat, f.EmployeeA.ID, "My salary")
		c.RelatedCompanyID = &f.CompanyA.ID
		coreNoErr(t, f.Store.ConversationUpdate(ctx, c), "relate")
		empA := w.as(t, f.EmployeeA)
		ch := chat.ConversationChannel(c.ID)
		_, err := w.svc.Messages.Publish(empA, chat.PublishInput{Channel: ch, Body: "hello", Mentions: []int64{hidden.ID}})
		storetest.WantCode(t, err, chat.EInvalid)
		if last, _ := f.Store.ChannelLastSeq(ctx, f.Tenant.ID, ch); last != 0 {
			t.Fatalf("refused publish stored something: last seq %d", last)
		}
		// A findable reader (the tenant admin of the own company) is fine.
		m, err := w.svc.Messages.Publish(empA, chat.PublishInput{Channel: ch, Body: "hello", Mentions: []int64{f.Admin.ID}})
		coreNoErr(t, err, "mention a findable reader")
		if !slices.Equal(m.Mentions, []int64{f.Admin.ID}) {
			t.Fatalf("mentions = %v", m.Mentions)
		}
		// Messenger topics ignore companies: membership is the rule.
		g := f.NewGroup(t, "mixed", f.EmployeeA.ID, f.EmployeeB.ID)
		tp := f.NewTopic(t, g.ID, "mixed topic")
		_, err = w.svc.Messages.Publish(empA, chat.PublishInput{Channel: chat.TopicChannel(tp.ID), Body: "hi", Mentions: []int64{f.EmployeeB.ID}})
		coreNoErr(t, err, "mention a group mate of another company")
	})
}

// Presence answers only for users the caller may know about: the company
// rule, plus the members of its messenger groups; never other tenants.
func TestVisibleUsers(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		f := w.f
		other := storetest.NewFixture(t, f.Store, "other")
		secVisibility(t, f, true)
		inactive := f.NewUser(t, "gone", []int64{f.CompanyA.ID}, nil)
		inactive.Active = false
		coreNoErr(t, f.Store.UserUpdate(t.Context(), inactive), "deactivate")
		ask := []int64{f.EmployeeB.ID, f.Handler.ID, f.Manager.ID, other.EmployeeA.ID, inactive.ID, 0, -3, 1 << 40}
		empA := w.as(t, f.EmployeeA)
		got, err := w.svc.Directory.VisibleUsers(empA, ask)
		coreNoErr(t, err, "visible users")
		storetest.SameIDs(t, "visible", got, []int64{f.Handler.ID, f.Manager.ID})

		// A shared messenger group makes EmployeeB visible (newCoreWorld's
		// group does not hold EmployeeB).
		f.NewGroup(t, "shared", f.EmployeeA.ID, f.EmployeeB.ID)
		got, err = w.svc.Directory.VisibleUsers(empA, ask)
		coreNoErr(t, err, "visible users with a group")
		storetest.SameIDs(t, "visible", got, []int64{f.EmployeeB.ID, f.Handler.ID, f.Manager.ID})

		got, err = w.svc.Directory.VisibleUsers(w.as(t, f.Admin), ask)
		coreNoErr(t, err, "admin")
		storetest.SameIDs(t, "admin visible", got, []int64{f.EmployeeB.ID, f.Handler.ID, f.Manager.ID})

		_, err = w.svc.Directory.VisibleUsers(t.Context(), ask)
		storetest.WantCode(t, err, chat.EUnauthenticated)
	})
}

// Parallel guesses must not all pass the throttling count before any of
// them is recorded: at most LoginMaxPerAccount wrong passwords are checked.
func TestParallelLoginGuessesAreThrottled(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		st := e.open(t)
		f := storetest.NewFixture(t, st, "guess")
		svc := chat.NewService(chat.Config{Store: st, LoginMaxPerAccount: 3})
		hash, err := chat.HashPassword("the right password")
		coreNoErr(t, err, "hash")
		coreNoErr(t, st.UserSetPassword(t.Context(), f.EmployeeA.TenantID, f.EmployeeA.ID, hash), "set password")
		const n = 8
		codes := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, _, err := svc.Sessions.Login(t.Context(), f.EmployeeA.Email, "wrong guess "+strconv.Itoa(i), "10.0.0.1", "ua")
				codes <- chat.ErrorCode(err)
			})
		}
		wg.Wait()
		close(codes)
		checked := 0
		for c := range codes {
			switch c {
			case chat.EUnauthenticated:
				checked++
			case chat.ERateLimited:
			default:
				t.Fatalf("unexpected answer %q", c)
			}
		}
		if checked > 3 {
			t.Fatalf("%d parallel guesses were checked, want at most 3", checked)
		}
	})
}
