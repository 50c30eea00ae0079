package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/chat"
)

// The publish port: Store.TopicPostBatch, held to the Go read rule
// (TopicAccess + TopicReadAccess.Allows), per-post outcomes, seqs, the
// outbox, and commit order across nodes.
func testTopicPost(t *testing.T, e Engine) {
	parallel(t, "AccessTable", func(t *testing.T) { testTopicPostAccessTable(t, e.New(t)) })
	parallel(t, "AccessAtCommit", func(t *testing.T) { runChecks(t, e.New, false, accessAtCommitChecks) })
	parallel(t, "Idempotency", func(t *testing.T) { testTopicPostIdempotency(t, e.New) })
	parallel(t, "Outbox", func(t *testing.T) { testTopicPostOutbox(t, e.New) })
	parallel(t, "Concurrency", func(t *testing.T) { testTopicPostConcurrency(t, e.NewNodes) })
}

// postClock hands out distinct, increasing message times, a millisecond
// apart, so that a job's due time names its message (see wantJobs).
type postClock struct{ n atomic.Int64 }

var postBase = Now()

func (c *postClock) next() time.Time {
	return postBase.Add(time.Duration(c.n.Add(1)) * time.Millisecond)
}

// post is a plain text post by author to topic in f's tenant.
func (c *postClock) post(f *Fixture, topicID, authorID int64, clientID string) chat.TopicPost {
	return chat.TopicPost{Message: chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(topicID),
		AuthorID: authorID, ClientMsgID: clientID, Body: "post " + clientID, CreatedAt: c.next()}}
}

// postTopic is a topic a test watches: its own tenant, and whether it
// emails (so stored posts queue jobs).
type postTopic struct {
	TenantID, ID int64
	Email        bool
}

func watch(tp chat.Topic) postTopic {
	return postTopic{TenantID: tp.TenantID, ID: tp.ID, Email: tp.EmailNotify}
}

// topicState is what a post writes to its topic, seen from outside.
type topicState struct {
	LastSeq       int64
	Events        int
	LastMessageAt *time.Time
}

// stateOf reads the topic's state and checks its events are the gap-free
// prefix 1..LastSeq, each of the message with that seq.
func stateOf(t testing.TB, s chat.Store, tp postTopic) topicState {
	t.Helper()
	ctx := t.Context()
	ch := chat.TopicChannel(tp.ID)
	last, err := s.ChannelLastSeq(ctx, tp.TenantID, ch)
	NoErr(t, err, "ChannelLastSeq")
	evs, err := s.ChannelEventsSince(ctx, tp.TenantID, ch, 0, 100000)
	NoErr(t, err, "ChannelEventsSince")
	if err := gapFree(evs); err != nil {
		t.Fatalf("%s: %v", ch, err)
	}
	got, err := s.TopicGet(ctx, tp.TenantID, tp.ID)
	NoErr(t, err, "TopicGet")
	if int64(len(evs)) != last || got.LastSeq != last {
		t.Fatalf("%s: %d events, ChannelLastSeq %d, TopicGet.LastSeq %d: want them equal", ch, len(evs), last, got.LastSeq)
	}
	return topicState{LastSeq: last, Events: len(evs), LastMessageAt: got.LastMessageAt}
}

// gapFree reports whether evs are the message.new events of seqs 1..n,
// each of the message with its seq.
func gapFree(evs []chat.ChannelEvent) error {
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Message.Seq != ev.Seq || ev.Type != chat.EventMessageNew {
			return fmt.Errorf("event %d is seq %d (%s of message seq %d): not the gap-free prefix", i, ev.Seq, ev.Type, ev.Message.Seq)
		}
	}
	return nil
}

func snapshot(t testing.TB, s chat.Store, tps ...postTopic) map[int64]topicState {
	t.Helper()
	m := make(map[int64]topicState, len(tps))
	for _, tp := range tps {
		m[tp.ID] = stateOf(t, s, tp)
	}
	return m
}

func sameTimePtr(got, want *time.Time) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return got.Equal(*want)
}

// wantJob is a notification job a stored post must have queued.
type wantJob struct {
	Message chat.Message
	Prev    *time.Time
}

// postBatch runs TopicPostBatch, which must not fail as a whole, and checks
// it against want (per post an error code, "" for stored) and against the
// watched topics' states before: each stored post took its topic's next
// seq in post order and wrote its message and event; refused posts wrote
// nothing; each topic's last seq, events and LastMessageAt are what the
// stored posts make them; and exactly the stored posts on emailing topics
// queued a job, chaining PrevMessageAt from the topic's LastMessageAt
// before. Posts to topics not watched must be refused. It returns the
// states after.
func postBatch(t testing.TB, s chat.Store, posts []chat.TopicPost, want []string, tps ...postTopic) map[int64]topicState {
	t.Helper()
	if len(want) != len(posts) {
		t.Fatalf("test bug: %d outcomes for %d posts", len(want), len(posts))
	}
	before := snapshot(t, s, tps...)
	NoErr(t, s.TopicPostBatch(t.Context(), posts), "TopicPostBatch")
	return checkBatch(t, s, posts, want, before, tps...)
}

