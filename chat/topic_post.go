package chat

import (
	"context"
	"sync"
	"time"
)

// TopicPost is one plain text message for Store.TopicPostBatch.
type TopicPost struct {
	// Message is the post: TenantID, Channel (a topic), AuthorID,
	// ClientMsgID, Body and CreatedAt in; ID, Seq and Kind out.
	Message Message
	// Err is the post's outcome: nil (stored), ENotFound (the author may
	// not read the topic) or EConflict (a used client id).
	Err error
}

// plainTopicPost reports whether in is a plain topic post, which goes
// through group commit: nothing in it needs checks of its own (mentions,
// a reply, attachments) and its only notification work is the topic's
// email, so the store can decide and write it alone.
func plainTopicPost(in PublishInput) bool {
	return in.Channel.Kind == KindTopic && in.ReplyToID == nil && len(in.AttachmentIDs) == 0 && len(in.Mentions) == 0
}

// Group commit of plain topic posts: concurrent posts on a node share one
// Store.TopicPostBatch call, so one transaction and one commit (one fsync
// on SQLite, one round trip on PostgreSQL). A post runs at once while
// fewer than Config.PostBatches batches are in flight; otherwise it queues, and
// the first queued post leads the next batch with what queued meanwhile.
// Nothing waits for a timer: at low rates every post is alone, under load
// batches grow with the queue.
const (
	// maxPostBatch bounds a batch. At 64, SQLite fell behind at 3,000
	// posts/s on two cores (a queue formed and stayed); at 256 it held.
	maxPostBatch = 256
	// postBatchTimeout bounds a batch. It does not follow the leader's
	// context: the other posts of the batch must not fail because one
	// client went away.
	postBatchTimeout = 10 * time.Second
)

// topicPoster queues posts into batches.
type topicPoster struct {
	maxBatches int // in flight at once
	mu         sync.Mutex
	inflight   int // batches running
	pending    []*postReq
}

type postReq struct {
	post TopicPost
	done chan postRes // buffered; written once
}

type postRes struct {
	post TopicPost
	err  error // the batch's error
	// lead hands the first post of the next batch the batch to run.
	lead []*postReq
}

// join reports whether r may run now (as a batch of its own); otherwise r
// is queued.
func (q *topicPoster) join(r *postReq) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inflight < q.maxBatches {
		q.inflight++
		return true
	}
	q.pending = append(q.pending, r)
	return false
}

// next takes the queued posts as the next batch, at most one per topic, or
// frees the batch slot when none are queued. One per topic: the posts of a
// batch commit together and their callers then publish them in any order;
// a topic's next post commits in a later batch, so its seqs reach the
// broker in order as without batches (a hub that sees a gap reads it from
// the database anyway).
func (q *topicPoster) next() []*postReq {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		q.inflight--
		return nil
	}
	var b []*postReq
	in := make(map[Channel]bool)
	rest := q.pending[:0] // filtered in place, order kept
	for _, r := range q.pending {
		if ch := r.post.Message.Channel; len(b) < maxPostBatch && !in[ch] {
			in[ch] = true
			b = append(b, r)
		} else {
			rest = append(rest, r)
		}
	}
	clear(q.pending[len(rest):])
	q.pending = rest
	return b
}

// post stores p through a batch and returns it with its outcome.
func (q *topicPoster) post(ctx context.Context, st Store, p TopicPost) (TopicPost, error) {
	r := &postReq{post: p, done: make(chan postRes, 1)}
	var res postRes
	if q.join(r) {
		res = q.run(ctx, st, []*postReq{r})
	} else {
		// A queued post is always answered: by its batch's leader, or by
		// becoming a leader. Its own context is not watched, so that it
		// cannot leave a batch that may already have stored it.
		res = <-r.done
		if res.lead != nil {
			res = q.run(ctx, st, res.lead)
		}
	}
	return res.post, res.err
}

// run stores batch (batch[0] is the caller's), answers the others, hands
// the next batch on, and returns the caller's result.
func (q *topicPoster) run(ctx context.Context, st Store, batch []*postReq) postRes {
	posts := make([]TopicPost, len(batch))
	for i, r := range batch {
		posts[i] = r.post
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postBatchTimeout)
	err := st.TopicPostBatch(bctx, posts)
	cancel()
	for i, r := range batch[1:] {
		r.done <- postRes{post: posts[i+1], err: err}
	}
	if nb := q.next(); nb != nil {
		nb[0].done <- postRes{lead: nb}
	}
	return postRes{post: posts[0], err: err}
}
