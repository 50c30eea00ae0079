package storetest

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"parley/chat"
)

func jobIDs(js []chat.NotifyJob) []int64 {
	return idsOf(js, func(j chat.NotifyJob) int64 { return j.ID })
}

// A claimed job is invisible to other claims until its lease ends; a
// released one is claimable at once, without the claim's attempt; a
// release after another claim took the job changes nothing.
func testNotificationRelease(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := NewFixture(t, s, "release")
	now := Now()
	var jobs [3]chat.NotifyJob
	for i := range jobs {
		jobs[i] = chat.NotifyJob{TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, Reason: chat.ReasonMention,
			Channel: chat.TopicChannel(1), MessageID: int64(i + 1), DueAt: now.Add(-time.Duration(3-i) * time.Second)}
		NoErr(t, s.NotifyJobEnqueue(ctx, &jobs[i]), "NotifyJobEnqueue")
	}
	lease := now.Add(time.Minute)
	held, err := s.NotifyJobClaim(ctx, now, lease, 3)
	NoErr(t, err, "NotifyJobClaim")
	SameIDs(t, "claim", jobIDs(held), jobIDs(jobs[:]))
	again, err := s.NotifyJobClaim(ctx, lease.Add(-time.Microsecond), lease.Add(time.Minute), 3)
	NoErr(t, err, "NotifyJobClaim before the lease ends")
	SameIDs(t, "claimed jobs are invisible until the lease ends", jobIDs(again), nil)

	// The worker tried held[0] and gives the other two back.
	released := now.Add(time.Second)
	NoErr(t, s.NotifyJobRelease(ctx, held[1], released), "NotifyJobRelease")
	NoErr(t, s.NotifyJobRelease(ctx, held[2], released), "NotifyJobRelease")
	WantNotFound(t, s.NotifyJobRelease(ctx, held[1], released)) // released already: attempts moved on
	got, err := s.NotifyJobClaim(ctx, released, released.Add(time.Minute), 3)
	NoErr(t, err, "NotifyJobClaim after release")
	SameIDs(t, "released jobs are claimable at once", jobIDs(got), []int64{held[1].ID, held[2].ID})
	for _, j := range got {
		if j.Attempts != 1 {
			t.Fatalf("job %d: %d attempts after a release and a claim, want 1", j.ID, j.Attempts)
		}
	}
	// The first claim's holder is too late to release what the second
	// claim holds.
	WantNotFound(t, s.NotifyJobRelease(ctx, held[2], released))
	later, err := s.NotifyJobClaim(ctx, released, released.Add(time.Minute), 3)
	NoErr(t, err, "NotifyJobClaim")
	SameIDs(t, "a stale release gives nothing back", jobIDs(later), nil)
	WantNotFound(t, s.NotifyJobRelease(ctx, chat.NotifyJob{ID: held[0].ID + 1_000_000, Attempts: 1}, now))
}

// Two stores on one database (two nodes) claiming the same due jobs at
// once never both get one job.
func testNotificationClaimTwoNodes(t *testing.T, nodes []chat.Store) {
	now := Now()
	claimRace(t, nodes, claimRaceRun{jobs: 60, claimersPerStore: 2, batch: 1, now: now,
		due: func(int) time.Time { return now.Add(-time.Second) }, what: "claim on two nodes"})
}

