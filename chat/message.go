package chat

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Replay page bounds for Events and History.
const (
	DefaultReplayPage = 200
	MaxReplayPage     = 500
)

func clampPage(limit int) int {
	if limit <= 0 {
		return DefaultReplayPage
	}
	return min(limit, MaxReplayPage)
}

// validateBody checks a message body: UTF-8, bounded, not blank unless
// attachments carry the message.
func validateBody(body string, attachments int) (string, error) {
	if !utf8.ValidString(body) {
		return "", Errorf(EInvalid, "message is not valid UTF-8")
	}
	if len(body) > MaxBodyBytes {
		return "", Errorf(ETooLarge, "message is longer than %d bytes", MaxBodyBytes)
	}
	if strings.TrimSpace(body) == "" && attachments == 0 {
		return "", Errorf(EInvalid, "message is empty")
	}
	return body, nil
}

// Authorize reports whether the caller may read and subscribe to ch.
// Invisible channels answer ENotFound. Errors: EUnauthenticated, ENotFound.
func (s *MessageService) Authorize(ctx context.Context, ch Channel) error {
	return s.authorize(ctx, ch)
}

// authorize is Authorize for every service that acts on a thread.
func (s *core) authorize(ctx context.Context, ch Channel) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	_, err = s.threadFor(ctx, s.store, p, ch)
	return err
}

// thread is a persisted channel the caller may read, with what posting to
// it needs to know.
type thread struct {
	ch    Channel
	topic *Topic
	conv  *Conversation
	// note: ch is the internal notes of conv (KindNote).
	note bool
}

// threadFor loads ch for p, or ENotFound when p may not read it.
func (s *core) threadFor(ctx context.Context, st Store, p *Principal, ch Channel) (thread, error) {
	switch ch.Kind {
	case KindUser:
		if ch.ID != p.UserID {
			return thread{}, NotFound("channel")
		}
		return thread{ch: ch}, nil
	case KindTopic:
		t, err := s.topicForRead(ctx, st, p, ch.ID)
		if err != nil {
			return thread{}, err
		}
		return thread{ch: ch, topic: &t}, nil
	case KindConversation:
		c, err := s.conversationForRead(ctx, st, p, ch.ID)
		if err != nil {
			return thread{}, err
		}
		return thread{ch: ch, conv: &c}, nil
	case KindNote:
		c, err := s.notesForRead(ctx, st, p, ch.ID)
		if err != nil {
			return thread{}, err
		}
		return thread{ch: ch, conv: &c, note: true}, nil
	}
	return thread{}, NotFound("channel")
}

// Publish stores a new message and delivers it live after commit. A retry
// with the same ClientMsgID returns the original message. Errors:
// EUnauthenticated, ENotFound, EForbidden, EInvalid, ETooLarge, EConflict.
func (s *MessageService) Publish(ctx context.Context, in PublishInput) (Message, error) {
	m, _, err := s.PublishDedup(ctx, in)
	return m, err
}

// PublishDedup is Publish that also reports whether the message was stored
// by an earlier attempt with the same ClientMsgID (the hub acknowledges
// such a retry with duplicate: true). Such a retry publishes the stored
// message's message.new event again, with its seq: the earlier attempt may
// have committed and died before publishing.
func (s *MessageService) PublishDedup(ctx context.Context, in PublishInput) (Message, bool, error) {
	m, err := s.publishMessage(ctx, in)
	if errors.Is(err, errDuplicate) {
		return m, true, nil
	}
	return m, false, err
}

// errDuplicate marks a publish answered with the original message.
var errDuplicate = errors.New("duplicate client_msg_id")