func checkBatch(t testing.TB, s chat.Store, posts []chat.TopicPost, want []string, before map[int64]topicState, tps ...postTopic) map[int64]topicState {
	t.Helper()
	ctx := t.Context()
	watched := map[int64]postTopic{}
	next := map[int64]topicState{}
	for _, tp := range tps {
		watched[tp.ID], next[tp.ID] = tp, before[tp.ID]
	}
	var jobs []wantJob
	for i, p := range posts {
		m := p.Message
		what := fmt.Sprintf("post %d (author %d to %s, client id %q)", i, m.AuthorID, m.Channel, m.ClientMsgID)
		if got := chat.ErrorCode(p.Err); got != want[i] {
			t.Fatalf("%s: outcome %q (%v), want %q", what, got, p.Err, orStored(want[i]))
		}
		tp, ok := watched[m.Channel.ID]
		if want[i] != "" {
			continue
		}
		if !ok {
			t.Fatalf("test bug: %s stored on a topic the test does not watch", what)
		}
		st := next[tp.ID]
		st.LastSeq++
		st.Events++
		checkStored(t, s, what, p, st.LastSeq)
		if tp.Email {
			jobs = append(jobs, wantJob{Message: m, Prev: st.LastMessageAt})
		}
		at := m.CreatedAt
		st.LastMessageAt = &at
		next[tp.ID] = st
	}
	// A post refused as not found left its client id unused, unless an
	// earlier post of the batch stored it.
	for i, p := range posts {
		m := p.Message
		if want[i] != chat.ENotFound || m.ClientMsgID == "" {
			continue
		}
		stored := slices.ContainsFunc(posts, func(q chat.TopicPost) bool {
			return q.Err == nil && q.Message.AuthorID == m.AuthorID && q.Message.ClientMsgID == m.ClientMsgID
		})
		if _, err := s.MessageByClientID(ctx, m.TenantID, m.AuthorID, m.ClientMsgID); !stored && !chat.IsCode(err, chat.ENotFound) {
			t.Fatalf("refused post %d (client id %q) was stored: MessageByClientID = %v", i, m.ClientMsgID, err)
		}
	}
	after := snapshot(t, s, tps...)
	for _, tp := range tps {
		got, w := after[tp.ID], next[tp.ID]
		if got.LastSeq != w.LastSeq || got.Events != w.Events || !sameTimePtr(got.LastMessageAt, w.LastMessageAt) {
			t.Fatalf("%s after the batch: last seq %d, %d events, last message at %v; want %d, %d, %v (before: %+v)",
				chat.TopicChannel(tp.ID), got.LastSeq, got.Events, fmtTime(got.LastMessageAt),
				w.LastSeq, w.Events, fmtTime(w.LastMessageAt), before[tp.ID])
		}
	}
	wantJobs(t, s, jobs)
	return after
}

func orStored(code string) string {
	if code == "" {
		return "stored"
	}
	return code
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339Nano)
}

// checkStored checks a stored post's outcome, its message and its event.
func checkStored(t testing.TB, s chat.Store, what string, p chat.TopicPost, seq int64) {
	t.Helper()
	ctx := t.Context()
	m := p.Message
	if m.ID == 0 || m.Seq != seq || m.Kind != chat.MessageText {
		t.Fatalf("%s: stored with id %d, seq %d, kind %q; want an id, seq %d, kind text", what, m.ID, m.Seq, m.Kind, seq)
	}
	got, err := s.MessageGet(ctx, m.TenantID, m.ID)
	NoErr(t, err, "MessageGet of "+what)
	if got.Channel != m.Channel || got.Seq != seq || got.AuthorID != m.AuthorID || got.ClientMsgID != m.ClientMsgID ||
		got.Body != m.Body || got.Kind != chat.MessageText || got.ReplyToID != nil || len(got.Mentions) != 0 {
		t.Fatalf("%s: stored as %+v", what, got)
	}
	SameTime(t, what+": CreatedAt", got.CreatedAt, m.CreatedAt)
	evs, err := s.ChannelEventsSince(ctx, m.TenantID, m.Channel, seq-1, 1)
	NoErr(t, err, "ChannelEventsSince")
	if len(evs) != 1 || evs[0].Seq != seq || evs[0].Type != chat.EventMessageNew || evs[0].Message.ID != m.ID {
		t.Fatalf("%s: event at seq %d = %+v, want message.new of message %d", what, seq, evs, m.ID)
	}
}

// farFuture is a claim time after every test's jobs are due, and
// farLease a lease that outlasts it: a claimed job never comes back.
var (
	farFuture = postBase.Add(1000 * time.Hour)
	farLease  = postBase.Add(2000 * time.Hour)
)

// wantJobs claims every queued job and checks they are exactly want:
// reason topic_message, the message's channel, PrevMessageAt as given and
// due at the message's time. Claims return jobs due by a time and set
// DueAt to the lease, so the due time is checked by claiming at each
// message's time: nothing may be due a microsecond before it, and then
// exactly its job. The store must have no other jobs (tests that use it
// claim theirs one step at a time).
func wantJobs(t testing.TB, s chat.Store, want []wantJob) {
	t.Helper()
	ctx := t.Context()
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b wantJob) int { return a.Message.CreatedAt.Compare(b.Message.CreatedAt) })
	for i, w := range want {
		m := w.Message
		if i > 0 && !want[i-1].Message.CreatedAt.Before(m.CreatedAt) {
			t.Fatalf("test bug: two jobs due at %v", m.CreatedAt)
		}
		early, err := s.NotifyJobClaim(ctx, m.CreatedAt.Add(-time.Microsecond), farLease, 100)
		NoErr(t, err, "NotifyJobClaim")
		if len(early) != 0 {
			t.Fatalf("jobs due before message %d's time %v: %+v", m.ID, m.CreatedAt, early)
		}
		got, err := s.NotifyJobClaim(ctx, m.CreatedAt, farLease, 100)
		NoErr(t, err, "NotifyJobClaim")
		if len(got) != 1 {
			t.Fatalf("jobs due at message %d's time: %+v, want exactly its job", m.ID, got)
		}
		j := got[0]
		if j.TenantID != m.TenantID || j.UserID != 0 || j.Reason != chat.ReasonTopicMessage || j.Channel != m.Channel ||
			j.MessageID != m.ID || !sameTimePtr(j.PrevMessageAt, w.Prev) {
			t.Fatalf("job of message %d (seq %d on %s) = %+v with PrevMessageAt %s; want reason %s and PrevMessageAt %s",
				m.ID, m.Seq, m.Channel, j, fmtTime(j.PrevMessageAt), chat.ReasonTopicMessage, fmtTime(w.Prev))
		}
	}
	rest, err := s.NotifyJobClaim(ctx, farFuture, farLease, 100)
	NoErr(t, err, "NotifyJobClaim")
	if len(rest) != 0 {
		t.Fatalf("unexpected jobs: %+v", rest)
	}
}

