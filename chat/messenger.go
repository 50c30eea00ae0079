package chat

import (
	"encoding/json"
	"time"
)

// Group is a messenger group. Membership is its only access rule: it does
// not follow companies or other visibility.
type Group struct {
	ID          int64     `json:"id"`
	TenantID    int64     `json:"tenant_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	MemberIDs   []int64   `json:"member_ids,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Topic is a discussion in a group.
type Topic struct {
	ID          int64  `json:"id"`
	TenantID    int64  `json:"tenant_id"`
	GroupID     int64  `json:"group_id"`
	Name        string `json:"name"`
	EmailNotify bool   `json:"email_notify"`
	// NotifyInterval is the minimum time since the topic's previous message
	// for a new message to be emailed.
	NotifyInterval time.Duration `json:"-"`
	Active         bool          `json:"active"`
	LastSeq        int64         `json:"last_seq"`
	LastMessageAt  *time.Time    `json:"last_message_at,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
}

// MaxNotifyInterval bounds a topic's notification interval (7 days).
const MaxNotifyInterval = 7 * 24 * time.Hour

// MarshalJSON writes the interval as notify_interval_seconds.
func (t Topic) MarshalJSON() ([]byte, error) {
	type plain Topic
	return json.Marshal(struct {
		plain
		NotifyIntervalSeconds int64 `json:"notify_interval_seconds"`
	}{plain(t), int64(t.NotifyInterval / time.Second)})
}