func testNotificationOutbox(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "outbox-a")
	b := NewFixture(t, s, "outbox-b")
	now := Now()
	ch := chat.TopicChannel(7)
	prev := now.Add(-time.Hour)
	enqueue := func(f *Fixture, due time.Time, reason chat.NotifyReason) chat.NotifyJob {
		t.Helper()
		j := chat.NotifyJob{TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, Reason: reason, Channel: ch, MessageID: 42,
			PrevMessageAt: &prev, DueAt: due}
		NoErr(t, s.NotifyJobEnqueue(ctx, &j), "NotifyJobEnqueue")
		if j.ID == 0 || j.CreatedAt.IsZero() {
			t.Fatalf("NotifyJobEnqueue did not set ID and CreatedAt: %+v", j)
		}
		return j
	}
	j1 := enqueue(a, now.Add(-2*time.Minute), chat.ReasonTopicMessage)
	j2 := enqueue(a, now.Add(-time.Minute), chat.ReasonMention)
	j3 := enqueue(a, now.Add(time.Hour), chat.ReasonAnswered) // not yet due
	j4 := enqueue(b, now.Add(-3*time.Minute), chat.ReasonNewConversation)

	lease := now.Add(5 * time.Minute)
	claimed, err := s.NotifyJobClaim(ctx, now, lease, 2)
	NoErr(t, err, "NotifyJobClaim")
	SameIDs(t, "first claim (oldest due first)", jobIDs(claimed), []int64{j4.ID, j1.ID})
	for _, c := range claimed {
		if c.Attempts != 1 {
			t.Fatalf("claimed job %d has %d attempts, want 1", c.ID, c.Attempts)
		}
		SameTime(t, "claimed DueAt is the lease", c.DueAt, lease)
		if c.ID == j1.ID {
			if c.TenantID != a.Tenant.ID || c.UserID != a.EmployeeA.ID || c.Reason != chat.ReasonTopicMessage ||
				c.Channel != ch || c.MessageID != 42 || c.PrevMessageAt == nil {
				t.Fatalf("claimed job = %+v, want %+v", c, j1)
			}
			SameTime(t, "PrevMessageAt", *c.PrevMessageAt, prev)
			SameTime(t, "CreatedAt", c.CreatedAt, j1.CreatedAt)
		}
	}

	// Leased jobs are skipped; the next due one is claimed.
	claimed, err = s.NotifyJobClaim(ctx, now, lease, 10)
	NoErr(t, err, "NotifyJobClaim second")
	SameIDs(t, "second claim", jobIDs(claimed), []int64{j2.ID})
	claimed, err = s.NotifyJobClaim(ctx, now, lease, 10)
	NoErr(t, err, "NotifyJobClaim third")
	SameIDs(t, "nothing left to claim", jobIDs(claimed), nil)

	// Done removes a job; retry reschedules it.
	NoErr(t, s.NotifyJobDone(ctx, j1.ID), "NotifyJobDone")
	WantNotFound(t, s.NotifyJobDone(ctx, j1.ID))
	NoErr(t, s.NotifyJobRetry(ctx, j4.ID, now.Add(10*time.Minute), "smtp: 451 try later"), "NotifyJobRetry")
	WantNotFound(t, s.NotifyJobRetry(ctx, j1.ID, now, "gone"))
	WantNotFound(t, s.NotifyJobDone(ctx, j4.ID+1_000_000))

	// After the lease, a job whose worker vanished comes back.
	claimed, err = s.NotifyJobClaim(ctx, now.Add(6*time.Minute), now.Add(11*time.Minute), 10)
	NoErr(t, err, "NotifyJobClaim after lease")
	SameIDs(t, "claim after the lease", jobIDs(claimed), []int64{j2.ID})
	if claimed[0].Attempts != 2 {
		t.Fatalf("reclaimed job has %d attempts, want 2", claimed[0].Attempts)
	}
	claimed, err = s.NotifyJobClaim(ctx, now.Add(2*time.Hour), now.Add(3*time.Hour), 10)
	NoErr(t, err, "NotifyJobClaim later")
	SameIDs(t, "claim later", jobIDs(claimed), []int64{j2.ID, j3.ID, j4.ID})
	for _, c := range claimed {
		want := map[int64]int{j2.ID: 3, j3.ID: 1, j4.ID: 2}[c.ID]
		if c.Attempts != want {
			t.Fatalf("job %d has %d attempts, want %d", c.ID, c.Attempts, want)
		}
	}
}

func testNotificationClaimConcurrent(t *testing.T, s chat.Store) {
	now := Now()
	claimRace(t, []chat.Store{s}, claimRaceRun{jobs: 40, claimersPerStore: 8, batch: 3, now: now,
		due: func(i int) time.Time { return now.Add(-time.Duration(i) * time.Second) }, what: "concurrent claim"})
}

// A claimRaceRun is one race of claimers for the same due jobs.
type claimRaceRun struct {
	jobs, claimersPerStore, batch int
	now                           time.Time
	due                           func(i int) time.Time // job i's due time
	what                          string                // the race, for failures
}