// newPostTopic creates a topic with the given state.
func newPostTopic(t testing.TB, f *Fixture, groupID int64, name string, active, email bool) chat.Topic {
	t.Helper()
	tp := chat.Topic{TenantID: f.Tenant.ID, GroupID: groupID, Name: name, Active: active, EmailNotify: email}
	NoErr(t, f.Store.TopicCreate(t.Context(), &tp), "TopicCreate")
	return tp
}

func newPostGroup(t testing.TB, f *Fixture, name string, active bool, memberIDs ...int64) chat.Group {
	t.Helper()
	g := f.NewGroup(t, name, memberIDs...)
	if !active {
		g.Active = false
		NoErr(t, f.Store.GroupUpdate(t.Context(), g), "GroupUpdate inactive")
	}
	return g
}

func setMessenger(t testing.TB, f *Fixture, on bool) {
	t.Helper()
	tn, err := f.Store.TenantGet(t.Context(), f.Tenant.ID)
	NoErr(t, err, "TenantGet")
	tn.Settings.MessengerEnabled = on
	NoErr(t, f.Store.TenantUpdate(t.Context(), tn), "TenantUpdate")
}

// accessCase is one row of the topic access table.
type accessCase struct {
	name   string
	f      *Fixture
	topic  postTopic
	author int64
	// missing: TopicAccess must say ENotFound (no such topic in the
	// tenant); else it must return facts.
	missing bool
	facts   chat.TopicReadAccess
	active  bool // the topic's own state
	allowed bool // the table's answer
}

// The access table holds TopicPostBatch (PostgreSQL: its SQL predicate)
// and the Go rule (TopicAccess facts + TopicReadAccess.Allows) to the same
// answer for every combination of the facts, and both to the table.
func testTopicPostAccessTable(t *testing.T, s chat.Store) {
	var clock postClock
	cases := accessCases(t, s)
	// Sequential: the cases share the store and its job queue.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { testAccessCase(t, s, &clock, c) })
	}

	// All the cases in one batch, twice over in opposite orders: allowed
	// and refused posts mixed on the same topics, each decided as if alone.
	t.Run("OneBatch", func(t *testing.T) { testAccessOneBatch(t, s, &clock, cases) })
}

// accessCases makes the table's tenants, groups and topics: every
// combination of messenger, group and topic state and membership, and a
// topic the author's tenant does not have.
func accessCases(t *testing.T, s chat.Store) []accessCase {
	on, off, other := NewFixture(t, s, "access-on"), NewFixture(t, s, "access-off"), NewFixture(t, s, "access-other")
	var cases []accessCase
	for _, f := range []*Fixture{on, off} {
		// EmployeeB is a member of another group of the tenant: being a
		// member somewhere is not being a member.
		f.NewGroup(t, "elsewhere", f.EmployeeB.ID)
		for _, groupActive := range []bool{true, false} {
			g := newPostGroup(t, f, fmt.Sprintf("group active=%v", groupActive), groupActive, f.EmployeeA.ID)
			for _, topicActive := range []bool{true, false} {
				// Every topic emails, so a post wrongly stored also
				// shows as a job.
				tp := newPostTopic(t, f, g.ID, fmt.Sprintf("topic active=%v", topicActive), topicActive, true)
				for _, member := range []bool{true, false} {
					author := f.EmployeeA.ID
					if !member {
						author = f.EmployeeB.ID
					}
					messenger := f == on
					cases = append(cases, accessCase{
						name: fmt.Sprintf("messenger_%s,group_%s,topic_%s,%s", onOff(messenger),
							activeName(groupActive), activeName(topicActive), map[bool]string{true: "member", false: "not_member"}[member]),
						f: f, topic: watch(tp), author: author,
						facts:   chat.TopicReadAccess{MessengerOn: messenger, GroupActive: groupActive, Member: member},
						active:  topicActive,
						allowed: messenger && groupActive && topicActive && member,
					})
				}
			}
		}
	}
	setMessenger(t, off, false)
	og := other.NewGroup(t, "other's", other.EmployeeA.ID)
	otherTopic := newPostTopic(t, other, og.ID, "other's", true, true)
	cases = append(cases,
		// The author posts with its own tenant to a topic id of another
		// tenant, which it would be allowed to read there were it a member.
		accessCase{name: "topic_of_another_tenant", f: on, topic: watch(otherTopic), author: on.EmployeeA.ID, missing: true},
		accessCase{name: "nonexistent_topic", f: on, topic: postTopic{TenantID: on.Tenant.ID, ID: otherTopic.ID + 1000}, author: on.EmployeeA.ID, missing: true},
	)
	if n := len(cases); n != 18 {
		t.Fatalf("test bug: %d cases", n)
	}
	return cases
}

// watched are the topics whose state a refused post must leave alone;
// the nonexistent one has none.
func watched(c accessCase) []postTopic {
	if c.name == "nonexistent_topic" {
		return nil
	}
	return []postTopic{c.topic}
}

