package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/pgtest"
	"parley/storage/postgres"
	"parley/storage/storetest"
)

// openNodes returns n stores (pools) on one fresh database, as n nodes
// would have.
func openNodes(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	url := pgtest.NewDatabase(t)
	out := make([]*postgres.Store, n)
	for i := range out {
		s, err := postgres.Open(t.Context(), url, zerolog.Nop())
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out
}

func plainPost(f *storetest.Fixture, topicID, authorID int64, clientID string) chat.Message {
	return chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(topicID), AuthorID: authorID,
		ClientMsgID: clientID, Body: "hello " + clientID, CreatedAt: storetest.Now()}
}

// checkPrefix fails unless the channel's visible events are exactly seqs
// 1..n, each a message.new of the message with that seq, and returns n.
func checkPrefix(t *testing.T, s *postgres.Store, tenantID int64, ch chat.Channel) (int, error) {
	evs, err := s.ChannelEventsSince(t.Context(), tenantID, ch, 0, 100000)
	if err != nil {
		return 0, err
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Message.Seq != ev.Seq || ev.Type != chat.EventMessageNew {
			return 0, fmt.Errorf("%s: event %d has seq %d (message seq %d, type %s): not a gap-free prefix",
				ch, i, ev.Seq, ev.Message.Seq, ev.Type)
		}
	}
	return len(evs), nil
}

