package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/chat"
	"parley/storage/postgres"
	"parley/storage/storetest"
)

func batchReq(f *storetest.Fixture, topicID, authorID int64, clientID string, at time.Time) *postgres.TestPostReq {
	return postgres.NewTestPost(chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(topicID),
		AuthorID: authorID, ClientMsgID: clientID, Body: "b " + clientID, CreatedAt: at})
}

// One batch statement answers each post as TopicPost would: seqs per topic
// in batch order after those already taken, refused posts (not a member,
// another tenant, unknown topic) ENotFound and not stored, every stored
// message with its event, the topic times of each topic's newest message,
// and notification jobs whose previous message time chains through the
// batch. A used client id fails the statement and nothing is written.
func TestTopicPostBatchStatement(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	f := storetest.NewFixture(t, s, "batch")
	other := storetest.NewFixture(t, s, "other")
	g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
	quiet := f.NewTopic(t, g.ID, "quiet")
	loud := f.NewTopic(t, g.ID, "loud")
	loud.EmailNotify = true
	storetest.NoErr(t, s.TopicUpdate(ctx, loud), "email on")
	og := other.NewGroup(t, "og", other.EmployeeA.ID)
	otherTopic := other.NewTopic(t, og.ID, "other's")

	base := storetest.Now()
	first := chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(loud.ID), AuthorID: f.EmployeeA.ID, Body: "before", CreatedAt: base}
	storetest.NoErr(t, s.TopicPost(ctx, &first, chat.EventMessageNew, chat.ReasonTopicMessage), "first post")

	at := func(i int) time.Time { return base.Add(time.Duration(i+1) * time.Second) }
	foreign := batchReq(f, otherTopic.ID, f.EmployeeA.ID, "", at(3))
	batch := []*postgres.TestPostReq{
		batchReq(f, quiet.ID, f.EmployeeA.ID, "q1", at(0)),
		batchReq(f, loud.ID, f.Manager.ID, "l1", at(1)),
		batchReq(f, quiet.ID, f.Handler.ID, "nm", at(2)), // not a member
		foreign, // another tenant's topic
		batchReq(f, quiet.ID, f.Manager.ID, "", at(4)),
		batchReq(f, loud.ID, f.EmployeeA.ID, "l2", at(5)),
		batchReq(f, quiet.ID+1000, f.EmployeeA.ID, "", at(6)), // unknown
		batchReq(f, quiet.ID, f.EmployeeA.ID, "q3", at(7)),
	}
	res := s.TestPostBatch(ctx, batch)
	want := []struct {
		seq     int64
		refused bool
	}{{1, false}, {2, false}, {0, true}, {0, true}, {2, false}, {3, false}, {0, true}, {3, false}}
	for i, w := range want {
		r := res[i]
		switch {
		case r.Alone:
			t.Fatalf("post %d: %+v", i, r)
		case w.refused && !chat.IsCode(r.Err, chat.ENotFound):
			t.Fatalf("post %d: got %+v, want not found", i, r)
		case !w.refused && (r.Err != nil || r.Seq != w.seq || r.ID == 0):
			t.Fatalf("post %d: got %+v, want seq %d", i, r, w.seq)
		}
		if !w.refused {
			m, err := s.MessageGet(ctx, f.Tenant.ID, r.ID)
			storetest.NoErr(t, err, "MessageGet")
			if m.Seq != r.Seq || m.Channel.Kind != chat.KindTopic || !m.CreatedAt.Equal(at(i)) ||
				m.Kind != chat.MessageText || m.Body != "b "+m.ClientMsgID {
				t.Fatalf("post %d stored as %+v", i, m)
			}
		}
	}
	if _, err := s.MessageByClientID(ctx, f.Tenant.ID, f.Handler.ID, "nm"); !chat.IsCode(err, chat.ENotFound) {
		t.Fatalf("a refused post was stored: %v", err)
	}
	for _, tc := range []struct {
		tp   chat.Topic
		last int64
		at   time.Time
	}{{quiet, 3, at(7)}, {loud, 3, at(5)}} {
		ch := chat.TopicChannel(tc.tp.ID)
		evs, err := s.ChannelEventsSince(ctx, f.Tenant.ID, ch, 0, 100)
		storetest.NoErr(t, err, "events")
		if int64(len(evs)) != tc.last {
			t.Fatalf("%s: %d events, want %d", ch, len(evs), tc.last)
		}
		for i, ev := range evs {
			if ev.Seq != int64(i+1) || ev.Message.Seq != ev.Seq || ev.Type != chat.EventMessageNew {
				t.Fatalf("%s: event %d = %+v", ch, i, ev)
			}
		}
		got, err := s.TopicGet(ctx, f.Tenant.ID, tc.tp.ID)
		storetest.NoErr(t, err, "TopicGet")
		if got.LastSeq != tc.last || got.LastMessageAt == nil || !got.LastMessageAt.Equal(tc.at) {
			t.Fatalf("%s: last seq %d at %v; want %d at %v", ch, got.LastSeq, got.LastMessageAt, tc.last, tc.at)
		}
	}
	if last, err := s.ChannelLastSeq(ctx, other.Tenant.ID, chat.TopicChannel(otherTopic.ID)); err != nil || last != 0 {
		t.Fatalf("the other tenant's topic: last seq %d, %v", last, err)
	}

	type job struct {
		msg  int64
		prev *time.Time
		due  time.Time
	}
	rows, err := s.Pool().Query(ctx, "SELECT message_id, prev_message_at, due_at FROM notify_jobs ORDER BY id")
	storetest.NoErr(t, err, "jobs")
	var jobs []job
	for rows.Next() {
		var j job
		storetest.NoErr(t, rows.Scan(&j.msg, &j.prev, &j.due), "scan")
		jobs = append(jobs, j)
	}
	storetest.NoErr(t, rows.Err(), "jobs")
	if len(jobs) != 3 || jobs[0].msg != first.ID || jobs[0].prev != nil {
		t.Fatalf("jobs %+v: want the first post's without a previous time and two of the batch", jobs)
	}
	slices.SortFunc(jobs[1:], func(a, b job) int { return int(a.msg - b.msg) })
	if jobs[1].msg != res[1].ID || jobs[1].prev == nil || !jobs[1].prev.Equal(base) || !jobs[1].due.Equal(at(1)) ||
		jobs[2].msg != res[5].ID || jobs[2].prev == nil || !jobs[2].prev.Equal(at(1)) || !jobs[2].due.Equal(at(5)) {
		t.Fatalf("batch jobs %+v: want l1 after %v due %v and l2 after l1", jobs[1:], base, at(1))
	}

	// A used client id anywhere fails the statement: every post runs
	// alone, nothing of the batch is stored.
	dupBatch := []*postgres.TestPostReq{
		batchReq(f, quiet.ID, f.EmployeeA.ID, "fresh", at(8)),
		batchReq(f, loud.ID, f.EmployeeA.ID, "q1", at(9)),
	}
	for i, r := range s.TestPostBatch(ctx, dupBatch) {
		if !r.Alone {
			t.Fatalf("post %d of a batch with a used client id: %+v, want alone", i, r)
		}
	}
	for _, tp := range []chat.Topic{quiet, loud} {
		if last, err := s.ChannelLastSeq(ctx, f.Tenant.ID, chat.TopicChannel(tp.ID)); err != nil || last != 3 {
			t.Fatalf("%s after the failed batch: last seq %d, %v", tp.Name, last, err)
		}
	}
	if _, err := s.MessageByClientID(ctx, f.Tenant.ID, f.EmployeeA.ID, "fresh"); !chat.IsCode(err, chat.ENotFound) {
		t.Fatalf("the failed batch stored a message: %v", err)
	}
}