// testAccessCase: the Go rule gives the table's answer for c, and
// TopicPostBatch stores c's post exactly when the Go rule allows it.
func testAccessCase(t *testing.T, s chat.Store, clock *postClock, c accessCase) {
	ctx := t.Context()
	tp, acc, err := s.TopicAccess(ctx, c.f.Tenant.ID, c.topic.ID, c.author)
	var goAllows bool
	if c.missing {
		WantNotFound(t, err)
	} else {
		NoErr(t, err, "TopicAccess")
		if tp.ID != c.topic.ID || tp.TenantID != c.f.Tenant.ID || tp.Active != c.active || acc != c.facts {
			t.Fatalf("TopicAccess = topic %d (tenant %d, active %v), %+v; want topic %d (tenant %d, active %v), %+v",
				tp.ID, tp.TenantID, tp.Active, acc, c.topic.ID, c.f.Tenant.ID, c.active, c.facts)
		}
		goAllows = acc.Allows(tp)
	}
	if goAllows != c.allowed {
		t.Fatalf("the Go rule (TopicAccess + Allows) says %v, the table %v", goAllows, c.allowed)
	}
	posts := []chat.TopicPost{clock.post(c.f, c.topic.ID, c.author, "one-"+c.name)}
	want := chat.ENotFound
	if c.allowed {
		want = ""
	}
	before := snapshot(t, s, watched(c)...)
	NoErr(t, s.TopicPostBatch(ctx, posts), "TopicPostBatch")
	if stored := posts[0].Err == nil; stored != goAllows {
		t.Fatalf("TopicPostBatch stored=%v (%v), but the Go rule allows=%v: the engine's predicate and the Go rule disagree",
			stored, posts[0].Err, goAllows)
	}
	checkBatch(t, s, posts, []string{want}, before, watched(c)...)
}

func testAccessOneBatch(t *testing.T, s chat.Store, clock *postClock, cases []accessCase) {
	var posts []chat.TopicPost
	var want []string
	var tps []postTopic
	seen := map[int64]bool{}
	for round, order := range [][]accessCase{cases, reversed(cases)} {
		for _, c := range order {
			posts = append(posts, clock.post(c.f, c.topic.ID, c.author, fmt.Sprintf("batch%d-%s", round, c.name)))
			if c.allowed {
				want = append(want, "")
			} else {
				want = append(want, chat.ENotFound)
			}
			for _, tp := range watched(c) {
				if !seen[tp.ID] {
					seen[tp.ID] = true
					tps = append(tps, tp)
				}
			}
		}
	}
	postBatch(t, s, posts, want, tps...)
}

func reversed[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func activeName(b bool) string {
	if b {
		return "active"
	}
	return "inactive"
}

// nf is the outcome of a refused post.
const nf = chat.ENotFound

// Access is decided when the batch runs: a change committed just before
// refuses that post, and the others of the batch are stored.
var accessAtCommitChecks = []check{
	{name: "MemberRemoved", fn: testAccessAtCommitMemberRemoved},
	{name: "MemberAdded", fn: testAccessAtCommitMemberAdded},
	{name: "TopicDeactivated", fn: testAccessAtCommitTopicDeactivated},
	{name: "GroupDeactivated", fn: testAccessAtCommitGroupDeactivated},
	{name: "MessengerOff", fn: testAccessAtCommitMessengerOff},
}

func testAccessAtCommitMemberRemoved(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "removed")
	var clock postClock
	g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
	tp := watch(newPostTopic(t, f, g.ID, "t", true, true))
	postBatch(t, s, []chat.TopicPost{clock.post(f, tp.ID, f.EmployeeA.ID, "before")}, []string{""}, tp)
	NoErr(t, s.GroupSetMembers(t.Context(), f.Tenant.ID, g.ID, []int64{f.Manager.ID}), "GroupSetMembers")
	postBatch(t, s, []chat.TopicPost{
		clock.post(f, tp.ID, f.EmployeeA.ID, "a1"),
		clock.post(f, tp.ID, f.Manager.ID, "m1"),
		clock.post(f, tp.ID, f.EmployeeA.ID, "a2"),
	}, []string{nf, "", nf}, tp)
}

func testAccessAtCommitMemberAdded(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "added")
	var clock postClock
	g := f.NewGroup(t, "g", f.Manager.ID)
	tp := watch(newPostTopic(t, f, g.ID, "t", true, true))
	postBatch(t, s, []chat.TopicPost{clock.post(f, tp.ID, f.EmployeeA.ID, "before")}, []string{nf}, tp)
	NoErr(t, s.GroupSetMembers(t.Context(), f.Tenant.ID, g.ID, []int64{f.Manager.ID, f.EmployeeA.ID}), "GroupSetMembers")
	postBatch(t, s, []chat.TopicPost{
		clock.post(f, tp.ID, f.EmployeeA.ID, "a1"),
		clock.post(f, tp.ID, f.Manager.ID, "m1"),
	}, []string{"", ""}, tp)
}

func testAccessAtCommitTopicDeactivated(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "topic-off")
	var clock postClock
	g := f.NewGroup(t, "g", f.EmployeeA.ID)
	t1 := newPostTopic(t, f, g.ID, "t1", true, true)
	t2 := newPostTopic(t, f, g.ID, "t2", true, true)
	w1, w2 := watch(t1), watch(t2)
	postBatch(t, s, []chat.TopicPost{clock.post(f, t1.ID, f.EmployeeA.ID, "b1"), clock.post(f, t2.ID, f.EmployeeA.ID, "b2")},
		[]string{"", ""}, w1, w2)
	t1.Active = false
	NoErr(t, s.TopicUpdate(t.Context(), t1), "TopicUpdate inactive")
	postBatch(t, s, []chat.TopicPost{
		clock.post(f, t1.ID, f.EmployeeA.ID, "a1"),
		clock.post(f, t2.ID, f.EmployeeA.ID, "a2"),
		clock.post(f, t1.ID, f.EmployeeA.ID, "a3"),
	}, []string{nf, "", nf}, w1, w2)
}