// Concurrent posts from two nodes to four topics (single statements and
// batches of several topics, in varying topic orders), mixed with posts
// through the general transactional path, give every topic gap-free seqs,
// and a reader never sees a seq before all lower ones (commit order): no
// deadlock (no batch statement refused), no lost or duplicated message.
func TestTopicPostConcurrentTwoNodes(t *testing.T) {
	t.Parallel()
	nodes := openNodes(t, 2)
	f := storetest.NewFixture(t, nodes[0], "topicpost")
	authors := []chat.User{f.EmployeeA, f.Manager, f.Admin}
	g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID, f.Admin.ID)
	topics := []chat.Topic{f.NewTopic(t, g.ID, "one"), f.NewTopic(t, g.ID, "two"),
		f.NewTopic(t, g.ID, "three"), f.NewTopic(t, g.ID, "four")}

	const posters, each = 16, 15
	var done atomic.Bool
	readErr := make(chan error, 1)
	go func() {
		// The reader runs until the posters are done and checks that
		// every snapshot of every topic is a gap-free prefix.
		defer close(readErr)
		for !done.Load() {
			for _, tp := range topics {
				if _, err := checkPrefix(t, nodes[1], f.Tenant.ID, chat.TopicChannel(tp.ID)); err != nil {
					readErr <- err
					return
				}
			}
		}
	}()
	defer func() { done.Store(true); <-readErr }()
	var wg sync.WaitGroup
	errs := make(chan error, posters*each)
	for p := range posters {
		wg.Go(func() {
			s := nodes[p%2]
			author := authors[p%len(authors)]
			for i := range each {
				// Walk the topics in opposite orders.
				k := (i + p) % len(topics)
				if p%2 == 1 {
					k = len(topics) - 1 - k
				}
				tp := topics[k]
				m := plainPost(f, tp.ID, author.ID, fmt.Sprintf("p%d-%d", p, i))
				if i%4 == 3 {
					errs <- s.InTx(t.Context(), func(tx chat.Store) error {
						return tx.(*postgres.Store).MessageAppend(t.Context(), &m, chat.EventMessageNew)
					})
					continue
				}
				err := s.TopicPost(t.Context(), &m, chat.EventMessageNew, chat.ReasonTopicMessage)
				if err == nil && (m.ID == 0 || m.Seq == 0 || m.Kind != chat.MessageText) {
					err = fmt.Errorf("TopicPost set id %d seq %d kind %q", m.ID, m.Seq, m.Kind)
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	done.Store(true)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("post: %v", err)
		}
	}
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, tp := range topics {
		ch := chat.TopicChannel(tp.ID)
		n, err := checkPrefix(t, nodes[0], f.Tenant.ID, ch)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		last, err := nodes[0].ChannelLastSeq(t.Context(), f.Tenant.ID, ch)
		storetest.NoErr(t, err, "ChannelLastSeq")
		if last != int64(n) {
			t.Fatalf("%s: last seq %d, %d events", ch, last, n)
		}
		evs, err := nodes[0].ChannelEventsSince(t.Context(), f.Tenant.ID, ch, int64(n-1), 1)
		storetest.NoErr(t, err, "last event")
		got, err := nodes[0].TopicGet(t.Context(), f.Tenant.ID, tp.ID)
		storetest.NoErr(t, err, "TopicGet")
		if got.LastMessageAt == nil || !got.LastMessageAt.Equal(evs[0].Message.CreatedAt) {
			t.Fatalf("%s: last message at %v, want the last message's %v", ch, got.LastMessageAt, evs[0].Message.CreatedAt)
		}
	}
	if total != posters*each {
		t.Fatalf("%d messages stored, want %d", total, posters*each)
	}
	for i, s := range nodes {
		if n := s.TestPostBatchesRefused(); n != 0 {
			t.Fatalf("node %d: %d batch statements refused (deadlock?)", i, n)
		}
		t.Logf("node %d: %d posts shared a batch statement", i, s.TestPostsBatched())
	}
	// Every client id is stored once.
	for p := range posters {
		for i := range each {
			if _, err := nodes[1].MessageByClientID(t.Context(), f.Tenant.ID, authors[p%len(authors)].ID, fmt.Sprintf("p%d-%d", p, i)); err != nil {
				t.Fatalf("message p%d-%d: %v", p, i, err)
			}
		}
	}
}

// A post the author may not read is ENotFound and writes nothing: not a
// member, topic or group inactive, messenger off, another tenant's topic
// (even for a member's id), an unknown topic, a conversation.
func TestTopicPostAccess(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	f := storetest.NewFixture(t, s, "access")
	other := storetest.NewFixture(t, s, "other tenant")
	g := f.NewGroup(t, "g", f.EmployeeA.ID)
	tp := f.NewTopic(t, g.ID, "t")
	ch := chat.TopicChannel(tp.ID)
	cat := f.NewCategory(t, "cat", f.Roles[chat.RoleMessageHandler].ID)
	conv := f.NewConversation(t, cat, f.EmployeeA.ID, "conv")

	post := func(m chat.Message) error {
		return s.TopicPost(ctx, &m, chat.EventMessageNew, chat.ReasonTopicMessage)
	}
	wantNothing := func(what string, m chat.Message) {
		t.Helper()
		storetest.WantCode(t, post(m), chat.ENotFound)
		last, err := s.ChannelLastSeq(ctx, f.Tenant.ID, ch)
		storetest.NoErr(t, err, "ChannelLastSeq")
		if last != 1 {
			t.Fatalf("%s: last seq %d after a refused post, want 1", what, last)
		}
		if _, err := s.MessageByClientID(ctx, m.TenantID, m.AuthorID, m.ClientMsgID); !chat.IsCode(err, chat.ENotFound) {
			t.Fatalf("%s: the refused message was stored (%v)", what, err)
		}
	}
	first := plainPost(f, tp.ID, f.EmployeeA.ID, "ok")
	storetest.NoErr(t, post(first), "member's post")

	wantNothing("not a member", plainPost(f, tp.ID, f.Manager.ID, "nm"))

	tp.Active = false
	storetest.NoErr(t, s.TopicUpdate(ctx, tp), "deactivate topic")
	wantNothing("inactive topic", plainPost(f, tp.ID, f.EmployeeA.ID, "it"))
	tp.Active = true
	storetest.NoErr(t, s.TopicUpdate(ctx, tp), "activate topic")

	g.Active = false
	storetest.NoErr(t, s.GroupUpdate(ctx, g), "deactivate group")
	wantNothing("inactive group", plainPost(f, tp.ID, f.EmployeeA.ID, "ig"))
	g.Active = true
	storetest.NoErr(t, s.GroupUpdate(ctx, g), "activate group")

	tn := f.Tenant
	tn.Settings.MessengerEnabled = false
	storetest.NoErr(t, s.TenantUpdate(ctx, tn), "messenger off")
	wantNothing("messenger off", plainPost(f, tp.ID, f.EmployeeA.ID, "mo"))
	storetest.NoErr(t, s.TenantUpdate(ctx, f.Tenant), "messenger on")

	foreign := plainPost(f, tp.ID, f.EmployeeA.ID, "ft")
	foreign.TenantID = other.Tenant.ID
	wantNothing("other tenant, member's id", foreign)
	foreign = plainPost(f, tp.ID, other.EmployeeA.ID, "fu")
	foreign.TenantID = other.Tenant.ID
	wantNothing("other tenant's user", foreign)

	wantNothing("unknown topic", plainPost(f, tp.ID+1000, f.EmployeeA.ID, "ut"))
	cm := plainPost(f, tp.ID, f.EmployeeA.ID, "cv")
	cm.Channel = chat.ConversationChannel(conv.ID)
	wantNothing("conversation", cm)

	second := plainPost(f, tp.ID, f.EmployeeA.ID, "ok2")
	storetest.NoErr(t, s.TopicPost(ctx, &second, chat.EventMessageNew, chat.ReasonTopicMessage), "post after the refusals")
	if second.Seq != 2 {
		t.Fatalf("seq after refusals = %d, want 2", second.Seq)
	}
}

// A used client id is EConflict and takes no seq; the same id of another
// author is stored. The message is stored as the general path stores it,
// and a topic that emails gets one job per message with the previous
// message's time; one that does not gets none.
func TestTopicPostStoresAndNotifies(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	f := storetest.NewFixture(t, s, "notify")
	g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
	quiet := f.NewTopic(t, g.ID, "quiet")
	loud := f.NewTopic(t, g.ID, "loud")
	loud.EmailNotify = true
	storetest.NoErr(t, s.TopicUpdate(ctx, loud), "email on")

	m := plainPost(f, quiet.ID, f.EmployeeA.ID, "c1")
	storetest.NoErr(t, s.TopicPost(ctx, &m, chat.EventMessageNew, chat.ReasonTopicMessage), "post")
	got, err := s.MessageGet(ctx, f.Tenant.ID, m.ID)
	storetest.NoErr(t, err, "MessageGet")
	if got.Seq != 1 || got.Channel != m.Channel || got.AuthorID != f.EmployeeA.ID || got.Body != m.Body ||
		got.ClientMsgID != "c1" || got.Kind != chat.MessageText || got.Mentions != nil || got.ReplyToID != nil ||
		!got.CreatedAt.Equal(m.CreatedAt) || got.AuthorName != f.EmployeeA.Name {
		t.Fatalf("stored %+v, posted %+v", got, m)
	}
	dup := plainPost(f, quiet.ID, f.EmployeeA.ID, "c1")
	storetest.WantCode(t, s.TopicPost(ctx, &dup, chat.EventMessageNew, chat.ReasonTopicMessage), chat.EConflict)
	elsewhere := plainPost(f, loud.ID, f.EmployeeA.ID, "c1")
	storetest.WantCode(t, s.TopicPost(ctx, &elsewhere, chat.EventMessageNew, chat.ReasonTopicMessage), chat.EConflict)
	for _, tp := range []chat.Topic{quiet, loud} {
		want := int64(0)
		if tp.ID == quiet.ID {
			want = 1
		}
		if last, err := s.ChannelLastSeq(ctx, f.Tenant.ID, chat.TopicChannel(tp.ID)); err != nil || last != want {
			t.Fatalf("topic %s after conflicts: last seq %d, %v; want %d", tp.Name, last, err, want)
		}
	}
	byOther := plainPost(f, quiet.ID, f.Manager.ID, "c1")
	storetest.NoErr(t, s.TopicPost(ctx, &byOther, chat.EventMessageNew, chat.ReasonTopicMessage), "another author's c1")
	if byOther.Seq != 2 {
		t.Fatalf("another author's seq = %d, want 2", byOther.Seq)
	}

	l1 := plainPost(f, loud.ID, f.EmployeeA.ID, "l1")
	storetest.NoErr(t, s.TopicPost(ctx, &l1, chat.EventMessageNew, chat.ReasonTopicMessage), "loud 1")
	l2 := plainPost(f, loud.ID, f.Manager.ID, "l2")
	l2.CreatedAt = l1.CreatedAt.Add(time.Second)
	storetest.NoErr(t, s.TopicPost(ctx, &l2, chat.EventMessageNew, chat.ReasonTopicMessage), "loud 2")

	// Due times before claiming (a claim moves them to the lease's end).
	due := map[int64]time.Time{}
	rows, err := s.Pool().Query(ctx, "SELECT message_id, due_at FROM notify_jobs")
	storetest.NoErr(t, err, "due times")
	for rows.Next() {
		var id int64
		var at time.Time
		storetest.NoErr(t, rows.Scan(&id, &at), "scan")
		due[id] = at
	}
	storetest.NoErr(t, rows.Err(), "due times")
	if len(due) != 2 || !due[l1.ID].Equal(l1.CreatedAt) || !due[l2.ID].Equal(l2.CreatedAt) {
		t.Fatalf("jobs due %v; want message %d at %v and %d at %v", due, l1.ID, l1.CreatedAt, l2.ID, l2.CreatedAt)
	}
	jobs, err := s.NotifyJobClaim(ctx, storetest.Now().Add(time.Hour), storetest.Now().Add(2*time.Hour), 100)
	storetest.NoErr(t, err, "NotifyJobClaim")
	if len(jobs) != 2 {
		t.Fatalf("got %d jobs, want 2 (the loud topic's): %+v", len(jobs), jobs)
	}
	byMsg := map[int64]chat.NotifyJob{}
	for _, j := range jobs {
		byMsg[j.MessageID] = j
	}
	j1, j2 := byMsg[l1.ID], byMsg[l2.ID]
	for _, j := range []chat.NotifyJob{j1, j2} {
		if j.TenantID != f.Tenant.ID || j.Reason != chat.ReasonTopicMessage || j.Channel != chat.TopicChannel(loud.ID) || j.UserID != 0 {
			t.Fatalf("job %+v", j)
		}
	}
	if j1.PrevMessageAt != nil {
		t.Fatalf("first job %+v: want no previous message", j1)
	}
	if j2.PrevMessageAt == nil || !j2.PrevMessageAt.Equal(l1.CreatedAt) {
		t.Fatalf("second job %+v: want previous message at %v", j2, l1.CreatedAt)
	}
	lt, err := s.TopicGet(ctx, f.Tenant.ID, loud.ID)
	storetest.NoErr(t, err, "TopicGet")
	if lt.LastMessageAt == nil || !lt.LastMessageAt.Equal(l2.CreatedAt) || lt.LastSeq != 2 {
		t.Fatalf("loud topic %+v: want last message at %v, seq 2", lt, l2.CreatedAt)
	}
}
