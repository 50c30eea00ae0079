package chat

import "time"

// Session is a server-side login session. The cookie carries only its id;
// deleting the row revokes it everywhere.
type Session struct {
	ID         string    `json:"id"` // random, 256 bits, base64url
	TenantID   int64     `json:"tenant_id"`
	UserID     int64     `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute lifetime
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
}