func testAccessAtCommitGroupDeactivated(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "group-off")
	var clock postClock
	g1 := f.NewGroup(t, "g1", f.EmployeeA.ID)
	g2 := f.NewGroup(t, "g2", f.EmployeeA.ID)
	w1 := watch(newPostTopic(t, f, g1.ID, "t1", true, true))
	w2 := watch(newPostTopic(t, f, g2.ID, "t2", true, true))
	postBatch(t, s, []chat.TopicPost{clock.post(f, w1.ID, f.EmployeeA.ID, "b1"), clock.post(f, w2.ID, f.EmployeeA.ID, "b2")},
		[]string{"", ""}, w1, w2)
	g, err := s.GroupGet(t.Context(), f.Tenant.ID, g1.ID)
	NoErr(t, err, "GroupGet")
	g.Active = false
	NoErr(t, s.GroupUpdate(t.Context(), g), "GroupUpdate inactive")
	postBatch(t, s, []chat.TopicPost{
		clock.post(f, w2.ID, f.EmployeeA.ID, "a1"),
		clock.post(f, w1.ID, f.EmployeeA.ID, "a2"),
		clock.post(f, w2.ID, f.EmployeeA.ID, "a3"),
	}, []string{"", nf, ""}, w1, w2)
}

func testAccessAtCommitMessengerOff(t *testing.T, s chat.Store) {
	f, f2 := NewFixture(t, s, "messenger-off"), NewFixture(t, s, "messenger-still-on")
	var clock postClock
	w1 := watch(newPostTopic(t, f, f.NewGroup(t, "g", f.EmployeeA.ID).ID, "t", true, true))
	w2 := watch(newPostTopic(t, f2, f2.NewGroup(t, "g", f2.EmployeeA.ID).ID, "t", true, true))
	postBatch(t, s, []chat.TopicPost{clock.post(f, w1.ID, f.EmployeeA.ID, "b1"), clock.post(f2, w2.ID, f2.EmployeeA.ID, "b2")},
		[]string{"", ""}, w1, w2)
	setMessenger(t, f, false)
	postBatch(t, s, []chat.TopicPost{
		clock.post(f, w1.ID, f.EmployeeA.ID, "a1"),
		clock.post(f2, w2.ID, f2.EmployeeA.ID, "a2"),
	}, []string{nf, ""}, w1, w2)
	setMessenger(t, f, true)
	postBatch(t, s, []chat.TopicPost{clock.post(f, w1.ID, f.EmployeeA.ID, "a3")}, []string{""}, w1, w2)
}

// A client id is unique per author: a used one is EConflict and writes
// nothing, and the rest of the batch is stored.
func testTopicPostIdempotency(t *testing.T, newStore NewStoreFunc) {
	const ec, nf = chat.EConflict, chat.ENotFound
	setup := func(t *testing.T) (chat.Store, *Fixture, *postClock, postTopic, postTopic) {
		s := newStore(t)
		f := NewFixture(t, s, "idem")
		g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
		t1 := watch(newPostTopic(t, f, g.ID, "t1", true, true))
		t2 := watch(newPostTopic(t, f, g.ID, "t2", true, false))
		return s, f, &postClock{}, t1, t2
	}
	t.Run("UsedClientID", func(t *testing.T) {
		t.Parallel()
		s, f, clock, t1, t2 := setup(t)
		first := []chat.TopicPost{clock.post(f, t1.ID, f.EmployeeA.ID, "c1")}
		postBatch(t, s, first, []string{""}, t1, t2)
		// Again, on the same topic and on another: the id is the author's.
		postBatch(t, s, []chat.TopicPost{clock.post(f, t1.ID, f.EmployeeA.ID, "c1")}, []string{ec}, t1, t2)
		postBatch(t, s, []chat.TopicPost{clock.post(f, t2.ID, f.EmployeeA.ID, "c1")}, []string{ec}, t1, t2)
		orig, err := s.MessageByClientID(t.Context(), f.Tenant.ID, f.EmployeeA.ID, "c1")
		NoErr(t, err, "MessageByClientID")
		if orig.ID != first[0].Message.ID || orig.Body != first[0].Message.Body {
			t.Fatalf("the client id's message = %+v, want the first post's", orig)
		}
	})
	t.Run("SameClientIDInBatch", func(t *testing.T) {
		t.Parallel()
		s, f, clock, t1, t2 := setup(t)
		postBatch(t, s, []chat.TopicPost{
			clock.post(f, t1.ID, f.EmployeeA.ID, "d1"),
			clock.post(f, t1.ID, f.EmployeeA.ID, "d1"),
			clock.post(f, t1.ID, f.EmployeeA.ID, "e1"),
			clock.post(f, t2.ID, f.EmployeeA.ID, "e1"),
		}, []string{"", ec, "", ec}, t1, t2)
	})
	t.Run("OtherAuthorSameClientID", func(t *testing.T) {
		t.Parallel()
		s, f, clock, t1, t2 := setup(t)
		postBatch(t, s, []chat.TopicPost{clock.post(f, t1.ID, f.EmployeeA.ID, "c1")}, []string{""}, t1, t2)
		postBatch(t, s, []chat.TopicPost{
			clock.post(f, t1.ID, f.Manager.ID, "c1"),
			clock.post(f, t2.ID, f.Manager.ID, "c2"),
			clock.post(f, t2.ID, f.EmployeeA.ID, "c2"),
		}, []string{"", "", ""}, t1, t2)
	})
	t.Run("NoClientIDRepeats", func(t *testing.T) {
		t.Parallel()
		s, f, clock, t1, t2 := setup(t)
		postBatch(t, s, []chat.TopicPost{
			clock.post(f, t1.ID, f.EmployeeA.ID, ""),
			clock.post(f, t1.ID, f.EmployeeA.ID, ""),
		}, []string{"", ""}, t1, t2)
		postBatch(t, s, []chat.TopicPost{clock.post(f, t1.ID, f.EmployeeA.ID, "")}, []string{""}, t1, t2)
	})
	t.Run("ConflictKeepsOthers", func(t *testing.T) {
		t.Parallel()
		s, f, clock, t1, t2 := setup(t)
		postBatch(t, s, []chat.TopicPost{clock.post(f, t2.ID, f.EmployeeA.ID, "used")}, []string{""}, t1, t2)
		postBatch(t, s, []chat.TopicPost{
			clock.post(f, t1.ID, f.EmployeeA.ID, "f1"),
			clock.post(f, t2.ID, f.EmployeeA.ID, "used"),
			clock.post(f, t1.ID, f.Manager.ID, "f2"),
			clock.post(f, t1.ID, f.Handler.ID, "f3"), // not a member
			clock.post(f, t2.ID, f.EmployeeA.ID, "f4"),
			clock.post(f, t1.ID, f.EmployeeA.ID, "used"),
			clock.post(f, t1.ID, f.EmployeeA.ID, "f5"),
		}, []string{"", ec, "", nf, "", ec, ""}, t1, t2)
	})
	t.Run("RefusedKeepsClientIDFree", func(t *testing.T) {
		t.Parallel()
		s, f, clock, t1, t2 := setup(t)
		// A post refused for access uses no client id: the author's
		// retry, once allowed, is stored.
		postBatch(t, s, []chat.TopicPost{clock.post(f, t1.ID, f.Handler.ID, "h1")}, []string{nf}, t1, t2)
		g, err := s.TopicGet(t.Context(), f.Tenant.ID, t1.ID)
		NoErr(t, err, "TopicGet")
		NoErr(t, s.GroupSetMembers(t.Context(), f.Tenant.ID, g.GroupID, []int64{f.EmployeeA.ID, f.Manager.ID, f.Handler.ID}), "GroupSetMembers")
		postBatch(t, s, []chat.TopicPost{clock.post(f, t1.ID, f.Handler.ID, "h1")}, []string{""}, t1, t2)
	})
}

