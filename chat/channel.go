package chat

import (
	"strconv"
	"strings"
	"time"
)

// ChannelKind is what a channel carries.
type ChannelKind string

// Channel kinds. Topic, conversation and note channels are persisted with
// a gap-free sequence; the user channel is live only (notifications, list
// changes, read state on the user's other devices).
const (
	KindTopic        ChannelKind = "topic"
	KindConversation ChannelKind = "conversation"
	// KindNote is the internal notes of the conversation with the same id
	// ("note:7" belongs to "conversation:7"). A channel of its own, so
	// that the hub's per-channel fan-out, replay and gap filling never
	// carry a note to a subscriber of the conversation; who may subscribe
	// is canReadNotes.
	KindNote ChannelKind = "note"
	KindUser ChannelKind = "user"
)

// Channel identifies a stream of events: "topic:12", "conversation:7",
// "user:3".
type Channel struct {
	Kind ChannelKind `json:"kind"`
	ID   int64       `json:"id"`
}

func (c Channel) String() string { return string(c.Kind) + ":" + strconv.FormatInt(c.ID, 10) }

// MarshalText encodes the channel as "kind:id".
func (c Channel) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses "kind:id".
func (c *Channel) UnmarshalText(b []byte) error {
	parsed, err := ParseChannel(string(b))
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// Persisted reports whether the channel keeps a sequenced history.
func (c Channel) Persisted() bool {
	return c.Kind == KindTopic || c.Kind == KindConversation || c.Kind == KindNote
}

// ParseChannel parses "kind:id".
func ParseChannel(s string) (Channel, error) {
	kind, id, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 {
		return Channel{}, Errorf(EInvalid, "channel %q is not of the form kind:id", s)
	}
	switch k := ChannelKind(kind); k {
	case KindTopic, KindConversation, KindNote, KindUser:
		return Channel{Kind: k, ID: n}, nil
	}
	return Channel{}, Errorf(EInvalid, "channel kind %q is unknown", kind)
}

// TopicChannel, ConversationChannel and UserChannel name channels.
func TopicChannel(id int64) Channel        { return Channel{KindTopic, id} }
func ConversationChannel(id int64) Channel { return Channel{KindConversation, id} }
func UserChannel(id int64) Channel         { return Channel{KindUser, id} }

// NoteChannel names the internal notes of conversation id.
func NoteChannel(conversationID int64) Channel { return Channel{KindNote, conversationID} }

// MessageKind tells a user's message from an event in the thread.
type MessageKind string

const (
	MessageText MessageKind = "text"
	// MessageStatus records a conversation change (status, handler,
	// assignee, notify administrators) as a visible event with who and when.
	MessageStatus MessageKind = "status"
)

// Message is one entry of a thread. Seq is its position in the channel.
type Message struct {
	ID          int64        `json:"id"`
	TenantID    int64        `json:"tenant_id"`
	Channel     Channel      `json:"channel"`
	Seq         int64        `json:"seq"`
	AuthorID    int64        `json:"author_id"`
	AuthorName  string       `json:"author_name"`
	ClientMsgID string       `json:"client_msg_id"`
	Kind        MessageKind  `json:"kind"`
	Body        string       `json:"body"`
	ReplyToID   *int64       `json:"reply_to_id,omitempty"`
	Mentions    []int64      `json:"mentions,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Reactions are set by the message service (not the store), emoji in
	// the order first used; a tombstone has none.
	Reactions []Reaction `json:"reactions,omitempty"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"` // tombstone: body and attachments are gone
	CreatedAt time.Time  `json:"created_at"`

	// ExternalAuthor is the address of a conversation's external
	// participant who wrote the message by email (AuthorID is 0 then, and
	// AuthorName the address too); empty for a user's message.
	ExternalAuthor string `json:"external_author,omitempty"`
}

// Limits on messages.
const (
	MaxBodyBytes     = 16 << 10
	MaxClientMsgID   = 64
	MaxMentions      = 50
	MaxAttachmentsIn = 10
)

// EventType names a change in a channel.
type EventType string

// Channel events. Persisted channels number message.new, message.edited,
// message.deleted and message.reacted with gap-free sequence numbers.
const (
	EventMessageNew     EventType = "message.new"
	EventMessageEdited  EventType = "message.edited"
	EventMessageDeleted EventType = "message.deleted"
	// EventMessageReacted: a reaction was added or removed; the data is
	// the message with all its reactions.
	EventMessageReacted EventType = "message.reacted"
	EventTyping         EventType = "typing"
	EventPresence       EventType = "presence"
	EventRead           EventType = "read"
	EventTopic          EventType = "topic.changed"
	// EventTopicRemoved on a topic channel ends every subscription to it
	// (the topic became inactive or invisible).
	EventTopicRemoved EventType = "topic.removed"
	EventGroup        EventType = "group.changed"
	EventGroupRemoved EventType = "group.removed"
	EventConversation EventType = "conversation.changed"
	EventNotification EventType = "notification"
	EventTenant       EventType = "tenant.changed"
	// EventAccessRevoked on a user channel lists channels the user may no
	// longer read ({"channels": ["topic:3"]}); the hub unsubscribes the
	// user's sockets from them.
	EventAccessRevoked EventType = "access.revoked"
	// EventRevoked tells a user's sockets that their session ended.
	EventRevoked EventType = "session.revoked"
)

// Event is something to deliver to the subscribers of a channel. Seq is set
// for sequenced events of persisted channels and 0 otherwise. Data is
// encoded once by the publisher.
type Event struct {
	Channel Channel   `json:"channel"`
	Type    EventType `json:"type"`
	Seq     int64     `json:"seq"`
	Data    any       `json:"data"`
	// SessionID, when set, limits delivery to the sockets of that session
	// (revocation of one session on a user channel).
	SessionID string `json:"session_id,omitempty"`
}

// ChannelEvent is a sequenced event as stored: its seq and the current
// state of the message it concerns.
type ChannelEvent struct {
	Seq     int64     `json:"seq"`
	Type    EventType `json:"type"`
	Message Message   `json:"message"`
}

// ChannelCursor is a channel and the last seq a reader has of it.
type ChannelCursor struct {
	Channel Channel
	Seq     int64
}

// MaxCursors bounds the cursors of one ChannelEventsAfter call (one
// query's list).
const MaxCursors = 500

// CheckCursors is the bound both engines apply to ChannelEventsAfter.
func CheckCursors(cursors []ChannelCursor) error {
	if len(cursors) > MaxCursors {
		return Errorf(EInvalid, "at most %d channels per catch-up read", MaxCursors)
	}
	return nil
}

// ReadState is how far a user has read in a channel.
type ReadState struct {
	Channel Channel `json:"channel"`
	UserID  int64   `json:"user_id"`
	Seq     int64   `json:"seq"`
}

// PublishInput is a new message from a client.
type PublishInput struct {
	Channel Channel `json:"channel"`
	Body    string  `json:"body"`
	// ClientMsgID is unique per author: a retry with the same id returns
	// the original message instead of storing a duplicate.
	ClientMsgID   string  `json:"client_msg_id"`
	ReplyToID     *int64  `json:"reply_to_id,omitempty"`
	AttachmentIDs []int64 `json:"attachment_ids,omitempty"`
	// Mentions are user ids the body mentions; each must be able to read
	// the channel.
	Mentions []int64 `json:"mentions,omitempty"`
}
