package inbound

import (
	"strings"

	"github.com/emersion/go-message/mail"
)

// automaticReason says why a message was written by a machine, or "" for
// mail a person wrote. Parley never answers such mail and never posts it,
// so that an out-of-office reply or a bounce cannot start a mail loop
// (RFC 3834). The reason names the header or rule that matched.
func automaticReason(h mail.Header, envelopeFrom, from string) string {
	if strings.TrimSpace(strings.Trim(envelopeFrom, "<>")) == "" {
		return "null sender"
	}
	if v := headerValue(h, "Auto-Submitted"); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch v := headerValue(h, "Precedence"); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	for _, key := range []string{"X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe"} {
		if h.Has(key) {
			return key
		}
	}
	if reason := suppressReason(headerValue(h, "X-Auto-Response-Suppress")); reason != "" {
		return reason
	}
	if t, _, err := h.ContentType(); err == nil && strings.EqualFold(t, "multipart/report") {
		return "Content-Type: multipart/report"
	}
	if systemMailbox(from) {
		return "From: " + from
	}
	if systemMailbox(strings.ToLower(strings.Trim(envelopeFrom, "<> "))) {
		return "envelope sender: " + envelopeFrom
	}
	return ""
}

// suppressReason reads Exchange's X-Auto-Response-Suppress, which Exchange
// sets to All or OOF on the automatic replies it sends itself.
func suppressReason(v string) string {
	for _, token := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if token == "all" || token == "oof" {
			return "X-Auto-Response-Suppress: " + token
		}
	}
	return ""
}

// systemMailbox is a mail system's own address, which sends bounces.
func systemMailbox(addr string) bool {
	local, _, _ := strings.Cut(addr, "@")
	switch local {
	case "mailer-daemon", "postmaster":
		return true
	}
	return false
}

// headerValue is a header's value, lower-case, without a comment or
// parameters ("auto-replied; owner-email=..." is "auto-replied").
func headerValue(h mail.Header, key string) string {
	v, _, _ := strings.Cut(h.Get(key), ";")
	if i := strings.IndexByte(v, '('); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}
