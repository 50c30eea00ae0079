package chat

import "context"

// messageAppendStore is a Store that stores a new message in one statement
// (PostgreSQL): next seq, message, its channel event and, for a topic, the
// topic's message time (TopicTouch). It runs for every published message.
// The seq must stay gap-free and commit-ordered, as with ChannelNextSeq.
type messageAppendStore interface {
	MessageAppend(ctx context.Context, m *Message, typ EventType) error
}

// appendMessage stores m with the channel's next seq and a typ event about
// it, setting m.Seq and m.ID. touched reports that the store also recorded
// a topic's message time.
func appendMessage(ctx context.Context, st Store, m *Message, typ EventType) (touched bool, err error) {
	if as, ok := st.(messageAppendStore); ok {
		if err := as.MessageAppend(ctx, m, typ); err != nil {
			return false, err
		}
		return m.Channel.Kind == KindTopic, nil
	}
	seq, err := st.ChannelNextSeq(ctx, m.TenantID, m.Channel)
	if err != nil {
		return false, err
	}
	m.Seq = seq
	if err := st.MessageInsert(ctx, m); err != nil {
		return false, err
	}
	return false, st.ChannelEventInsert(ctx, m.TenantID, m.Channel, seq, typ, m.ID, m.CreatedAt)
}

// topicPostStore is a Store that posts a plain text message to a topic in
// one statement (PostgreSQL), outside any explicit transaction: the read
// check of topicForRead, appendMessage and the topic's notification job
// (topicPosted: the topic's message time, and a job with emailReason when
// the topic emails). It is the common publish and must decide exactly as
// the general path does; the general path serves everything else
// (attachments, replies, mentions, conversations, SQLite).
// Errors: ENotFound when the author may not read the topic, EConflict for
// a used client id; nothing is stored then.
type topicPostStore interface {
	TopicPost(ctx context.Context, m *Message, typ EventType, emailReason NotifyReason) error
}

// plainTopicPost reports whether in can take the one-statement path: a
// topic post with nothing that needs checks of its own.
func plainTopicPost(in PublishInput) bool {
	return in.Channel.Kind == KindTopic && in.ReplyToID == nil && len(in.AttachmentIDs) == 0 && len(in.Mentions) == 0
}
