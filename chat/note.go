package chat

import "context"

// Internal notes: handlers write them inside a support conversation, on
// the conversation's note channel (NoteChannel), for the users who may
// handle it (canReadNotes). A note is a text message of that channel: it
// is posted, edited, deleted, replayed and read like any message, but it
// never changes the conversation (status, last activity, unread count)
// and queues no notification, so that nothing about it reaches the
// customer side, by email or otherwise. docs/conversations.md has the
// rules.

// errNoteMentions refuses mentions in a note: a mention notifies, and a
// note notifies nobody.
var errNoteMentions = Errorf(EInvalid, "an internal note cannot mention anyone")

// notePosted runs in the posting transaction of a note: the author has
// read their own note; nothing else changes.
func (s *MessageService) notePosted(ctx context.Context, st Store, p *Principal, m *Message) ([]Event, error) {
	_, err := st.ReadStateSet(ctx, p.TenantID, p.UserID, m.Channel, m.Seq)
	return nil, err
}