func (s *MessageService) publishMessage(ctx context.Context, in PublishInput) (Message, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Message{}, err
	}
	if !in.Channel.Persisted() {
		return Message{}, Errorf(EInvalid, "cannot post to %s", in.Channel)
	}
	body, err := validateBody(in.Body, len(in.AttachmentIDs))
	if err != nil {
		return Message{}, err
	}
	if len(in.ClientMsgID) > MaxClientMsgID {
		return Message{}, Errorf(EInvalid, "client_msg_id is longer than %d characters", MaxClientMsgID)
	}
	if len(in.AttachmentIDs) > MaxAttachmentsIn {
		return Message{}, Errorf(EInvalid, "at most %d attachments per message", MaxAttachmentsIn)
	}
	if len(in.Mentions) > MaxMentions {
		return Message{}, Errorf(EInvalid, "at most %d mentions per message", MaxMentions)
	}
	// A retry (same client id) is not looked up first: that would cost every
	// publish a query. Its insert conflicts, the transaction rolls back (with
	// the seq it took), and the original is looked up below.
	var m Message
	var after []Event
	if plainTopicPost(in) {
		m, err = s.postPlain(ctx, p, in, body)
	} else {
		m, after, err = s.postInTx(ctx, p, in, body)
	}
	if err != nil && in.ClientMsgID != "" {
		// An earlier attempt (or a concurrent retry) stored the message:
		// answer with it, whatever stopped this one (its attachments are
		// claimed, the caller may no longer post, ...), as a lookup before
		// the transaction would have.
		m2, ok, err2 := s.existingByClientID(ctx, p, in)
		if ok {
			// Published again: the attempt that stored it may have died
			// between its commit and its publish (or the broker lost
			// it), and then the other nodes' subscribers would wait for
			// the channel's next event to notice the gap. Subscribers
			// that have it drop the copy by its seq.
			s.publish(ctx, Event{Channel: m2.Channel, Type: EventMessageNew, Seq: m2.Seq, Data: m2})
			return m2, errDuplicate
		}
		if IsCode(err2, EConflict) {
			return Message{}, err2
		}
	}
	if err != nil {
		return Message{}, err
	}
	s.publish(ctx, append([]Event{{Channel: m.Channel, Type: EventMessageNew, Seq: m.Seq, Data: m}}, after...)...)
	return m, nil
}

// postPlain stores a plain topic post through group commit: the store
// decides access by the topic read rule inside the batch's transaction.
func (s *MessageService) postPlain(ctx context.Context, p *Principal, in PublishInput, body string) (Message, error) {
	post, err := s.poster.post(ctx, s.store, TopicPost{Message: s.newMessage(p, in, body)})
	if err == nil {
		err = post.Err
	}
	return post.Message, err
}

// postInTx stores a message in one transaction with every check: the
// path of every post that is not plain (mentions, replies, attachments,
// conversations).
func (s *MessageService) postInTx(ctx context.Context, p *Principal, in PublishInput, body string) (Message, []Event, error) {
	var m Message
	var after []Event
	err := s.store.InTx(ctx, func(tx Store) error {
		th, err := s.threadFor(ctx, tx, p, in.Channel)
		if err != nil {
			return err
		}
		if err := s.checkPost(ctx, tx, p, th); err != nil {
			return err
		}
		if th.note && len(in.Mentions) > 0 {
			return errNoteMentions
		}
		mentions, err := s.validMentions(ctx, tx, p, th, in.Mentions)
		if err != nil {
			return err
		}
		if in.ReplyToID != nil {
			ref, err := tx.MessageGet(ctx, p.TenantID, *in.ReplyToID)
			if err != nil || ref.Channel != in.Channel {
				return Errorf(EInvalid, "the message replied to is not in this thread")
			}
		}
		atts, err := s.claimAttachments(ctx, tx, p, in.AttachmentIDs)
		if err != nil {
			return err
		}
		m = s.newMessage(p, in, body)
		m.Mentions, m.Attachments = mentions, atts
		if err := appendMessage(ctx, tx, &m); err != nil {
			return err
		}
		after, err = s.afterPost(ctx, tx, p, th, &m)
		return err
	})
	return m, after, err
}

// appendMessage stores m inside a transaction with the channel's next seq
// and its message.new event, setting m.Seq and m.ID.
func appendMessage(ctx context.Context, tx Store, m *Message) error {
	seq, err := tx.ChannelNextSeq(ctx, m.TenantID, m.Channel)
	if err != nil {
		return err
	}
	m.Seq = seq
	if err := tx.MessageInsert(ctx, m); err != nil {
		return err
	}
	return tx.ChannelEventInsert(ctx, m.TenantID, m.Channel, seq, EventMessageNew, m.ID, m.CreatedAt)
}

