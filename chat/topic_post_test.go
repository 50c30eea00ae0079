package chat_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/chat"
)

// jobsOf claims every queued notification job of the world's store.
func jobsOf(t *testing.T, w *coreWorld) map[int64]chat.NotifyJob {
	t.Helper()
	far := w.clock.Now().Add(24 * time.Hour)
	jobs, err := w.f.Store.NotifyJobClaim(t.Context(), far, far.Add(time.Hour), 1000)
	coreNoErr(t, err, "NotifyJobClaim")
	out := map[int64]chat.NotifyJob{}
	for _, j := range jobs {
		out[j.MessageID] = j
	}
	return out
}

// A plain topic post (one statement on PostgreSQL) and one with a mention
// (the general path) queue the same notification work on both engines: a
// topic that emails gets a topic_message job with the previous message's
// time; a quiet topic gets a job only for a mention.
func TestPublishTopicNotificationJobs(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ctx := w.as(t, w.member)
		quiet := chat.TopicChannel(w.topic.ID)
		loudTopic := w.f.NewTopic(t, w.topic.GroupID, "loud")
		loudTopic.EmailNotify = true
		coreNoErr(t, w.f.Store.TopicUpdate(t.Context(), loudTopic), "email on")
		loud := chat.TopicChannel(loudTopic.ID)

		q1, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: quiet, Body: "plain"})
		coreNoErr(t, err, "quiet plain")
		w.clock.Advance(time.Second)
		q2, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: quiet, Body: "hey", Mentions: []int64{w.other.ID}})
		coreNoErr(t, err, "quiet mention")
		w.clock.Advance(time.Second)
		l1, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: loud, Body: "first"})
		coreNoErr(t, err, "loud plain")
		w.clock.Advance(time.Second)
		l2, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: loud, Body: "second", ClientMsgID: "l2"})
		coreNoErr(t, err, "loud plain again")
		w.clock.Advance(time.Second)
		l3, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: loud, Body: "third", Mentions: []int64{w.other.ID}})
		coreNoErr(t, err, "loud mention")

		if q1.Seq != 1 || q2.Seq != 2 || l1.Seq != 1 || l2.Seq != 2 || l3.Seq != 3 {
			t.Fatalf("seqs %d %d / %d %d %d", q1.Seq, q2.Seq, l1.Seq, l2.Seq, l3.Seq)
		}
		jobs := jobsOf(t, w)
		if len(jobs) != 4 {
			t.Fatalf("got %d jobs, want 4: %+v", len(jobs), jobs)
		}
		if _, ok := jobs[q1.ID]; ok {
			t.Fatalf("a plain post to a quiet topic queued a job")
		}
		for _, tc := range []struct {
			m      chat.Message
			reason chat.NotifyReason
			prev   *time.Time
		}{
			{q2, chat.ReasonMention, &q1.CreatedAt},
			{l1, chat.ReasonTopicMessage, nil},
			{l2, chat.ReasonTopicMessage, &l1.CreatedAt},
			{l3, chat.ReasonTopicMessage, &l2.CreatedAt},
		} {
			j, ok := jobs[tc.m.ID]
			if !ok {
				t.Fatalf("no job for %q", tc.m.Body)
			}
			samePrev := (j.PrevMessageAt == nil) == (tc.prev == nil) && (tc.prev == nil || j.PrevMessageAt.Equal(*tc.prev))
			// (The claim moved DueAt to the lease's end.)
			if j.Reason != tc.reason || j.Channel != tc.m.Channel || !samePrev {
				t.Fatalf("job for %q = %+v; want reason %s, previous %v", tc.m.Body, j, tc.reason, tc.prev)
			}
		}
		for _, tc := range []struct {
			ch   chat.Channel
			last chat.Message
		}{{quiet, q2}, {loud, l3}} {
			tp, err := w.f.Store.TopicGet(t.Context(), w.f.Tenant.ID, tc.ch.ID)
			coreNoErr(t, err, "TopicGet")
			if tp.LastMessageAt == nil || !tp.LastMessageAt.Equal(tc.last.CreatedAt) || tp.LastSeq != tc.last.Seq {
				t.Fatalf("%s: last message at %v seq %d; want %v seq %d", tc.ch, tp.LastMessageAt, tp.LastSeq, tc.last.CreatedAt, tc.last.Seq)
			}
		}
		evs := w.pub.of(chat.EventMessageNew)
		if len(evs) != 5 {
			t.Fatalf("published %d message.new events, want 5", len(evs))
		}
		for _, ev := range evs {
			m := ev.Data.(chat.Message)
			if ev.Seq != m.Seq || m.AuthorName != w.member.Name || m.Kind != chat.MessageText || m.ID == 0 {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}

// Every state that hides a topic refuses a plain post with ENotFound and
// stores nothing, on both engines; a retry of a message stored before the
// author lost access still answers with the original.
func TestPublishTopicRefusals(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ctx := w.as(t, w.member)
		ch := chat.TopicChannel(w.topic.ID)
		st := w.f.Store
		orig, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "before", ClientMsgID: "keep"})
		coreNoErr(t, err, "publish")

		refused := func(what string) {
			t.Helper()
			_, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "x", ClientMsgID: "refused-" + what})
			if !chat.IsCode(err, chat.ENotFound) {
				t.Fatalf("%s: got %v, want not_found", what, err)
			}
			again, dup, err := w.svc.Messages.PublishDedup(ctx, chat.PublishInput{Channel: ch, Body: "before", ClientMsgID: "keep"})
			if err != nil || !dup || again.ID != orig.ID || again.Seq != orig.Seq {
				t.Fatalf("%s: retry = %+v dup %v err %v; want the original %d", what, again, dup, err, orig.ID)
			}
			last, err := st.ChannelLastSeq(t.Context(), w.f.Tenant.ID, ch)
			coreNoErr(t, err, "ChannelLastSeq")
			if last != 1 {
				t.Fatalf("%s: last seq %d, want 1", what, last)
			}
		}

		tp := w.topic
		tp.Active = false
		coreNoErr(t, st.TopicUpdate(t.Context(), tp), "deactivate topic")
		refused("inactive topic")
		coreNoErr(t, st.TopicUpdate(t.Context(), w.topic), "activate topic")

		g, err := st.GroupGet(t.Context(), w.f.Tenant.ID, w.topic.GroupID)
		coreNoErr(t, err, "GroupGet")
		g.Active = false
		coreNoErr(t, st.GroupUpdate(t.Context(), g), "deactivate group")
		refused("inactive group")
		g.Active = true
		coreNoErr(t, st.GroupUpdate(t.Context(), g), "activate group")

		tn := w.f.Tenant
		tn.Settings.MessengerEnabled = false
		coreNoErr(t, st.TenantUpdate(t.Context(), tn), "messenger off")
		refused("messenger off")
		coreNoErr(t, st.TenantUpdate(t.Context(), w.f.Tenant), "messenger on")

		coreNoErr(t, st.GroupSetMembers(t.Context(), w.f.Tenant.ID, g.ID, []int64{w.other.ID}), "remove member")
		refused("removed member")
		coreNoErr(t, st.GroupSetMembers(t.Context(), w.f.Tenant.ID, g.ID, []int64{w.member.ID, w.other.ID}), "add member back")

		m, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "after"})
		coreNoErr(t, err, "publish after the refusals")
		if m.Seq != 2 {
			t.Fatalf("seq after the refusals = %d, want 2", m.Seq)
		}
	})
}

