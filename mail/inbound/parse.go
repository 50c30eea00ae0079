// Package inbound reads mail that people send back to Parley: replies to
// notification emails. Parse turns one raw RFC 5322 message into what the
// domain needs (who sent it, which thread it answers, the new text without
// the quoted history or signature, its attachments) and says whether it was
// written by a machine (an auto-reply or a bounce) so that no mail loop
// starts. The SMTP/LMTP listener that feeds it lives beside it.
package inbound

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"
)

// MaxMessageBytes bounds one inbound message, attachments included.
const MaxMessageBytes = 25 << 20

// Message is what Parley takes from one inbound mail.
type Message struct {
	MessageID  string   // without angle brackets; empty when the mail has none
	InReplyTo  string   // without angle brackets
	References []string // without angle brackets, oldest first
	From       string   // the header From address, lower-cased
	To         []string // header To and Cc addresses, lower-cased
	Subject    string
	// Text is the reply itself: quoted history and signature removed,
	// trailing blank lines trimmed. Empty when nothing new was written.
	Text        string
	Attachments []Attachment
	// Automatic is set for mail no person wrote (auto-replies, bounces,
	// list traffic); Reason names the header or rule that said so.
	Automatic bool
	Reason    string
}

// Attachment is one file part of an inbound mail.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// ErrTooLarge is returned when a message is over MaxMessageBytes.
var ErrTooLarge = errors.New("message is too large")

// Parse reads one raw message. envelopeFrom is the SMTP MAIL FROM (empty
// for the null sender of a bounce).
//
// This first cut reads single-part text mail only; quote and signature
// stripping, MIME multipart and attachments come with the parser proper.
func Parse(raw []byte, envelopeFrom string) (Message, error) {
	if len(raw) > MaxMessageBytes {
		return Message{}, ErrTooLarge
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	var msg Message
	msg.MessageID = strings.Trim(m.Header.Get("Message-Id"), "<> ")
	msg.InReplyTo = strings.Trim(m.Header.Get("In-Reply-To"), "<> ")
	for _, ref := range strings.Fields(m.Header.Get("References")) {
		msg.References = append(msg.References, strings.Trim(ref, "<>"))
	}
	if from, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
		msg.From = strings.ToLower(from.Address)
	}
	for _, h := range []string{"To", "Cc"} {
		list, _ := m.Header.AddressList(h)
		for _, a := range list {
			msg.To = append(msg.To, strings.ToLower(a.Address))
		}
	}
	msg.Subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return Message{}, err
	}
	msg.Text = strings.TrimSpace(string(body))
	switch {
	case envelopeFrom == "":
		msg.Automatic, msg.Reason = true, "null sender"
	case m.Header.Get("Auto-Submitted") != "" && !strings.EqualFold(m.Header.Get("Auto-Submitted"), "no"):
		msg.Automatic, msg.Reason = true, "Auto-Submitted"
	}
	return msg, nil
}