// claimRace enqueues r.jobs due jobs in a fixture of stores[0], lets
// r.claimersPerStore claimers on each store claim r.batch at a time until
// none is left, and fails unless every job went to exactly one claim.
func claimRace(t *testing.T, stores []chat.Store, r claimRaceRun) {
	ctx := t.Context()
	f := NewFixture(t, stores[0], "claim-race")
	for i := range r.jobs {
		j := chat.NotifyJob{TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, Reason: chat.ReasonMention,
			Channel: chat.TopicChannel(1), MessageID: int64(i + 1), DueAt: r.due(i)}
		NoErr(t, stores[0].NotifyJobEnqueue(ctx, &j), "NotifyJobEnqueue")
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, r.claimersPerStore*len(stores))
	for _, s := range stores {
		for range r.claimersPerStore {
			wg.Go(func() {
				for {
					claimed, err := s.NotifyJobClaim(ctx, r.now, r.now.Add(time.Hour), r.batch)
					if err != nil {
						errs <- err
						return
					}
					if len(claimed) == 0 {
						return
					}
					mu.Lock()
					for _, c := range claimed {
						seen[c.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		NoErr(t, err, r.what)
	}
	if len(seen) != r.jobs {
		t.Fatalf("%s: %d jobs claimed, want %d", r.what, len(seen), r.jobs)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s: job %d claimed %d times", r.what, id, n)
		}
	}
}

func testNotificationDecisions(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "decisions-a")
	b := NewFixture(t, s, "decisions-b")
	ch := chat.ConversationChannel(3)
	record := func(user, msg int64, outcome chat.NotifyOutcome) chat.NotifyDecision {
		t.Helper()
		d := chat.NotifyDecision{TenantID: a.Tenant.ID, UserID: user, Channel: ch, MessageID: msg,
			Reason: chat.ReasonCustomerMessage, Outcome: outcome, Detail: "detail " + string(outcome)}
		NoErr(t, s.NotifyDecisionRecord(ctx, &d), "NotifyDecisionRecord")
		if d.ID == 0 || d.CreatedAt.IsZero() {
			t.Fatalf("NotifyDecisionRecord did not set ID and CreatedAt: %+v", d)
		}
		return d
	}
	d1 := record(a.Handler.ID, 10, chat.OutcomeSent)
	d2 := record(a.Handler.ID, 11, chat.OutcomeOnline)
	d3 := record(a.Manager.ID, 10, chat.OutcomeMuted)

	list := func(tenantID, user, msg int64, page chat.Page) []chat.NotifyDecision {
		t.Helper()
		ds, err := s.NotifyDecisionList(ctx, tenantID, user, msg, page)
		NoErr(t, err, "NotifyDecisionList")
		return ds
	}
	ids := func(ds []chat.NotifyDecision) []int64 {
		out := make([]int64, len(ds))
		for i, d := range ds {
			out[i] = d.ID
		}
		return out
	}
	all := list(a.Tenant.ID, 0, 0, chat.Page{})
	wantIDs(t, "all decisions", ids(all), []int64{d1.ID, d2.ID, d3.ID})
	got := all[0]
	if got.TenantID != a.Tenant.ID || got.UserID != a.Handler.ID || got.Channel != ch || got.MessageID != 10 ||
		got.Reason != chat.ReasonCustomerMessage || got.Outcome != chat.OutcomeSent || got.Detail != "detail sent" {
		t.Fatalf("decision = %+v, want %+v", got, d1)
	}
	SameTime(t, "decision CreatedAt", got.CreatedAt, d1.CreatedAt)
	wantIDs(t, "by user", ids(list(a.Tenant.ID, a.Handler.ID, 0, chat.Page{})), []int64{d1.ID, d2.ID})
	wantIDs(t, "by message", ids(list(a.Tenant.ID, 0, 10, chat.Page{})), []int64{d1.ID, d3.ID})
	wantIDs(t, "by user and message", ids(list(a.Tenant.ID, a.Manager.ID, 10, chat.Page{})), []int64{d3.ID})
	wantIDs(t, "page 1", ids(list(a.Tenant.ID, 0, 0, chat.Page{Limit: 2})), []int64{d1.ID, d2.ID})
	wantIDs(t, "page 2", ids(list(a.Tenant.ID, 0, 0, chat.Page{After: d2.ID, Limit: 2})), []int64{d3.ID})
	wantIDs(t, "other tenant", ids(list(b.Tenant.ID, 0, 0, chat.Page{})), nil)
	wantIDs(t, "other tenant by user", ids(list(b.Tenant.ID, a.Handler.ID, 10, chat.Page{})), nil)
}

func testNotificationInApp(t *testing.T, s chat.Store) {
	c := newInAppCase(t, s)
	c.wantListed(t, s)
	at := c.wantMarkRead(t, s)
	c.wantMarkAllRead(t, s, at)
}

// inAppCase is the InApp check's world: three notifications of user u in
// tenant a (the first about message msgID), one already read, and one of
// another user.
type inAppCase struct {
	a, b        *Fixture
	u, msgID    int64
	made        []chat.Notification
	alreadyRead chat.Notification
	readAt      time.Time
}

func newInAppCase(t *testing.T, s chat.Store) *inAppCase {
	ctx := t.Context()
	c := &inAppCase{a: NewFixture(t, s, "inapp-a"), b: NewFixture(t, s, "inapp-b"), msgID: 99}
	a, b := c.a, c.b
	c.u = a.EmployeeA.ID
	u := c.u
	for i := range 3 {
		n := chat.Notification{TenantID: a.Tenant.ID, UserID: u, Kind: "answered", Channel: chat.ConversationChannel(int64(i + 1)),
			Title: fmt.Sprintf("Answer %d", i)}
		if i == 0 {
			n.MessageID = &c.msgID
		}
		NoErr(t, s.NotificationCreate(ctx, &n), "NotificationCreate")
		if n.ID == 0 || n.CreatedAt.IsZero() {
			t.Fatalf("NotificationCreate did not set ID and CreatedAt: %+v", n)
		}
		c.made = append(c.made, n)
	}
	c.readAt = Now().Add(-time.Minute)
	c.alreadyRead = chat.Notification{TenantID: a.Tenant.ID, UserID: u, Kind: "mention", Channel: chat.TopicChannel(1), Title: "read", ReadAt: &c.readAt}
	NoErr(t, s.NotificationCreate(ctx, &c.alreadyRead), "NotificationCreate read")
	otherUser := chat.Notification{TenantID: a.Tenant.ID, UserID: a.Manager.ID, Kind: "mention", Channel: chat.TopicChannel(1), Title: "manager's"}
	NoErr(t, s.NotificationCreate(ctx, &otherUser), "NotificationCreate other user")
	foreign := chat.Notification{TenantID: b.Tenant.ID, UserID: u, Kind: "mention", Channel: chat.TopicChannel(1), Title: "x"}
	WantNotFound(t, s.NotificationCreate(ctx, &foreign))

	return c
}

// wantListed checks the lists: oldest first and paged forwards, newest
// first and paged backwards; only the user's own, in its tenant.
func (c *inAppCase) wantListed(t *testing.T, s chat.Store) {
	ctx, a, b, u, msgID, made, alreadyRead, readAt := t.Context(), c.a, c.b, c.u, c.msgID, c.made, c.alreadyRead, c.readAt
	list, err := s.NotificationList(ctx, a.Tenant.ID, u, chat.Page{})
	NoErr(t, err, "NotificationList")
	if len(list) != 4 {
		t.Fatalf("NotificationList has %d, want 4", len(list))
	}
	first := list[0]
	if first.ID != made[0].ID || first.UserID != u || first.Kind != "answered" || first.Channel != chat.ConversationChannel(1) ||
		first.MessageID == nil || *first.MessageID != msgID || first.Title != "Answer 0" || first.ReadAt != nil {
		t.Fatalf("notification = %+v, want %+v", first, made[0])
	}
	SameTime(t, "notification CreatedAt", first.CreatedAt, made[0].CreatedAt)
	if list[1].MessageID != nil || list[3].ReadAt == nil {
		t.Fatalf("notifications = %+v", list)
	}
	SameTime(t, "ReadAt kept", *list[3].ReadAt, readAt)
	page, err := s.NotificationList(ctx, a.Tenant.ID, u, chat.Page{After: made[0].ID, Limit: 2})
	NoErr(t, err, "NotificationList page")
	if len(page) != 2 || page[0].ID != made[1].ID || page[1].ID != made[2].ID {
		t.Fatalf("second page = %+v", page)
	}
	// Newest first, paged backwards; only the user's own, in its tenant.
	newest, err := s.NotificationListNewest(ctx, a.Tenant.ID, u, 0, 3)
	NoErr(t, err, "NotificationListNewest")
	if len(newest) != 3 || newest[0].ID != alreadyRead.ID || newest[1].ID != made[2].ID || newest[2].ID != made[1].ID {
		t.Fatalf("newest page = %+v", newest)
	}
	older, err := s.NotificationListNewest(ctx, a.Tenant.ID, u, newest[2].ID, 3)
	NoErr(t, err, "NotificationListNewest older")
	if len(older) != 1 || older[0].ID != made[0].ID {
		t.Fatalf("older page = %+v", older)
	}
	if other, err := s.NotificationListNewest(ctx, b.Tenant.ID, u, 0, 10); err != nil || len(other) != 0 {
		t.Fatalf("another tenant's list = %+v, %v", other, err)
	}
}

func (c *inAppCase) wantUnread(t *testing.T, s chat.Store, tenantID, userID int64, want int64) {
	t.Helper()
	n, err := s.NotificationUnreadCount(t.Context(), tenantID, userID)
	NoErr(t, err, "NotificationUnreadCount")
	if n != want {
		t.Fatalf("unread count = %d, want %d", n, want)
	}
}

// wantMarkRead marks one notification read, as only its owner can, and
// returns when.
func (c *inAppCase) wantMarkRead(t *testing.T, s chat.Store) time.Time {
	ctx, a, b, u, made := t.Context(), c.a, c.b, c.u, c.made
	c.wantUnread(t, s, a.Tenant.ID, u, 3)
	at := Now()
	NoErr(t, s.NotificationMarkRead(ctx, a.Tenant.ID, u, made[1].ID, at), "NotificationMarkRead")
	c.wantUnread(t, s, a.Tenant.ID, u, 2)
	NoErr(t, s.NotificationMarkRead(ctx, a.Tenant.ID, u, made[1].ID, at.Add(time.Hour)), "NotificationMarkRead again")
	c.wantUnread(t, s, a.Tenant.ID, u, 2)
	list, err := s.NotificationList(ctx, a.Tenant.ID, u, chat.Page{})
	NoErr(t, err, "NotificationList")
	if list[1].ReadAt == nil {
		t.Fatal("marked notification has no ReadAt")
	}
	SameTime(t, "ReadAt is the first read", *list[1].ReadAt, at)

	// Only the owner, in its tenant, marks it read.
	WantNotFound(t, s.NotificationMarkRead(ctx, a.Tenant.ID, a.Manager.ID, made[0].ID, at))
	WantNotFound(t, s.NotificationMarkRead(ctx, b.Tenant.ID, u, made[0].ID, at))
	WantNotFound(t, s.NotificationMarkRead(ctx, a.Tenant.ID, u, made[0].ID+1_000_000, at))
	c.wantUnread(t, s, a.Tenant.ID, u, 2)
	c.wantUnread(t, s, a.Tenant.ID, a.Manager.ID, 1)
	c.wantUnread(t, s, b.Tenant.ID, u, 0)
	list, err = s.NotificationList(ctx, b.Tenant.ID, u, chat.Page{})
	wantNone(t, "NotificationList of a's notifications in tenant b", list, err)

	return at
}

func (c *inAppCase) wantMarkAllRead(t *testing.T, s chat.Store, at time.Time) {
	ctx, a, b, u, made := t.Context(), c.a, c.b, c.u, c.made
	// Mark all read: only up to the given id, only the owner's.
	markAll := func(tenantID, userID, upTo int64, want int64) {
		t.Helper()
		n, err := s.NotificationMarkAllRead(ctx, tenantID, userID, upTo, at.Add(2*time.Hour))
		NoErr(t, err, "NotificationMarkAllRead")
		if n != want {
			t.Fatalf("NotificationMarkAllRead(%d, %d, up to %d) marked %d, want %d", tenantID, userID, upTo, n, want)
		}
	}
	markAll(b.Tenant.ID, u, math.MaxInt64, 0)
	markAll(a.Tenant.ID, u, made[0].ID, 1)
	c.wantUnread(t, s, a.Tenant.ID, u, 1)
	markAll(a.Tenant.ID, u, math.MaxInt64, 1)
	c.wantUnread(t, s, a.Tenant.ID, u, 0)
	c.wantUnread(t, s, a.Tenant.ID, a.Manager.ID, 1)
	list, err := s.NotificationList(ctx, a.Tenant.ID, u, chat.Page{})
	NoErr(t, err, "NotificationList")
	SameTime(t, "ReadAt kept by mark all", *list[1].ReadAt, at)
}

func testNotificationMutes(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "mutes-a")
	b := NewFixture(t, s, "mutes-b")
	u := a.EmployeeA.ID
	ch, other := chat.TopicChannel(5), chat.ConversationChannel(5)
	muted := func(tenantID, userID int64, c chat.Channel) bool {
		t.Helper()
		m, err := s.MuteGet(ctx, tenantID, userID, c)
		NoErr(t, err, "MuteGet")
		return m
	}
	if muted(a.Tenant.ID, u, ch) {
		t.Fatal("muted before MuteSet")
	}
	NoErr(t, s.MuteSet(ctx, a.Tenant.ID, u, ch, true), "MuteSet")
	NoErr(t, s.MuteSet(ctx, a.Tenant.ID, u, ch, true), "MuteSet twice")
	if !muted(a.Tenant.ID, u, ch) {
		t.Fatal("not muted after MuteSet")
	}
	if muted(a.Tenant.ID, u, other) || muted(a.Tenant.ID, a.Manager.ID, ch) || muted(b.Tenant.ID, u, ch) {
		t.Fatal("a mute leaked to another channel, user or tenant")
	}
	WantNotFound(t, s.MuteSet(ctx, b.Tenant.ID, u, other, true))
	if muted(a.Tenant.ID, u, other) || muted(b.Tenant.ID, u, other) {
		t.Fatal("another tenant muted a's user")
	}
	NoErr(t, s.MuteSet(ctx, b.Tenant.ID, u, ch, false), "MuteSet false from another tenant")
	if !muted(a.Tenant.ID, u, ch) {
		t.Fatal("another tenant unmuted a's user")
	}
	NoErr(t, s.MuteSet(ctx, a.Tenant.ID, u, ch, false), "MuteSet false")
	NoErr(t, s.MuteSet(ctx, a.Tenant.ID, u, ch, false), "MuteSet false twice")
	if muted(a.Tenant.ID, u, ch) {
		t.Fatal("still muted after unmuting")
	}
}

// The backlog counts every job (Pending) and the due ones no worker holds
// (Due), across tenants, each up to the limit, and dates the oldest due
// job; an empty outbox is all zero.
func testNotificationBacklog(t *testing.T, s chat.Store) {
	ctx := t.Context()
	now := Now()
	empty, err := s.NotifyJobBacklog(ctx, now, 100)
	NoErr(t, err, "NotifyJobBacklog on an empty outbox")
	if empty != (chat.NotifyBacklog{}) {
		t.Fatalf("empty outbox: %+v, want zero", empty)
	}
	a := NewFixture(t, s, "backlog-a")
	b := NewFixture(t, s, "backlog-b")
	enqueue := func(f *Fixture, due time.Time) {
		t.Helper()
		j := chat.NotifyJob{TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, Reason: chat.ReasonMention,
			Channel: chat.TopicChannel(1), MessageID: 1, DueAt: due}
		NoErr(t, s.NotifyJobEnqueue(ctx, &j), "NotifyJobEnqueue")
	}
	enqueue(a, now.Add(-3*time.Minute))
	enqueue(b, now.Add(-2*time.Minute))
	enqueue(a, now.Add(-time.Minute))
	enqueue(b, now.Add(time.Hour)) // scheduled: pending, not due
	// A worker holds the oldest: it is pending, no longer due.
	held, err := s.NotifyJobClaim(ctx, now, now.Add(5*time.Minute), 1)
	NoErr(t, err, "NotifyJobClaim")
	if len(held) != 1 {
		t.Fatalf("claimed %d jobs, want 1", len(held))
	}
	got, err := s.NotifyJobBacklog(ctx, now, 100)
	NoErr(t, err, "NotifyJobBacklog")
	if got.Pending != 4 || got.Due != 2 {
		t.Fatalf("backlog %+v, want 4 pending and 2 due", got)
	}
	SameTime(t, "OldestDue", got.OldestDue, now.Add(-2*time.Minute))
	capped, err := s.NotifyJobBacklog(ctx, now, 1)
	NoErr(t, err, "NotifyJobBacklog with limit 1")
	if capped.Pending != 1 || capped.Due != 1 {
		t.Fatalf("backlog with limit 1: %+v, want 1 pending and 1 due", capped)
	}
	SameTime(t, "OldestDue with limit 1", capped.OldestDue, now.Add(-2*time.Minute))
	later, err := s.NotifyJobBacklog(ctx, now.Add(2*time.Hour), 100)
	NoErr(t, err, "NotifyJobBacklog later")
	if later.Pending != 4 || later.Due != 4 {
		t.Fatalf("backlog two hours on: %+v, want 4 pending and 4 due", later)
	}
	SameTime(t, "OldestDue two hours on", later.OldestDue, now.Add(-2*time.Minute))
}
