package chat_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/storetest"
)

// usersWith returns the user ids of user channels that got typ.
func cvUsersWith(evs []chat.Event, typ chat.EventType) []int64 {
	var ids []int64
	for _, ev := range evs {
		if ev.Type == typ && ev.Channel.Kind == chat.KindUser && !slices.Contains(ids, ev.Channel.ID) {
			ids = append(ids, ev.Channel.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// cvWorld is a service on a real store with two tenants.
type cvWorld struct {
	svc   *chat.Service
	st    chat.Store
	pub   *recorder
	clock *fakeClock
	a, b  *cvTenant
}

// cvTenant is a storetest fixture plus message handlers assigned to each
// company, a colleague of EmployeeA and a category routed to the
// message-handler role.
type cvTenant struct {
	*storetest.Fixture
	handlerA, handlerB chat.User // message_handler in CompanyA / CompanyB
	colleagueA         chat.User // employee in CompanyA
	cat                chat.Category
}

func newCvWorld(t *testing.T, st chat.Store, cfg chat.Config) *cvWorld {
	t.Helper()
	w := &cvWorld{st: st, pub: &recorder{}, clock: &fakeClock{}}
	w.clock.Set(time.Now())
	cfg.Store, cfg.Publisher, cfg.Clock, cfg.Logger = st, w.pub, w.clock, zerolog.Nop()
	w.svc = chat.NewService(cfg)
	w.a = w.newTenant(t, "alpha")
	w.b = w.newTenant(t, "beta")
	return w
}

func (w *cvWorld) newTenant(t *testing.T, name string) *cvTenant {
	t.Helper()
	f := storetest.NewFixture(t, w.st, name)
	h := f.Roles[chat.RoleMessageHandler].ID
	emp := f.Roles[chat.RoleEmployee].ID
	return &cvTenant{
		Fixture:    f,
		handlerA:   f.NewUser(t, "handler-a", []int64{f.CompanyA.ID}, []int64{h}),
		handlerB:   f.NewUser(t, "handler-b", []int64{f.CompanyB.ID}, []int64{h}),
		colleagueA: f.NewUser(t, "colleague-a", []int64{f.CompanyA.ID}, []int64{emp}),
		cat:        f.NewCategory(t, "Payroll", h),
	}
}

// setVisibility switches company-based visibility for the tenant.
func (w *cvWorld) setVisibility(t *testing.T, tn *cvTenant, on bool) {
	t.Helper()
	tt, err := w.st.TenantGet(t.Context(), tn.Tenant.ID)
	storetest.NoErr(t, err, "TenantGet")
	tt.Settings.CompanyVisibility = on
	storetest.NoErr(t, w.st.TenantUpdate(t.Context(), tt), "TenantUpdate")
}

// as returns a context carrying u's principal, built as Authenticate does.
func (w *cvWorld) as(t *testing.T, u chat.User) context.Context {
	t.Helper()
	return actingAs(t, w.svc, u)
}

// create starts a conversation as u in tn's category.
func (w *cvWorld) create(t *testing.T, tn *cvTenant, u chat.User, in chat.NewConversationInput) chat.ConversationView {
	t.Helper()
	if in.CategoryID == 0 {
		in.CategoryID = tn.cat.ID
	}
	if in.Subject == "" {
		in.Subject = "Question about my payslip"
	}
	if in.Body == "" {
		in.Body = "Hello, **why** is my payslip late?"
	}
	v, err := w.svc.Conversations.CreateConversation(w.as(t, u), in)
	storetest.NoErr(t, err, "CreateConversation")
	return v
}

// upload stores a small text attachment of u.
func (w *cvWorld) upload(t *testing.T, u chat.User) chat.Attachment {
	t.Helper()
	a, err := w.svc.Messages.UploadAttachment(w.as(t, u), "notes.txt", strings.NewReader("payslip notes\n"))
	storetest.NoErr(t, err, "UploadAttachment")
	return a
}

// jobs claims every queued notification job.
func (w *cvWorld) jobs(t *testing.T) []chat.NotifyJob {
	t.Helper()
	now := w.clock.Now().Add(time.Hour)
	js, err := w.st.NotifyJobClaim(t.Context(), now, now.Add(time.Hour), 1000)
	storetest.NoErr(t, err, "NotifyJobClaim")
	for _, j := range js {
		storetest.NoErr(t, w.st.NotifyJobDone(t.Context(), j.ID), "NotifyJobDone")
	}
	return js
}

func cvReasons(js []chat.NotifyJob) []chat.NotifyReason {
	var rs []chat.NotifyReason
	for _, j := range js {
		rs = append(rs, j.Reason)
	}
	return rs
}
