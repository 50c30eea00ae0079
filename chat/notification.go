package chat

import "time"

// Notification is an in-app notification for one user.
type Notification struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	UserID    int64      `json:"user_id"`
	Kind      string     `json:"kind"`
	Channel   Channel    `json:"channel"`
	MessageID *int64     `json:"message_id,omitempty"`
	Title     string     `json:"title"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// NotifyReason is why someone would be notified.
type NotifyReason string

const (
	ReasonTopicMessage    NotifyReason = "topic_message"
	ReasonMention         NotifyReason = "mention"
	ReasonNewConversation NotifyReason = "new_conversation"
	ReasonAnswered        NotifyReason = "answered"
	ReasonCustomerMessage NotifyReason = "customer_message"
	ReasonNotifyAdmins    NotifyReason = "notify_admins"
	ReasonExternalEmail   NotifyReason = "external_email"
	// ReasonOfficeEmail: the tenant's office notification address
	// (TenantSettings.NotificationEmail) hears of every new conversation
	// and every customer-side message.
	ReasonOfficeEmail NotifyReason = "office_email"
	// ReasonReplyByEmail: a reply that came back by email (Via
	// ViaReplyMail); its Outcome is a ReplyFate.
	ReasonReplyByEmail NotifyReason = "reply_by_email"
)

// NotifyOutcome is what became of a notification.
type NotifyOutcome string

const (
	OutcomeSent       NotifyOutcome = "sent"
	OutcomeInApp      NotifyOutcome = "in_app_only"
	OutcomeOnline     NotifyOutcome = "suppressed_online"
	OutcomeInterval   NotifyOutcome = "suppressed_interval"
	OutcomeMuted      NotifyOutcome = "suppressed_muted"
	OutcomeRead       NotifyOutcome = "suppressed_read"
	OutcomePreference NotifyOutcome = "suppressed_preference"
	OutcomeTopicOff   NotifyOutcome = "suppressed_topic_off"
	OutcomeAuthor     NotifyOutcome = "suppressed_author"
	OutcomeNoAccess   NotifyOutcome = "suppressed_no_access"
	OutcomeNoDevice   NotifyOutcome = "suppressed_no_device"
	OutcomeFailed     NotifyOutcome = "failed"
)

// NotifyVia is how a notification reaches someone who is not looking:
// an email, or a Web Push to their devices.
type NotifyVia string

const (
	ViaEmail NotifyVia = "email"
	ViaPush  NotifyVia = "push"
	// ViaReplyMail is inbound: a reply to a notification email.
	ViaReplyMail NotifyVia = "reply_email"
)

// ChannelChoice is which outside channels one kind of notification uses;
// both off is "none" (the in-app notification still comes).
type ChannelChoice struct {
	Email bool `json:"email"`
	Push  bool `json:"push"`
}

// On reports whether the choice includes via.
func (c ChannelChoice) On(via NotifyVia) bool {
	if via == ViaPush {
		return c.Push
	}
	return c.Email
}

// NotifyChannels is a user's choice of channels per kind of notification:
// mentions, topic messages, and conversation events (new, answered,
// customer message, administrators notified).
type NotifyChannels struct {
	Mention      ChannelChoice `json:"mention"`
	Topic        ChannelChoice `json:"topic"`
	Conversation ChannelChoice `json:"conversation"`
}

// DefaultNotifyChannels is every channel on: email still needs the
// user's email switch, and push a device the user subscribed.
func DefaultNotifyChannels() NotifyChannels {
	all := ChannelChoice{Email: true, Push: true}
	return NotifyChannels{Mention: all, Topic: all, Conversation: all}
}

// For is the choice that governs a reason.
func (c NotifyChannels) For(reason NotifyReason) ChannelChoice {
	switch reason {
	case ReasonMention:
		return c.Mention
	case ReasonTopicMessage:
		return c.Topic
	}
	return c.Conversation
}