// A topic that emails queues one job per stored post, chaining the
// previous message time through the batch; a quiet topic queues none.
func testTopicPostOutbox(t *testing.T, newStore NewStoreFunc) {
	t.Run("EmailingTopic", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := NewFixture(t, s, "outbox")
		var clock postClock
		g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
		loud := watch(newPostTopic(t, f, g.ID, "loud", true, true))
		loud2 := watch(newPostTopic(t, f, g.ID, "loud2", true, true))
		quiet := watch(newPostTopic(t, f, g.ID, "quiet", true, false))
		if st := stateOf(t, s, loud); st.LastMessageAt != nil {
			t.Fatalf("a fresh topic has LastMessageAt %v", st.LastMessageAt)
		}
		// Fresh topic: the first job's PrevMessageAt is nil, each later
		// one the previous post's time (postBatch derives and checks it).
		postBatch(t, s, []chat.TopicPost{
			clock.post(f, loud.ID, f.EmployeeA.ID, "l1"),
			clock.post(f, quiet.ID, f.EmployeeA.ID, "q1"),
			clock.post(f, loud.ID, f.Manager.ID, "l2"),
			clock.post(f, loud2.ID, f.Manager.ID, "m1"),
			clock.post(f, loud.ID, f.Handler.ID, "refused"),
			clock.post(f, loud.ID, f.EmployeeA.ID, "l3"),
			clock.post(f, quiet.ID, f.Manager.ID, "q2"),
		}, []string{"", "", "", "", chat.ENotFound, "", ""}, loud, loud2, quiet)
		// The next batch chains from the topic's LastMessageAt.
		postBatch(t, s, []chat.TopicPost{clock.post(f, loud.ID, f.EmployeeA.ID, "l4")}, []string{""}, loud, loud2, quiet)
	})
	t.Run("QuietTopic", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := NewFixture(t, s, "quiet")
		var clock postClock
		g := f.NewGroup(t, "g", f.EmployeeA.ID)
		tp := newPostTopic(t, f, g.ID, "quiet", true, false)
		q := watch(tp)
		postBatch(t, s, []chat.TopicPost{
			clock.post(f, q.ID, f.EmployeeA.ID, "q1"),
			clock.post(f, q.ID, f.EmployeeA.ID, "q2"),
		}, []string{"", ""}, q)
		// Email switched on: the first job's PrevMessageAt is the quiet
		// posts' last time.
		tp.EmailNotify = true
		NoErr(t, s.TopicUpdate(t.Context(), tp), "TopicUpdate email on")
		st := postBatch(t, s, []chat.TopicPost{clock.post(f, q.ID, f.EmployeeA.ID, "q3")}, []string{""}, watch(tp))
		if st[q.ID].LastSeq != 3 {
			t.Fatalf("last seq = %d, want 3", st[q.ID].LastSeq)
		}
	})
}

