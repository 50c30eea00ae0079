package chat

import (
	"context"
	"slices"
)

// Emoji reactions on topic and conversation messages. A reaction is a
// sequenced event of its thread (message.reacted, carrying the message
// with all its reactions), so it reaches every node through the broker,
// replays on resume like an edit, and is seen only by those who may read
// the thread: reacting needs what posting needs (checkPost), and reading
// a reaction is reading its message.

// ReactionEmoji is the set of emoji one may react with: a fixed set keeps
// reactions short, renderable everywhere and free of text.
var ReactionEmoji = []string{"👍", "❤️", "😄", "🎉", "😮", "😢", "🙏", "👀", "✅", "👎"}

// MaxReactionKinds is how many different emoji one message may carry.
const MaxReactionKinds = 6

// Reaction is one emoji on a message and who chose it, oldest first.
type Reaction struct {
	Emoji string         `json:"emoji"`
	Count int            `json:"count"`
	Users []ReactionUser `json:"users"`
}

// ReactionUser is one reactor; Name is their display name.
type ReactionUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// React adds (add true) or removes the caller's emoji on a message and
// returns the message with its reactions. Adding what is there, or
// removing what is not, changes nothing and publishes nothing.
// Errors: EUnauthenticated, ENotFound (message or thread invisible),
// EForbidden (may read but not post), EInvalid (emoji not allowed, a
// status event, too many different emoji), EConflict (deleted message).
func (s *MessageService) React(ctx context.Context, id int64, emoji string, add bool) (Message, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Message{}, err
	}
	if !slices.Contains(ReactionEmoji, emoji) {
		return Message{}, Errorf(EInvalid, "reactions are one of %v", ReactionEmoji)
	}
	var m Message
	var evSeq int64 // 0: nothing changed
	err = s.store.InTx(ctx, func(tx Store) error {
		old, err := s.reactable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		changed, err := s.toggleReaction(ctx, tx, p, old, emoji, add)
		if err != nil || !changed {
			m = old
			return err
		}
		m, evSeq, err = recordMessageEvent(ctx, tx, p.TenantID, old, EventMessageReacted, s.clock.Now())
		return err
	})
	if err != nil {
		return Message{}, err
	}
	m = s.withAuthor(ctx, p.TenantID, m)
	if evSeq != 0 {
		s.publish(ctx, Event{Channel: m.Channel, Type: EventMessageReacted, Seq: evSeq, Data: m})
	}
	return m, nil
}

// reactable loads message id for a reaction by p: in a thread p may post
// to, a text message, not deleted.
func (s *MessageService) reactable(ctx context.Context, st Store, p *Principal, id int64) (Message, error) {
	m, err := st.MessageGet(ctx, p.TenantID, id)
	if err != nil {
		return Message{}, err
	}
	th, err := s.threadFor(ctx, st, p, m.Channel)
	if err != nil {
		return Message{}, NotFound("message")
	}
	if err := s.checkPost(ctx, st, p, th); err != nil {
		return Message{}, err
	}
	if m.Kind != MessageText {
		return Message{}, Errorf(EInvalid, "only messages take reactions")
	}
	if m.DeletedAt != nil {
		return Message{}, Errorf(EConflict, "the message was deleted")
	}
	return m, nil
}

// toggleReaction writes the change and reports whether there was one. A
// new emoji on a message that has MaxReactionKinds already is refused.
func (s *MessageService) toggleReaction(ctx context.Context, st Store, p *Principal, m Message, emoji string, add bool) (bool, error) {
	if !add {
		return st.ReactionRemove(ctx, p.TenantID, m.ID, p.UserID, emoji)
	}
	rs, err := st.ReactionList(ctx, p.TenantID, []int64{m.ID})
	if err != nil {
		return false, err
	}
	kinds := map[string]bool{}
	for _, r := range rs {
		kinds[r.Emoji] = true
	}
	if !kinds[emoji] && len(kinds) >= MaxReactionKinds {
		return false, Errorf(EInvalid, "a message takes at most %d different reactions", MaxReactionKinds)
	}
	return st.ReactionAdd(ctx, p.TenantID, m.ID, p.UserID, emoji, s.clock.Now())
}

// groupReactions sets each message's Reactions from stored rows (ordered
// by message, then oldest first); tombstones get none. The reactors' names
// are filled in by fillAuthors.
func groupReactions(msgs []Message, rows []StoredReaction) {
	byMessage := map[int64][]StoredReaction{}
	for _, r := range rows {
		byMessage[r.MessageID] = append(byMessage[r.MessageID], r)
	}
	for i := range msgs {
		m := &msgs[i]
		m.Reactions = nil
		if m.DeletedAt != nil {
			continue
		}
		for _, r := range byMessage[m.ID] {
			j := slices.IndexFunc(m.Reactions, func(x Reaction) bool { return x.Emoji == r.Emoji })
			if j < 0 {
				m.Reactions = append(m.Reactions, Reaction{Emoji: r.Emoji})
				j = len(m.Reactions) - 1
			}
			m.Reactions[j].Count++
			m.Reactions[j].Users = append(m.Reactions[j].Users, ReactionUser{ID: r.UserID})
		}
	}
}
