package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

// TopicPostBatch implements chat.Store: the whole batch is one statement
// (TopicPostBatch in sql/postgres/queries/message.sql), so one implicit
// transaction, one commit and one round trip.
func (s *Store) TopicPostBatch(ctx context.Context, posts []chat.TopicPost) error {
	if len(posts) == 0 {
		return nil
	}
	err := s.topicPostStatement(ctx, posts)
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) || s.tx != nil || outage(err) {
		// A server going away refuses the single posts as well.
		return translate(err, "topic")
	}
	// The server refused the statement (a used client id, a deadlock
	// victim, ...), so it wrote nothing: each post runs alone and gets its
	// own answer.
	s.postsRefused.Add(1)
	if pe.Code != "23505" && len(posts) > 1 { // a retry's client id is routine
		s.log.Warn().Err(err).Int("posts", len(posts)).Msg("topic post batch refused; posting one by one")
	}
	if len(posts) == 1 {
		posts[0].Err = translate(err, "topic")
		return nil
	}
	for i := range posts {
		if err := s.topicPostStatement(ctx, posts[i:i+1]); err != nil {
			posts[i].Err = translate(err, "topic")
		}
	}
	return nil
}

// topicPostStatement runs the batch statement and fills in the posts'
// outcomes; an error is the statement's.
func (s *Store) topicPostStatement(ctx context.Context, posts []chat.TopicPost) error {
	n := len(posts)
	arg := db.TopicPostBatchParams{
		TenantIds: make([]int64, n), TopicIds: make([]int64, n), AuthorIds: make([]int64, n),
		ClientMsgIds: make([]string, n), Bodies: make([]string, n), CreatedAts: make([]time.Time, n),
		EventType: string(chat.EventMessageNew), EmailReason: string(chat.ReasonTopicMessage),
		JobCreatedAt: orNow(time.Time{}), // as NotifyJobEnqueue
	}
	for i := range posts {
		m := &posts[i].Message
		if m.Channel.Kind != chat.KindTopic {
			return errorf(chat.EInvalid, "a topic post to %s", m.Channel)
		}
		m.CreatedAt = orNow(m.CreatedAt)
		arg.TenantIds[i], arg.TopicIds[i], arg.AuthorIds[i] = m.TenantID, m.Channel.ID, m.AuthorID
		arg.ClientMsgIds[i], arg.Bodies[i], arg.CreatedAts[i] = m.ClientMsgID, m.Body, m.CreatedAt
	}
	s.postStatements.Add(1)
	rows, err := s.q.TopicPostBatch(ctx, arg)
	if err != nil {
		return err
	}
	for i := range posts {
		posts[i].Err = chat.NotFound("topic")
	}
	for _, r := range rows {
		p := &posts[r.Ord-1]
		p.Err, p.Message.ID, p.Message.Seq, p.Message.Kind = nil, r.ID, r.Seq, chat.MessageText
	}
	return nil
}
