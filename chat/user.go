package chat

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Locales Parley speaks.
const (
	LocaleEnglish = "en"
	LocaleFinnish = "fi"
)

// namesByID maps the users' ids to their display names.
func namesByID(users []User) map[int64]string {
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	return names
}

// User is a person of a tenant.
type User struct {
	ID         int64   `json:"id"`
	TenantID   int64   `json:"tenant_id"`
	Email      string  `json:"email"`
	Name       string  `json:"name"`
	Locale     string  `json:"locale"`
	Active     bool    `json:"active"`
	Superuser  bool    `json:"superuser"`
	CompanyIDs []int64 `json:"company_ids,omitempty"`
	RoleIDs    []int64 `json:"role_ids,omitempty"`
	// ManagerID is the user's manager; a manager's team is the users whose
	// ManagerID points at them.
	ManagerID          *int64    `json:"manager_id,omitempty"`
	EmailNotifications bool      `json:"email_notifications"`
	CreatedAt          time.Time `json:"created_at"`
}

// Limits on user input.
const (
	MaxNameLen  = 200
	MaxEmailLen = 254
)

// NormalizeEmail lowercases and trims an address and checks its form.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", Errorf(EInvalid, "email is required")
	}
	if len(s) > MaxEmailLen {
		return "", Errorf(EInvalid, "email is longer than %d characters", MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || strings.ContainsAny(s, "\r\n<>\" ,;") {
		return "", Errorf(EInvalid, "email %q is not a valid address", s)
	}
	return s, nil
}

// NormalizeExternalEmail is NormalizeEmail for an address outside the
// tenant that Parley will send mail to: its domain must be a public DNS
// name. Address literals (x@[127.0.0.1]), numeric hosts (x@10.0.0.1),
// single-label hosts (x@intranet) and reserved or local-only names
// (localhost, .local, .internal, .test, .invalid, .home.arpa, …) are
// refused, so a handler cannot make the server mail its own machine or
// network.
func NormalizeExternalEmail(s string) (string, error) {
	e, err := NormalizeEmail(s)
	if err != nil {
		return "", err
	}
	domain := strings.TrimSuffix(e[strings.LastIndexByte(e, '@')+1:], ".")
	if !publicDomain(domain) {
		return "", Errorf(EInvalid, "email %q is not an address on a public domain", e)
	}
	return e, nil
}

// localTLDs are top-level names that never resolve on the public
// internet (RFC 2606, 6761, 6762, 8375 and common private use).
var localTLDs = []string{"localhost", "local", "localdomain", "internal", "invalid", "test", "arpa", "lan",
	"intranet", "corp", "home", "private", "onion", "alt"}

// publicDomain reports whether d (lower case) looks like a public DNS name:
// at least two labels of letters, digits and inner hyphens (or non-ASCII
// for internationalised names), a top-level label that is not numeric and
// not a local-only name.
func publicDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r >= 0x80) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" || slices.Contains(localTLDs, tld) {
		return false
	}
	return true
}

// ValidateName checks a display name or title: required, bounded, no
// control characters.
func ValidateName(field, s string, maxLen int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(EInvalid, "%s is required", field)
	}
	if !utf8.ValidString(s) {
		return "", Errorf(EInvalid, "%s is not valid UTF-8", field)
	}
	if utf8.RuneCountInString(s) > maxLen {
		return "", Errorf(EInvalid, "%s is longer than %d characters", field, maxLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", Errorf(EInvalid, "%s contains control characters", field)
		}
	}
	return s, nil
}

// ValidateLocale returns the locale or the default for "".
func ValidateLocale(s string) (string, error) {
	switch s {
	case "":
		return LocaleEnglish, nil
	case LocaleEnglish, LocaleFinnish:
		return s, nil
	}
	return "", Errorf(EInvalid, "locale must be %q or %q", LocaleEnglish, LocaleFinnish)
}

// Page is a keyset page request: items after the cursor After (an id), at
// most Limit of them.
type Page struct {
	After int64 `json:"after"`
	Limit int   `json:"limit"`
}

// Limit bounds for lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	// MaxBatchSize bounds the limit of the store methods that take "at
	// most limit" as an int (MessageHistory, ChannelEventsSince,
	// NotifyJobClaim, ...): both engines answer a limit of 0 or less with
	// DefaultPageSize and one above MaxBatchSize with MaxBatchSize.
	MaxBatchSize = 10 * MaxPageSize
)

// BatchLimit is the limit a store method taking "at most n" applies:
// DefaultPageSize for 0 or less, at most MaxBatchSize. Both engines call it.
func BatchLimit(n int) int {
	if n <= 0 {
		return DefaultPageSize
	}
	return min(n, MaxBatchSize)
}

// Normalize clamps the limit.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	if p.After < 0 {
		p.After = 0
	}
	return p
}
