package sqlite

import (
	"context"
	"parley/storage/sqlerr"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

// TopicPostBatch implements chat.Store: one IMMEDIATE transaction on the
// single writer, one commit (one WAL sync) for the whole batch. Each post
// is decided in Go by chat.TopicReadAccess.Allows from TopicAccess read
// inside the transaction, which holds the write lock, so no change to
// membership or the topic can come between the check and the commit.
func (s *Store) TopicPostBatch(ctx context.Context, posts []chat.TopicPost) error {
	if len(posts) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ts *Store) error {
		// The statements run without ctx's deadline: they are short,
		// local and under the write lock, and modernc watches a context
		// that can end with a goroutine per statement. ctx still bounds
		// the wait for the writer and is checked before the commit.
		sctx := context.WithoutCancel(ctx)
		for i := range posts {
			if err := ts.topicPost(sctx, &posts[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// topicPost writes one post of a batch, or sets its Err when the post is
// refused; an error fails the batch.
func (s *Store) topicPost(ctx context.Context, p *chat.TopicPost) error {
	m := &p.Message
	if m.Channel.Kind != chat.KindTopic {
		return chat.Errorf(chat.EInvalid, "a topic post to %s", m.Channel)
	}
	t, acc, err := s.TopicAccess(ctx, m.TenantID, m.Channel.ID, m.AuthorID)
	if chat.IsCode(err, chat.ENotFound) || (err == nil && !acc.Allows(t)) {
		p.Err = chat.NotFound("topic")
		return nil
	}
	if err != nil {
		return err
	}
	if m.ClientMsgID != "" {
		// Checked before the seq is taken: in SQLite a failed insert
		// undoes only itself, so the seq would stay taken (a gap).
		used, err := s.write.MessageClientIDUsed(ctx, db.MessageClientIDUsedParams{AuthorID: m.AuthorID, ClientMsgID: &m.ClientMsgID})
		if err != nil {
			return translate(err, "message")
		}
		if used != 0 {
			p.Err = sqlerr.Duplicate(nil, "message", sqlerr.KeyClientMsgID)
			return nil
		}
	}
	m.Kind, m.CreatedAt = chat.MessageText, orNow(m.CreatedAt)
	if m.Seq, err = s.ChannelNextSeq(ctx, m.TenantID, m.Channel); err != nil {
		return err
	}
	if err := s.MessageInsert(ctx, m); err != nil {
		return err
	}
	if err := s.ChannelEventInsert(ctx, m.TenantID, m.Channel, m.Seq, chat.EventMessageNew, m.ID, m.CreatedAt); err != nil {
		return err
	}
	if err := s.TopicTouch(ctx, m.TenantID, t.ID, m.CreatedAt); err != nil {
		return err
	}
	if !t.EmailNotify {
		return nil
	}
	j := chat.TopicJob(t, *m, chat.ReasonTopicMessage)
	return s.NotifyJobEnqueue(ctx, &j)
}