// Batches from several goroutines through two stores on one database
// (two nodes, two processes): every topic's seqs are 1..N without gap or
// duplicate, each message's event has its seq, seqs follow post order
// within a batch and commit order across batches (a reader on the other
// store only ever sees a gap-free prefix), and each job's PrevMessageAt is
// the time of the message before it.
func testTopicPostConcurrency(t *testing.T, newNodes NewNodesFunc) {
	c := &concurrencyCase{nodes: newNodes(t, 2)}
	f := NewFixture(t, c.nodes[0], "nodes")
	c.f = f
	c.authors = []int64{f.EmployeeA.ID, f.Manager.ID, f.Admin.ID}
	g := f.NewGroup(t, "g", c.authors...)
	for i := range 4 {
		c.topics = append(c.topics, watch(newPostTopic(t, f, g.ID, fmt.Sprintf("t%d", i), true, i%2 == 0)))
	}

	errs := make(chan error, concurrencyPosters*concurrencyRounds+16)
	var wg sync.WaitGroup
	c.postBatches(t, &wg, errs)
	// Meanwhile the general path (InTx: next seq, message, event, topic
	// time) posts on both nodes to the same topics.
	c.postGeneral(t, &wg, errs)
	// A reader on each node checks every snapshot is a gap-free prefix:
	// a seq is never visible before all lower seqs of its topic.
	var done atomic.Bool
	readers := c.readPrefixes(t, &done, errs)
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	bySeq := c.wantSeqs(t)
	jobs := c.wantTopics(t, bySeq)
	c.wantQueuedJobs(t, jobs)
}

// concurrencyPosters goroutines each post concurrencyRounds batches of
// concurrencyPerBatch posts (every topic twice); concurrencyGeneral
// messages per node take the general path.
const concurrencyPosters, concurrencyRounds, concurrencyPerBatch, concurrencyGeneral = 8, 6, 8, 12

// concurrencyCase is the Concurrency check's world: topics of f's group
// on two nodes, and what each poster stored.
type concurrencyCase struct {
	nodes   []chat.Store
	f       *Fixture
	authors []int64
	topics  []postTopic
	clock   postClock
	// results[p][r] is poster p's batch of round r; generalPosted[n] the
	// general path's messages on node n.
	results       [][][]chat.TopicPost
	generalPosted [][]chat.Message
}

// postBatches starts the batch posters, alternating between the nodes.
func (c *concurrencyCase) postBatches(t *testing.T, wg *sync.WaitGroup, errs chan<- error) {
	ctx, nodes, f, authors, topics, clock := t.Context(), c.nodes, c.f, c.authors, c.topics, &c.clock
	results := make([][][]chat.TopicPost, concurrencyPosters)
	c.results = results
	for p := range concurrencyPosters {
		node := nodes[p%2]
		results[p] = make([][]chat.TopicPost, concurrencyRounds)
		wg.Go(func() {
			for r := range concurrencyRounds {
				posts := make([]chat.TopicPost, concurrencyPerBatch)
				for k := range posts {
					// The start rotates, so batches name their topics in
					// different orders.
					tp := topics[(p+r+k)%len(topics)]
					posts[k] = clock.post(f, tp.ID, authors[(p+k)%len(authors)], fmt.Sprintf("p%d-r%d-k%d", p, r, k))
				}
				if err := retryUnavailable(func() error { return node.TopicPostBatch(ctx, posts) }); err != nil {
					errs <- fmt.Errorf("poster %d round %d: %w", p, r, err)
					return
				}
				results[p][r] = posts
			}
		})
	}
}

// retryUnavailable runs write until it succeeds, fails otherwise than
// EUnavailable, or has tried five times. Two SQLite stores on one file take
// turns at the write lock through the busy timeout; on a heavily loaded
// machine a writer can wait past it and is told "unavailable, retry", as a
// client would be. A rolled-back attempt stored nothing, so the retry is the
// same write.
func retryUnavailable(write func() error) error {
	var err error
	for range 5 {
		if err = write(); !chat.IsCode(err, chat.EUnavailable) {
			return err
		}
	}
	return err
}

// postGeneral starts a general-path poster on each node.
func (c *concurrencyCase) postGeneral(t *testing.T, wg *sync.WaitGroup, errs chan<- error) {
	ctx, nodes, f, authors, topics, clock := t.Context(), c.nodes, c.f, c.authors, c.topics, &c.clock
	generalPosted := make([][]chat.Message, 2)
	c.generalPosted = generalPosted
	for n, node := range nodes {
		wg.Go(func() {
			for i := range concurrencyGeneral {
				tp := topics[(i+n)%len(topics)]
				m := chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(tp.ID), AuthorID: authors[i%len(authors)],
					ClientMsgID: fmt.Sprintf("general-n%d-%d", n, i), Kind: chat.MessageText, Body: "general", CreatedAt: clock.next()}
				err := retryUnavailable(func() error {
					return node.InTx(ctx, func(tx chat.Store) error {
						seq, err := tx.ChannelNextSeq(ctx, f.Tenant.ID, m.Channel)
						if err != nil {
							return err
						}
						m.Seq = seq
						if err := tx.MessageInsert(ctx, &m); err != nil {
							return err
						}
						if err := tx.ChannelEventInsert(ctx, f.Tenant.ID, m.Channel, seq, chat.EventMessageNew, m.ID, m.CreatedAt); err != nil {
							return err
						}
						return tx.TopicTouch(ctx, f.Tenant.ID, tp.ID, m.CreatedAt)
					})
				})
				if err != nil {
					errs <- fmt.Errorf("general post %d on node %d: %w", i, n, err)
					return
				}
				generalPosted[n] = append(generalPosted[n], m)
			}
		})
	}
}

// readPrefixes starts a reader on each node that runs until done.
func (c *concurrencyCase) readPrefixes(t *testing.T, done *atomic.Bool, errs chan<- error) *sync.WaitGroup {
	ctx, nodes, f, topics := t.Context(), c.nodes, c.f, c.topics
	var readers sync.WaitGroup
	for _, node := range nodes {
		readers.Go(func() {
			for !done.Load() {
				for _, tp := range topics {
					evs, err := node.ChannelEventsSince(ctx, f.Tenant.ID, chat.TopicChannel(tp.ID), 0, 100000)
					if err == nil {
						err = gapFree(evs)
					}
					if err != nil {
						errs <- fmt.Errorf("reader on %s: %w", chat.TopicChannel(tp.ID), err)
						return
					}
				}
			}
		})
	}
	return &readers
}