// newMessage is the text message in asks p to post, before it is stored.
func (s *MessageService) newMessage(p *Principal, in PublishInput, body string) Message {
	return Message{TenantID: p.TenantID, Channel: in.Channel, AuthorID: p.UserID, AuthorName: p.Name,
		ClientMsgID: in.ClientMsgID, Kind: MessageText, Body: body, ReplyToID: in.ReplyToID, CreatedAt: s.clock.Now()}
}

// existingByClientID finds the message an earlier attempt stored.
func (s *MessageService) existingByClientID(ctx context.Context, p *Principal, in PublishInput) (Message, bool, error) {
	m, err := s.store.MessageByClientID(ctx, p.TenantID, p.UserID, in.ClientMsgID)
	if IsCode(err, ENotFound) {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, err
	}
	if m.Channel != in.Channel {
		return Message{}, false, Errorf(EConflict, "client_msg_id was already used in another channel")
	}
	m.AuthorName = p.Name
	return m, true, nil
}

// validMentions keeps each mentioned user once and requires that they can
// read the thread, so a mention never discloses it to an outsider. In a
// conversation the mentioned must also be findable by the caller (the
// company rule), so a mention cannot probe who exists or reads it.
func (s *MessageService) validMentions(ctx context.Context, st Store, p *Principal, th thread, ids []int64) ([]int64, error) {
	var out []int64
	var facts *tenantFacts
	for _, id := range ids {
		if slices.Contains(out, id) || id == p.UserID {
			continue
		}
		ok, err := s.userCanRead(ctx, st, p.TenantID, id, th)
		if err != nil {
			return nil, err
		}
		if ok && th.conv != nil {
			if facts == nil {
				f, err := loadTenantFacts(ctx, st, p.TenantID)
				if err != nil {
					return nil, err
				}
				facts = &f
			}
			u, err := st.UserGet(ctx, p.TenantID, id)
			if err != nil {
				return nil, err
			}
			ok = facts.findable(p, u)
		}
		if !ok {
			return nil, Errorf(EInvalid, "mentioned user %d cannot see this thread", id)
		}
		out = append(out, id)
	}
	return out, nil
}

// userCanRead reports whether another user of the tenant may read th.
func (s *core) userCanRead(ctx context.Context, st Store, tenantID, userID int64, th thread) (bool, error) {
	q, err := s.principalFor(ctx, tenantID, userID)
	if IsCode(err, ENotFound) || IsCode(err, EUnauthenticated) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = s.threadFor(ctx, st, q, th.ch)
	if IsCode(err, ENotFound) {
		return false, nil
	}
	return err == nil, err
}

