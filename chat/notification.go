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
	OutcomeFailed     NotifyOutcome = "failed"
)
