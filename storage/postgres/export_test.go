package postgres

import (
	"context"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

// Hooks for the tests of the topic post batches (topic_post_batch_test.go).

type TestPostReq = postReq

// NewTestPost is the queued form of TopicPost(m, message.new, topic_message).
func NewTestPost(m chat.Message) *TestPostReq {
	arg := db.TopicPostParams{TenantID: m.TenantID, TopicID: m.Channel.ID, AuthorID: m.AuthorID, Body: m.Body,
		CreatedAt: m.CreatedAt, EventType: string(chat.EventMessageNew), EmailReason: string(chat.ReasonTopicMessage),
		JobCreatedAt: m.CreatedAt}
	if m.ClientMsgID != "" {
		arg.ClientMsgID = &m.ClientMsgID
	}
	return &postReq{arg: arg, done: make(chan postRes, 1)}
}

type TestPostResult struct {
	ID, Seq int64
	Err     error
	Alone   bool
}

// TestPostBatch runs one batch statement.
func (s *Store) TestPostBatch(ctx context.Context, batch []*TestPostReq) []TestPostResult {
	var out []TestPostResult
	for _, r := range s.postBatch(ctx, batch) {
		if r.lead != nil {
			panic("a batch result hands on a batch")
		}
		out = append(out, TestPostResult{ID: r.id, Seq: r.seq, Err: translate(r.err, "topic"), Alone: r.alone})
	}
	return out
}

// TestHoldPostSlots takes every batch slot, as running batches would.
func (s *Store) TestHoldPostSlots() {
	s.poster.mu.Lock()
	s.poster.inflight += maxPostBatches
	s.poster.mu.Unlock()
}

// TestReleasePostSlots ends the held slots as finished batches do: each
// hands the queue on.
func (s *Store) TestReleasePostSlots() {
	for range maxPostBatches {
		if nb := s.poster.next(); nb != nil {
			nb[0].done <- postRes{lead: nb}
		}
	}
}

// TestPosterState returns the batches in flight and the queued posts.
func (s *Store) TestPosterState() (inflight, queued int) {
	s.poster.mu.Lock()
	defer s.poster.mu.Unlock()
	return s.poster.inflight, len(s.poster.pending)
}

// TestPostBatchesRefused counts batch statements the server refused.
func (s *Store) TestPostBatchesRefused() int64 { return s.poster.refused.Load() }

// TestPostsBatched counts posts that shared a batch statement.
func (s *Store) TestPostsBatched() int64 { return s.poster.batched.Load() }
