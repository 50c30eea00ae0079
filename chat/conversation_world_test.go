package chat_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/pgtest"
	"parley/storage/postgres"
	"parley/storage/sqlite"
	"parley/storage/storetest"
)

// cvEngine opens a fresh store; cvEngines are both real engines.
type cvEngine struct {
	name string
	open func(t *testing.T) chat.Store
}

var cvEngines = []cvEngine{
	{
		name: "sqlite",
		open: func(t *testing.T) chat.Store {
			return cvOpenSQLite(t, filepath.Join(t.TempDir(), "parley.db"))
		},
	},
	{
		name: "postgres",
		open: func(t *testing.T) chat.Store {
			return cvOpenPostgres(t, pgtest.NewDatabase(t))
		},
	},
}

func cvOpenSQLite(t *testing.T, path string) chat.Store {
	st, err := sqlite.Open(t.Context(), path, zerolog.Nop())
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func cvOpenPostgres(t *testing.T, url string) chat.Store {
	st, err := postgres.Open(t.Context(), url, zerolog.Nop())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// cvOnEngines runs fn once per engine, in parallel.
func cvOnEngines(t *testing.T, fn func(t *testing.T, open func(t *testing.T) chat.Store)) {
	for _, e := range cvEngines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e.open)
		})
	}
}

// cvClock is a chat.Clock the test moves.
type cvClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *cvClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cvClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC().Truncate(time.Microsecond)
}

func (c *cvClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cvRecorder keeps published events; the service publishes synchronously
// after commit.
type cvRecorder struct {
	mu  sync.Mutex
	evs []chat.Event
}

func (r *cvRecorder) Publish(_ context.Context, ev chat.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

func (r *cvRecorder) take() []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.evs
	r.evs = nil
	return evs
}

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
	pub   *cvRecorder
	clock *cvClock
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
	w := &cvWorld{st: st, pub: &cvRecorder{}, clock: &cvClock{}}
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
	u, err := w.st.UserGet(t.Context(), u.TenantID, u.ID)
	storetest.NoErr(t, err, "UserGet")
	roles, err := w.st.RoleList(t.Context(), u.TenantID)
	storetest.NoErr(t, err, "RoleList")
	p := &chat.Principal{TenantID: u.TenantID, UserID: u.ID, Name: u.Name, Locale: u.Locale, Superuser: u.Superuser,
		RoleIDs: u.RoleIDs, CompanyIDs: u.CompanyIDs}
	for _, r := range roles {
		if slices.Contains(u.RoleIDs, r.ID) {
			if r.Key != "" {
				p.RoleKeys = append(p.RoleKeys, r.Key)
			}
			p.Handler = p.Handler || r.Handler
		}
	}
	return chat.WithPrincipal(t.Context(), p)
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
	v, err := w.svc.CreateConversation(w.as(t, u), in)
	storetest.NoErr(t, err, "CreateConversation")
	return v
}

// upload stores a small text attachment of u.
func (w *cvWorld) upload(t *testing.T, u chat.User) chat.Attachment {
	t.Helper()
	a, err := w.svc.UploadAttachment(w.as(t, u), "notes.txt", strings.NewReader("payslip notes\n"))
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