// wantSeqs checks each batch's seqs (consecutive in post order, above the
// poster's earlier batches, never given twice) and returns every message
// by topic and seq.
func (c *concurrencyCase) wantSeqs(t *testing.T) map[int64]map[int64]chat.Message {
	topics, results, generalPosted := c.topics, c.results, c.generalPosted
	// Every message by seq, per topic.
	bySeq := map[int64]map[int64]chat.Message{}
	for _, tp := range topics {
		bySeq[tp.ID] = map[int64]chat.Message{}
	}
	add := func(m chat.Message) {
		if prev, dup := bySeq[m.Channel.ID][m.Seq]; dup {
			t.Fatalf("%s seq %d given to messages %d and %d", m.Channel, m.Seq, prev.ID, m.ID)
		}
		bySeq[m.Channel.ID][m.Seq] = m
	}
	for p := range concurrencyPosters {
		last := map[int64]int64{} // topic -> highest seq of p's earlier batches
		for r, posts := range results[p] {
			inBatch := map[int64]int64{}
			for k, post := range posts {
				m := post.Message
				if post.Err != nil || m.ID == 0 || m.Kind != chat.MessageText {
					t.Fatalf("poster %d round %d post %d: %v (id %d, kind %q)", p, r, k, post.Err, m.ID, m.Kind)
				}
				ch := m.Channel.ID
				// Post order within the batch; consecutive, since the
				// batch commits at once.
				if prev, ok := inBatch[ch]; ok && m.Seq != prev+1 {
					t.Fatalf("poster %d round %d: seqs of %s in post order %d then %d, want consecutive", p, r, m.Channel, prev, m.Seq)
				}
				// A later batch of the same caller started after the
				// earlier one committed: higher seqs.
				if m.Seq <= last[ch] {
					t.Fatalf("poster %d round %d: seq %d on %s after seq %d of an earlier batch", p, r, m.Seq, m.Channel, last[ch])
				}
				inBatch[ch] = m.Seq
				add(m)
			}
			for ch, seq := range inBatch {
				last[ch] = seq
			}
		}
	}
	for _, ms := range generalPosted {
		for _, m := range ms {
			add(m)
		}
	}
	return bySeq
}

// wantTopics checks each topic's events and last message time against
// the posts, and returns the jobs the batch posts should have queued.
func (c *concurrencyCase) wantTopics(t *testing.T, bySeq map[int64]map[int64]chat.Message) []wantJob {
	ctx, s, f, topics := t.Context(), c.nodes[1], c.f, c.topics
	var jobs []wantJob
	for _, tp := range topics {
		ch := chat.TopicChannel(tp.ID)
		n := int64(len(bySeq[tp.ID]))
		st := stateOf(t, s, tp) // gap-free prefix 1..last seq
		if st.LastSeq != n {
			t.Fatalf("%s: last seq %d, %d messages posted", ch, st.LastSeq, n)
		}
		evs, err := s.ChannelEventsSince(ctx, f.Tenant.ID, ch, 0, 100000)
		NoErr(t, err, "ChannelEventsSince")
		var prev *time.Time
		for _, ev := range evs {
			m := bySeq[tp.ID][ev.Seq]
			if ev.Message.ID != m.ID {
				t.Fatalf("%s: event seq %d is of message %d, the post with that seq is %d", ch, ev.Seq, ev.Message.ID, m.ID)
			}
			// Batch posts queue jobs on emailing topics (the general path
			// here does not); PrevMessageAt is the time of the message
			// with the seq before, whichever path stored it.
			if tp.Email && m.ClientMsgID[0] == 'p' {
				jobs = append(jobs, wantJob{Message: m, Prev: prev})
			}
			at := m.CreatedAt
			prev = &at
		}
		if !sameTimePtr(st.LastMessageAt, prev) {
			t.Fatalf("%s: LastMessageAt %s, want the time of the last seq's message %s", ch, fmtTime(st.LastMessageAt), fmtTime(prev))
		}
	}
	return jobs
}

// wantQueuedJobs checks the queued jobs: one per batch post on an
// emailing topic, with the previous message's time.
func (c *concurrencyCase) wantQueuedJobs(t *testing.T, jobs []wantJob) {
	ctx, s := t.Context(), c.nodes[1]
	// Jobs by message; their due times are checked by the other areas.
	got, err := s.NotifyJobClaim(ctx, farFuture, farLease, 100000)
	NoErr(t, err, "NotifyJobClaim")
	byMsg := map[int64]chat.NotifyJob{}
	for _, j := range got {
		if _, dup := byMsg[j.MessageID]; dup {
			t.Fatalf("two jobs for message %d", j.MessageID)
		}
		byMsg[j.MessageID] = j
	}
	if len(got) != len(jobs) {
		t.Fatalf("%d jobs, want %d (one per batch post on an emailing topic)", len(got), len(jobs))
	}
	for _, w := range jobs {
		j, ok := byMsg[w.Message.ID]
		if !ok {
			t.Fatalf("no job for message %d (seq %d on %s)", w.Message.ID, w.Message.Seq, w.Message.Channel)
		}
		if j.Reason != chat.ReasonTopicMessage || j.Channel != w.Message.Channel || !sameTimePtr(j.PrevMessageAt, w.Prev) {
			t.Fatalf("job of message %d (seq %d on %s): reason %s, PrevMessageAt %s; want %s and the time of seq %d's message, %s",
				w.Message.ID, w.Message.Seq, w.Message.Channel, j.Reason, fmtTime(j.PrevMessageAt),
				chat.ReasonTopicMessage, w.Message.Seq-1, fmtTime(w.Prev))
		}
	}
}
