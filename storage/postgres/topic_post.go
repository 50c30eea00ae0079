package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

// Group commit of topic posts: concurrent TopicPost calls on one Store (one
// node) share one statement, so one transaction, one commit and one round
// trip. A post runs at once while fewer than maxPostBatches statements are
// in flight; otherwise it waits, and the first waiter leads the next batch
// with what queued meanwhile (one post per topic, see next). Nothing waits
// for a timer: at low rates every post is alone, under load batches grow
// with the queue.
const (
	maxPostBatches = 2
	maxPostBatch   = 64
	// postBatchTimeout bounds a batch statement. It does not follow the
	// leader's context: the other posts of the batch must not fail because
	// one client went away.
	postBatchTimeout = 10 * time.Second
)

type topicPoster struct {
	mu       sync.Mutex
	inflight int // batch statements running
	pending  []*postReq
	// refused counts batch statements the server refused (their posts
	// ran alone); tests expect none without used client ids.
	refused atomic.Int64
	batched atomic.Int64 // posts that shared a statement
}

type postReq struct {
	arg  db.TopicPostParams
	done chan postRes // buffered; written once
}

type postRes struct {
	id, seq int64
	err     error
	// lead hands its first post the next batch to run.
	lead []*postReq
	// alone: the batch statement failed in the server, so it wrote
	// nothing; the post runs by itself.
	alone bool
}

// join reports whether r may run now (as a batch of its own); otherwise r
// is queued.
func (p *topicPoster) join(r *postReq) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight < maxPostBatches {
		p.inflight++
		return true
	}
	p.pending = append(p.pending, r)
	return false
}

// next takes the queued posts as the next batch, at most one per topic, or
// frees the batch slot when none are queued. One per topic: posts of one
// batch commit together and are then published by their callers in any
// order, and a hub that sees a topic's seqs out of order reads the gap from
// the database; a topic's next post commits in a later statement, as
// without batches.
func (p *topicPoster) next() []*postReq {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) == 0 {
		p.inflight--
		return nil
	}
	var b []*postReq
	in := make(map[int64]bool)
	rest := p.pending[:0] // filtered in place, order kept
	for _, r := range p.pending {
		if len(b) < maxPostBatch && !in[r.arg.TopicID] {
			in[r.arg.TopicID] = true
			b = append(b, r)
		} else {
			rest = append(rest, r)
		}
	}
	clear(p.pending[len(rest):])
	p.pending = rest
	return b
}

// post stores arg through a batch and returns its id and seq.
func (s *Store) post(ctx context.Context, arg db.TopicPostParams) (id, seq int64, err error) {
	r := &postReq{arg: arg, done: make(chan postRes, 1)}
	var res postRes
	if s.poster.join(r) {
		res = s.runPosts(ctx, []*postReq{r})
	} else {
		// A queued post is always answered: by its batch's leader, or by
		// becoming a leader. Its own context is not watched, so that it
		// cannot leave a batch that may already have stored it.
		res = <-r.done
		if res.lead != nil {
			res = s.runPosts(ctx, res.lead)
		}
	}
	if res.alone {
		r, err := s.q.TopicPost(ctx, arg)
		return r.ID, r.Seq, err
	}
	return res.id, res.seq, res.err
}

// runPosts runs batch (batch[0] is the caller's post), answers the others,
// hands the next batch on, and returns the caller's result.
func (s *Store) runPosts(ctx context.Context, batch []*postReq) postRes {
	var own postRes
	if len(batch) == 1 {
		r, err := s.q.TopicPost(ctx, batch[0].arg)
		own = postRes{id: r.ID, seq: r.Seq, err: err}
	} else {
		res := s.postBatch(ctx, batch)
		for i, r := range batch[1:] {
			r.done <- res[i+1]
		}
		own = res[0]
	}
	if nb := s.poster.next(); nb != nil {
		nb[0].done <- postRes{lead: nb}
	}
	return own
}

// postBatch runs TopicPostBatch and returns the result of each post.
func (s *Store) postBatch(ctx context.Context, batch []*postReq) []postRes {
	n := len(batch)
	arg := db.TopicPostBatchParams{
		TenantIds: make([]int64, n), TopicIds: make([]int64, n), AuthorIds: make([]int64, n),
		ClientMsgIds: make([]string, n), Bodies: make([]string, n), CreatedAts: make([]time.Time, n),
		EventTypes: make([]string, n), EmailReasons: make([]string, n), JobCreatedAt: batch[0].arg.JobCreatedAt,
	}
	for i, r := range batch {
		a := r.arg
		arg.TenantIds[i], arg.TopicIds[i], arg.AuthorIds[i], arg.Bodies[i], arg.CreatedAts[i] =
			a.TenantID, a.TopicID, a.AuthorID, a.Body, a.CreatedAt
		arg.EventTypes[i], arg.EmailReasons[i] = a.EventType, a.EmailReason
		if a.ClientMsgID != nil {
			arg.ClientMsgIds[i] = *a.ClientMsgID
		}
	}
	s.poster.batched.Add(int64(n))
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postBatchTimeout)
	defer cancel()
	rows, err := s.q.TopicPostBatch(bctx, arg)
	out := make([]postRes, n)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		// The server refused the statement (a used client id, a
		// deadlock victim, ...): its transaction wrote nothing, so each
		// post can run alone and get its own answer.
		s.poster.refused.Add(1)
		if pe.Code != "23505" { // a retry's client id is routine
			s.log.Warn().Err(err).Int("posts", n).Msg("topic post batch refused; posting one by one")
		}
		for i := range out {
			out[i].alone = true
		}
		return out
	case err != nil:
		// Whether it committed is unknown: a retry could store twice.
		for i := range out {
			out[i].err = err
		}
		return out
	}
	for i := range out {
		out[i].err = chat.NotFound("topic")
	}
	for _, r := range rows {
		out[r.Ord-1] = postRes{id: r.ID, seq: r.Seq}
	}
	return out
}