// claimAttachments checks that the uploads are the caller's own and not yet
// attached; MessageInsert links them.
func (s *core) claimAttachments(ctx context.Context, st Store, p *Principal, ids []int64) ([]Attachment, error) {
	var out []Attachment
	for _, id := range ids {
		a, err := st.AttachmentGet(ctx, p.TenantID, id)
		if IsCode(err, ENotFound) || (err == nil && (a.UploaderID != p.UserID || a.MessageID != nil)) {
			return nil, Errorf(EInvalid, "attachment %d is not an unused upload of yours", id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// EditMessage replaces the body of the caller's own message.
// Errors: EUnauthenticated, ENotFound, EForbidden, EInvalid, ETooLarge.
func (s *MessageService) EditMessage(ctx context.Context, id int64, body string) (Message, error) {
	return s.changeMessage(ctx, id, EventMessageEdited, body)
}

// DeleteMessage turns a message into a tombstone that keeps the thread's
// shape. Authors delete their own; tenant admins any message in a topic.
// Errors: EUnauthenticated, ENotFound, EForbidden.
func (s *MessageService) DeleteMessage(ctx context.Context, id int64) (Message, error) {
	return s.changeMessage(ctx, id, EventMessageDeleted, "")
}

func (s *MessageService) changeMessage(ctx context.Context, id int64, typ EventType, body string) (Message, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Message{}, err
	}
	if typ == EventMessageEdited {
		if body, err = validateBody(body, 0); err != nil {
			return Message{}, err
		}
	}
	var m Message
	var evSeq int64 // the event's position; the message keeps its own seq
	err = s.store.InTx(ctx, func(tx Store) error {
		old, err := tx.MessageGet(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		th, err := s.threadFor(ctx, tx, p, old.Channel)
		if err != nil {
			return NotFound("message")
		}
		if err := s.checkPost(ctx, tx, p, th); err != nil {
			return err
		}
		if old.DeletedAt != nil {
			return Errorf(EConflict, "the message was deleted")
		}
		own := old.AuthorID == p.UserID && old.Kind == MessageText
		adminDelete := typ == EventMessageDeleted && th.topic != nil && p.TenantAdmin()
		if !own && !adminDelete {
			return Errorf(EForbidden, "you can change only your own messages")
		}
		now := s.clock.Now()
		if typ == EventMessageEdited {
			err = tx.MessageEdit(ctx, p.TenantID, id, body, now)
		} else {
			err = tx.MessageDelete(ctx, p.TenantID, id, now)
		}
		if err != nil {
			return err
		}
		m, evSeq, err = recordMessageEvent(ctx, tx, p.TenantID, old, typ, now)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	m = s.withAuthor(ctx, p.TenantID, m)
	s.publish(ctx, Event{Channel: m.Channel, Type: typ, Seq: evSeq, Data: m})
	return m, nil
}

// Events replays the sequenced events of ch after since, each with the
// current state of its message, and returns the channel's last seq.
// Errors: EUnauthenticated, ENotFound, EInvalid.
func (s *MessageService) Events(ctx context.Context, ch Channel, since int64, limit int) ([]ChannelEvent, int64, error) {
	p, err := s.historyReader(ctx, ch)
	if err != nil {
		return nil, 0, err
	}
	last, err := s.store.ChannelLastSeq(ctx, p.TenantID, ch)
	if err != nil {
		return nil, 0, err
	}
	evs, err := s.ResyncEvents(ctx, p.TenantID, ch, since, limit)
	return evs, last, err
}

// historyReader returns the caller when they may read ch and ch keeps a
// history (a persisted channel). Errors: EUnauthenticated, ENotFound,
// EInvalid.
func (s *MessageService) historyReader(ctx context.Context, ch Channel) (*Principal, error) {
	if err := s.Authorize(ctx, ch); err != nil {
		return nil, err
	}
	if !ch.Persisted() {
		return nil, Errorf(EInvalid, "%s has no history", ch)
	}
	return PrincipalFrom(ctx), nil
}

// ResyncEvents replays events without an authorization check. Only for the
// hub's gap filling of channels whose subscribers were authorized already.
func (s *MessageService) ResyncEvents(ctx context.Context, tenantID int64, ch Channel, since int64, limit int) ([]ChannelEvent, error) {
	evs, err := s.store.ChannelEventsSince(ctx, tenantID, ch, max(since, 0), clampPage(limit))
	return s.withAuthors(ctx, tenantID, evs, err)
}

// CatchUpEvents is ResyncEvents for many channels of one tenant in one
// store query (Store.ChannelEventsAfter): the hub's catch-up poll while
// its broker is down. No authorization check, as for ResyncEvents.
func (s *MessageService) CatchUpEvents(ctx context.Context, tenantID int64, cursors []ChannelCursor, limit int) ([]ChannelEvent, error) {
	evs, err := s.store.ChannelEventsAfter(ctx, tenantID, cursors, clampPage(limit))
	return s.withAuthors(ctx, tenantID, evs, err)
}

// withAuthors fills in the authors' names of the events' messages (after
// the store's err, which it passes on).
func (s *MessageService) withAuthors(ctx context.Context, tenantID int64, evs []ChannelEvent, err error) ([]ChannelEvent, error) {
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, len(evs))
	for i := range evs {
		msgs[i] = evs[i].Message
	}
	s.fillAuthors(ctx, tenantID, msgs)
	for i := range evs {
		evs[i].Message = msgs[i]
	}
	return evs, nil
}

// History returns up to limit messages older than beforeSeq (0: the
// newest), newest first. Errors: EUnauthenticated, ENotFound, EInvalid.
func (s *MessageService) History(ctx context.Context, ch Channel, beforeSeq int64, limit int) ([]Message, error) {
	p, err := s.historyReader(ctx, ch)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.MessageHistory(ctx, p.TenantID, ch, max(beforeSeq, 0), clampPage(limit))
	if err != nil {
		return nil, err
	}
	s.fillAuthors(ctx, p.TenantID, msgs)
	return msgs, nil
}

// HistoryAround returns up to limit messages of ch around message id:
// it, about half of limit older and the rest newer, newest first (a
// search hit opens its thread there). Errors: EUnauthenticated,
// ENotFound (the thread, or a message not in it), EInvalid.
func (s *MessageService) HistoryAround(ctx context.Context, ch Channel, id int64, limit int) ([]Message, error) {
	p, err := s.historyReader(ctx, ch)
	if err != nil {
		return nil, err
	}
	m, err := s.store.MessageGet(ctx, p.TenantID, id)
	if err != nil || m.Channel != ch {
		return nil, NotFound("message")
	}
	limit = clampPage(limit)
	older, err := s.store.MessageHistory(ctx, p.TenantID, ch, m.Seq+1, limit/2+1)
	if err != nil {
		return nil, err
	}
	// Newer messages are the message.new events after it, in seq order.
	evs, err := s.store.ChannelEventsSince(ctx, p.TenantID, ch, m.Seq, MaxReplayPage)
	if err != nil {
		return nil, err
	}
	var newer []Message
	for _, ev := range evs {
		if ev.Type == EventMessageNew && len(newer)+len(older) < limit {
			newer = append(newer, ev.Message)
		}
	}
	slices.Reverse(newer)
	msgs := append(newer, older...)
	s.fillAuthors(ctx, p.TenantID, msgs)
	return msgs, nil
}

// MarkRead moves the caller's read marker in ch forward to seq and tells the
// caller's other devices and the thread's readers. Errors: EUnauthenticated, ENotFound, EInvalid.
func (s *MessageService) MarkRead(ctx context.Context, ch Channel, seq int64) (int64, error) {
	return s.markRead(ctx, ch, seq)
}

// markRead is MarkRead for the services that mark a topic or a
// conversation read on the caller's behalf.
func (s *core) markRead(ctx context.Context, ch Channel, seq int64) (int64, error) {
	if err := s.authorize(ctx, ch); err != nil {
		return 0, err
	}
	if !ch.Persisted() || seq < 0 {
		return 0, Errorf(EInvalid, "cannot mark %s read at %d", ch, seq)
	}
	p := PrincipalFrom(ctx)
	last, err := s.store.ChannelLastSeq(ctx, p.TenantID, ch)
	if err != nil {
		return 0, err
	}
	stored, err := s.store.ReadStateSet(ctx, p.TenantID, p.UserID, ch, min(seq, last))
	if err != nil {
		return 0, err
	}
	// The user's other devices follow the marker; the thread's readers see
	// who has read how far ("seen by").
	rs := ReadState{Channel: ch, UserID: p.UserID, Seq: stored}
	s.publish(ctx, Event{Channel: UserChannel(p.UserID), Type: EventRead, Data: rs},
		Event{Channel: ch, Type: EventRead, Data: rs})
	return stored, nil
}

// checkPost decides whether p may write in a readable thread.
func (s *MessageService) checkPost(ctx context.Context, st Store, p *Principal, th thread) error {
	switch {
	case th.topic != nil:
		return s.checkTopicPost(ctx, st, p, *th.topic)
	case th.note:
		return nil // who may read the notes may write them (canReadNotes)
	case th.conv != nil:
		return s.checkConversationPost(ctx, st, p, *th.conv)
	}
	return Errorf(EInvalid, "cannot post to %s", th.ch)
}

// afterPost runs in the posting transaction once the message is stored:
// thread bookkeeping and notification work. It returns events to publish
// after commit.
func (s *MessageService) afterPost(ctx context.Context, st Store, p *Principal, th thread, m *Message) ([]Event, error) {
	switch {
	case th.topic != nil:
		return s.topicPosted(ctx, st, p, *th.topic, m)
	case th.note:
		return s.notePosted(ctx, st, p, m)
	case th.conv != nil:
		return s.conversationPosted(ctx, st, p, *th.conv, m)
	}
	return nil, nil
}

// TypingData is the payload of a typing event.
type TypingData struct {
	Channel Channel `json:"channel"`
	UserID  int64   `json:"user_id"`
	Name    string  `json:"name"`
}

// Typing tells the other readers of ch that the caller is typing. It is
// ephemeral: nothing is stored. Errors: EUnauthenticated, ENotFound.
func (s *MessageService) Typing(ctx context.Context, ch Channel) error {
	if !ch.Persisted() {
		return Errorf(EInvalid, "cannot type in %s", ch)
	}
	if err := s.Authorize(ctx, ch); err != nil {
		return err
	}
	p := PrincipalFrom(ctx)
	s.publish(ctx, Event{Channel: ch, Type: EventTyping, Data: TypingData{Channel: ch, UserID: p.UserID, Name: p.Name}})
	return nil
}

// recordMessageEvent records the change just made to message old in tx as
// the sequenced event typ of its channel, at the channel's next seq (the
// message keeps its own). It returns the message as it is now, which is
// what a replay of the event carries, and the event's seq.
func recordMessageEvent(ctx context.Context, tx Store, tenantID int64, old Message, typ EventType, at time.Time) (Message, int64, error) {
	seq, err := tx.ChannelNextSeq(ctx, tenantID, old.Channel)
	if err != nil {
		return Message{}, 0, err
	}
	if err := tx.ChannelEventInsert(ctx, tenantID, old.Channel, seq, typ, old.ID, at); err != nil {
		return Message{}, 0, err
	}
	m, err := tx.MessageGet(ctx, tenantID, old.ID)
	return m, seq, err
}

// withAuthor is fillAuthors for one message.
func (s *MessageService) withAuthor(ctx context.Context, tenantID int64, m Message) Message {
	msgs := []Message{m}
	s.fillAuthors(ctx, tenantID, msgs)
	return msgs[0]
}

// fillAuthors sets AuthorName on messages and their reactions (loaded
// here, see groupReactions) with the reactors' names, from the user
// directory. A missing name or reaction list is not an error: the message
// is still worth showing.
func (s *MessageService) fillAuthors(ctx context.Context, tenantID int64, msgs []Message) {
	if len(msgs) == 0 {
		return
	}
	s.loadReactions(ctx, tenantID, msgs)
	var ids []int64
	for _, m := range msgs {
		if m.AuthorName == "" {
			ids = append(ids, m.AuthorID)
		}
		for _, r := range m.Reactions {
			for _, u := range r.Users {
				ids = append(ids, u.ID)
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	users, err := s.usersByID(ctx, s.store, tenantID, distinctIDs(ids))
	if err != nil {
		s.log.Warn().Err(err).Msg("author names")
		return
	}
	names := namesByID(users)
	for i := range msgs {
		if msgs[i].AuthorName == "" {
			msgs[i].AuthorName = names[msgs[i].AuthorID]
		}
		for _, r := range msgs[i].Reactions {
			for j := range r.Users {
				r.Users[j].Name = names[r.Users[j].ID]
			}
		}
	}
}

func (s *MessageService) loadReactions(ctx context.Context, tenantID int64, msgs []Message) {
	ids := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		if m.DeletedAt == nil && m.Kind == MessageText {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	rows, err := s.store.ReactionList(ctx, tenantID, ids)
	if err != nil {
		s.log.Warn().Err(err).Msg("reactions")
		return
	}
	groupReactions(msgs, rows)
}