// Concurrent plain posts, retries of them and posts through the general
// path (mentions) to one topic: every message stored once with gap-free
// seqs, every retry answered with its original, one event per message.
func TestPublishTopicConcurrentRetries(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		const posters, each = 4, 12
		type result struct {
			key string
			m   chat.Message
			dup bool
			err error
		}
		results := make(chan result, posters*each*2)
		var wg sync.WaitGroup
		for p := range posters {
			wg.Go(func() {
				u := []chat.User{w.member, w.other}[p%2]
				ctx := w.as(t, u)
				for i := range each {
					in := chat.PublishInput{Channel: ch, Body: fmt.Sprint("m ", p, i), ClientMsgID: fmt.Sprintf("p%d-%d", p, i)}
					if i%3 == 2 {
						in.Mentions = []int64{w.f.Admin.ID}
					}
					key := fmt.Sprint(u.ID, "/", in.ClientMsgID)
					// Each message is sent twice, as a client that missed
					// the ack would.
					for range 2 {
						m, dup, err := w.svc.Messages.PublishDedup(ctx, in)
						results <- result{key, m, dup, err}
					}
				}
			})
		}
		wg.Wait()
		close(results)
		byKey := map[string]chat.Message{}
		for r := range results {
			if r.err != nil {
				t.Fatalf("%s: %v", r.key, r.err)
			}
			first, seen := byKey[r.key]
			switch {
			case !seen && r.dup:
				t.Fatalf("%s: the first answer is a duplicate", r.key)
			case seen && (!r.dup || first.ID != r.m.ID || first.Seq != r.m.Seq):
				t.Fatalf("%s: retry %+v (dup %v), original %+v", r.key, r.m, r.dup, first)
			}
			byKey[r.key] = r.m
		}
		const n = posters * each
		if len(byKey) != n {
			t.Fatalf("%d messages, want %d", len(byKey), n)
		}
		w.wantGapFreeReplay(t, ch, n)
		// Each retry published the stored event again (its first publish
		// may never have happened), with the original seq and message.
		pubs := w.pub.of(chat.EventMessageNew)
		bySeq := map[int64]int64{}
		for _, ev := range pubs {
			m := ev.Data.(chat.Message)
			if id, ok := bySeq[ev.Seq]; ok && id != m.ID {
				t.Fatalf("seq %d published as messages %d and %d", ev.Seq, id, m.ID)
			}
			bySeq[ev.Seq] = m.ID
		}
		if len(pubs) != 2*n || len(bySeq) != n {
			t.Fatalf("published %d message.new events of %d seqs, want %d of %d (each retry once more)", len(pubs), len(bySeq), 2*n, n)
		}
	})
}