// Posts queued behind the batch slots are answered by the batches they lead
// in turn (one post per topic each): each gets its own result, the slots
// are free afterwards, every topic's seqs are gap-free in queue order. A
// caller that went away (cancelled context) neither fails the batch nor
// leaves it: its message is stored like the others. With a used client id
// in the queue the statement is refused and every post runs alone: the
// reused id is EConflict, the others are stored once.
func TestTopicPostQueueHandOff(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "handoff")
	g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
	var topics []chat.Topic
	for i := range 4 {
		topics = append(topics, f.NewTopic(t, g.ID, fmt.Sprint("t", i)))
	}
	tp := topics[0]
	used := chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(tp.ID), AuthorID: f.EmployeeA.ID,
		ClientMsgID: "used", Body: "x", CreatedAt: storetest.Now()}
	storetest.NoErr(t, s.TopicPost(t.Context(), &used, chat.EventMessageNew, chat.ReasonTopicMessage), "post")
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	const n = 40
	type result struct {
		i   int
		m   chat.Message
		err error
	}
	// round queues n posts behind held slots, releases them and returns
	// the results; kind(i) says what post i is.
	round := func(name string, kind func(i int) string) []result {
		s.TestHoldPostSlots()
		results := make(chan result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m := chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(topics[i%len(topics)].ID),
					AuthorID: f.EmployeeA.ID, ClientMsgID: fmt.Sprint(name, i), Body: "x", CreatedAt: storetest.Now()}
				ctx := t.Context()
				switch kind(i) {
				case "outsider":
					m.AuthorID = f.Handler.ID
				case "reused":
					m.ClientMsgID = "used"
				case "gone":
					ctx = cancelled
				}
				err := s.TopicPost(ctx, &m, chat.EventMessageNew, chat.ReasonTopicMessage)
				results <- result{i, m, err}
			})
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, queued := s.TestPosterState()
			if queued == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d posts queued", name, queued, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.TestReleasePostSlots()
		wg.Wait()
		close(results)
		var out []result
		for r := range results {
			out = append(out, r)
		}
		if inflight, queued := s.TestPosterState(); inflight != 0 || queued != 0 {
			t.Fatalf("%s: afterwards %d batches in flight, %d queued", name, inflight, queued)
		}
		return out
	}
	seqs := map[int64][]int64{} // by topic
	check := func(rs []result, kind func(i int) string) {
		t.Helper()
		for _, r := range rs {
			switch kind(r.i) {
			case "outsider":
				storetest.WantCode(t, r.err, chat.ENotFound)
			case "reused":
				storetest.WantCode(t, r.err, chat.EConflict)
			default:
				storetest.NoErr(t, r.err, fmt.Sprint("post ", r.i))
				seqs[r.m.Channel.ID] = append(seqs[r.m.Channel.ID], r.m.Seq)
			}
		}
	}

	clean := func(i int) string { return map[int]string{3: "outsider", 5: "gone"}[i%10] }
	check(round("a", clean), clean)
	// 40 posts over 4 topics: 10 batches of 4.
	if refused, batched := s.TestPostBatchesRefused(), s.TestPostsBatched(); refused != 0 || batched != n {
		t.Fatalf("first round: %d statements refused, %d posts batched; want 0 and %d", refused, batched, n)
	}
	// The reused ids are all in one topic, so each is in a batch of its
	// own making: 5 refused statements.
	withReuse := func(i int) string { return map[int]string{2: "outsider", 7: "reused"}[i%8] }
	check(round("b", withReuse), withReuse)
	if refused := s.TestPostBatchesRefused(); refused != 5 {
		t.Fatalf("second round: %d statements refused, want 5", refused)
	}
	stored := 0
	for _, tp := range topics {
		got := seqs[tp.ID]
		slices.Sort(got)
		first := int64(1)
		if tp.ID == used.Channel.ID {
			first = 2
		}
		for i, seq := range got {
			if seq != first+int64(i) {
				t.Fatalf("topic %s: seqs %v, want %d..%d", tp.Name, got, first, first+int64(len(got))-1)
			}
		}
		stored += len(got)
	}
	if want := n - 4 + n - 5 - 5; stored != want {
		t.Fatalf("%d posts stored, want %d", stored, want)
	}
}
