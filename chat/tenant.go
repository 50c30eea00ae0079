package chat

import "time"

// DefaultRetentionDays is how long a support conversation is kept after its
// last activity unless the tenant or the category says otherwise (4 years).
const DefaultRetentionDays = 4 * 365

// DefaultStaleHours is how long a customer waits for an answer before the
// conversation is stale, unless the tenant says otherwise; MaxStaleHours
// (30 days) bounds the setting.
const (
	DefaultStaleHours = 24
	MaxStaleHours     = 30 * 24
)

// Tenant is one organisation running Parley. Tenants never see each other.
type Tenant struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Settings  TenantSettings `json:"settings"`
	CreatedAt time.Time      `json:"created_at"`
}

// TenantSettings are the switches a tenant admin controls. The zero value is
// a valid default: messenger off, no company visibility, 4-year retention,
// emails carry only a link.
type TenantSettings struct {
	MessengerEnabled  bool `json:"messenger_enabled"`
	CompanyVisibility bool `json:"company_visibility"`
	// RetentionDays of conversations after their last activity; 0 means
	// DefaultRetentionDays.
	RetentionDays int `json:"retention_days,omitempty"`
	// StaleHours is how long a customer may wait for an answer before the
	// conversation counts as stale in the queues; 0 means
	// DefaultStaleHours.
	StaleHours int `json:"stale_hours,omitempty"`
	// EmailExcerpts lets notification emails carry an excerpt of the
	// message; off by default, since these are payroll and HR matters.
	EmailExcerpts bool   `json:"email_excerpts"`
	MailFrom      string `json:"mail_from,omitempty"`
	ReplyTo       string `json:"reply_to,omitempty"`
	// NotificationEmail is the office notification address: it receives
	// an email for every new conversation and every customer-side message
	// (ReasonOfficeEmail), in NotificationLocale ("en" or "fi"; empty:
	// English). Empty: none.
	NotificationEmail  string `json:"notification_email,omitempty"`
	NotificationLocale string `json:"notification_locale,omitempty"`
	// StatusLabels overrides status names per locale:
	// {"en": {"waiting": "Attentive"}}.
	StatusLabels map[string]map[ConversationStatus]string `json:"status_labels,omitempty"`
}

// Retention returns the effective retention in days.
func (s TenantSettings) Retention() int {
	if s.RetentionDays <= 0 {
		return DefaultRetentionDays
	}
	return s.RetentionDays
}

// Stale returns the effective stale bound.
func (s TenantSettings) Stale() time.Duration {
	if s.StaleHours <= 0 {
		return DefaultStaleHours * time.Hour
	}
	return time.Duration(s.StaleHours) * time.Hour
}

// Company is an organisation a tenant serves or consists of.
type Company struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}