// gatedStore records the size of every TopicPostBatch call and holds the
// first one until release is closed.
type gatedStore struct {
	chat.Store
	entered, release chan struct{}
	mu               sync.Mutex
	batches          []int
}

func (g *gatedStore) TopicPostBatch(ctx context.Context, posts []chat.TopicPost) error {
	g.mu.Lock()
	g.batches = append(g.batches, len(posts))
	first := len(g.batches) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.release
	}
	return g.Store.TopicPostBatch(ctx, posts)
}

// Concurrent plain posts on a node share batches (group commit): while one
// batch commits, the posts that arrive queue and go together in the next,
// at most one per topic per batch, so that each topic's seqs reach the
// broker in order. Every post is stored once, with gap-free seqs, and
// published after its commit.
func TestPlainPostsShareBatches(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		g := &gatedStore{Store: w.f.Store, entered: make(chan struct{}), release: make(chan struct{})}
		svc := chat.NewService(chat.Config{Store: g, Publisher: w.pub, Clock: w.clock, PostBatches: 1})
		ctx := w.as(t, w.member)
		const topics = 4
		chs := []chat.Channel{chat.TopicChannel(w.topic.ID)}
		for i := 1; i < topics; i++ {
			chs = append(chs, chat.TopicChannel(w.f.NewTopic(t, w.topic.GroupID, fmt.Sprint("batch ", i)).ID))
		}

		var wg sync.WaitGroup
		errs := make(chan error, 1+2*topics)
		post := func(ch chat.Channel, body string) {
			wg.Go(func() {
				_, err := svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: body, ClientMsgID: body})
				errs <- err
			})
		}
		post(chs[0], "first") // the batch that holds the store
		<-g.entered
		for round := range 2 {
			for i, ch := range chs {
				post(ch, fmt.Sprintf("r%d-t%d", round, i))
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for svc.QueuedPosts() < 2*topics {
			if time.Now().After(deadline) {
				t.Fatalf("only %d posts queued", svc.QueuedPosts())
			}
			time.Sleep(time.Millisecond)
		}
		close(g.release)
		wg.Wait()
		close(errs)
		for err := range errs {
			coreNoErr(t, err, "publish")
		}

		g.mu.Lock()
		batches := slices.Clone(g.batches)
		g.mu.Unlock()
		if want := []int{1, topics, topics}; !slices.Equal(batches, want) {
			t.Fatalf("batch sizes %v, want %v", batches, want)
		}
		for i, ch := range chs {
			evs, _, err := svc.Messages.Events(ctx, ch, 0, 10)
			coreNoErr(t, err, "events")
			want := 2
			if i == 0 {
				want = 3
			}
			if len(evs) != want {
				t.Fatalf("%s: %d events, want %d", ch, len(evs), want)
			}
			for k, ev := range evs {
				if ev.Seq != int64(k+1) || ev.Message.Seq != ev.Seq {
					t.Fatalf("%s: event %d has seq %d (message %d)", ch, k, ev.Seq, ev.Message.Seq)
				}
			}
		}
		if n := len(w.pub.of(chat.EventMessageNew)); n != 1+2*topics {
			t.Fatalf("published %d message.new events, want %d", n, 1+2*topics)
		}
	})
}
