package chat

import "time"

// ConversationStatus is the state of a support conversation.
type ConversationStatus string

const (
	StatusNew     ConversationStatus = "new"
	StatusOpen    ConversationStatus = "open"
	StatusWaiting ConversationStatus = "waiting"
	StatusSolved  ConversationStatus = "solved"
)

// Category routes new conversations to receiver roles.
type Category struct {
	ID       int64   `json:"id"`
	TenantID int64   `json:"tenant_id"`
	NameEN   string  `json:"name_en"`
	NameFI   string  `json:"name_fi"`
	RoleIDs  []int64 `json:"role_ids,omitempty"`
	// RetentionDays overrides the tenant's retention when set.
	RetentionDays *int `json:"retention_days,omitempty"`
	Active        bool `json:"active"`
}

// Conversation is a support conversation.
type Conversation struct {
	ID                 int64              `json:"id"`
	TenantID           int64              `json:"tenant_id"`
	Subject            string             `json:"subject"`
	CategoryID         int64              `json:"category_id"`
	Status             ConversationStatus `json:"status"`
	CreatorID          int64              `json:"creator_id"`
	HandlerID          *int64             `json:"handler_id,omitempty"`
	CustomerAssigneeID *int64             `json:"customer_assignee_id,omitempty"`
	AdminID            *int64             `json:"admin_id,omitempty"` // designated administrator
	RelatedCompanyID   *int64             `json:"related_company_id,omitempty"`
	RelatedUserID      *int64             `json:"related_user_id,omitempty"`
	RoleIDs            []int64            `json:"role_ids,omitempty"` // receiver roles
	ExternalEmails     []string           `json:"external_emails,omitempty"`
	NotifyAdmins       bool               `json:"notify_admins"`
	// ToCustomer: the office started it to a customer (a customer user as
	// CustomerAssigneeID, or a customer company as CustomerCompanyID), so
	// its creator is on the handler side.
	ToCustomer bool `json:"to_customer"`
	// CustomerCompanyID is the customer company it is addressed to: the
	// company's users without a message-handler role see it as theirs.
	CustomerCompanyID *int64 `json:"customer_company_id,omitempty"`
	// AwaitingSince is when the customer side began waiting for an answer
	// (nil: nobody waits); the stale queue counts from it.
	AwaitingSince  *time.Time `json:"awaiting_since,omitempty"`
	LastSeq        int64      `json:"last_seq"`
	LastActivityAt time.Time  `json:"last_activity_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Attachment is a file on a message, stored in the database so that every
// node serves it.
type Attachment struct {
	ID          int64     `json:"id"`
	TenantID    int64     `json:"tenant_id"`
	MessageID   *int64    `json:"message_id,omitempty"`
	UploaderID  int64     `json:"uploader_id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
	// Image is set for pictures the server read and thumbnailed.
	Image *Image `json:"image,omitempty"`
	// ThumbnailPending marks an image uploaded before thumbnails existed
	// (migration 00006): its thumbnail is made when first asked for.
	ThumbnailPending bool `json:"thumbnail_pending,omitempty"`
}

// Draft is a message being written, kept server-side per user.
type Draft struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	UserID    int64     `json:"user_id"`
	Channel   *Channel  `json:"channel,omitempty"` // nil for a new conversation
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Data      string    `json:"data"` // client JSON: category, roles, related company, ...
	UpdatedAt time.Time `json:"updated_at"`
}
