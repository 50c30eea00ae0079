// Package inbound reads mail that people send back to Parley: replies to
// notification emails. Parse turns one raw RFC 5322 message into what the
// domain needs (who sent it, which thread it answers, the new text without
// the quoted history or signature, its attachments) and says whether it was
// written by a machine (an auto-reply or a bounce) so that no mail loop
// starts. The SMTP/LMTP listener that feeds it lives beside it.
//
// MIME decoding (multipart, transfer encodings, charsets, RFC 2047 and
// RFC 2231 parameters) is github.com/emersion/go-message; HTML is read with
// golang.org/x/net/html. What is hand-written here is the part no
// maintained Go library offers for our languages: finding where the quoted
// history and the signature start (reply.go).
package inbound

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // registers ISO-8859-x, Windows-125x and the other charsets with go-message
	"github.com/emersion/go-message/mail"
)

// Limits on one inbound message. A message over any of them is refused
// with one of the errors below rather than read in part, so that a reply
// is never stored incomplete.
const (
	// MaxMessageBytes bounds one inbound message, attachments included.
	MaxMessageBytes = 25 << 20
	// MaxParts bounds the MIME parts of one message, containers included.
	MaxParts = 100
	// MaxDepth bounds how deeply multiparts may nest.
	MaxDepth = 8
	// MaxAttachments bounds the files of one message.
	MaxAttachments = 20
	// MaxBodyBytes bounds one text or HTML body part after decoding.
	MaxBodyBytes = 4 << 20
	// maxReferences keeps the newest References of a long thread.
	maxReferences = 100
)

// Message is what Parley takes from one inbound mail.
type Message struct {
	MessageID  string   // without angle brackets; empty when the mail has none
	InReplyTo  string   // without angle brackets
	References []string // without angle brackets, oldest first
	From       string   // the header From address, lower-cased
	FromName   string   // the header From display name, decoded; may be empty
	To         []string // header To and Cc addresses, lower-cased
	Subject    string
	// Text is the reply itself: quoted history and signature removed,
	// trailing blank lines trimmed. Empty when nothing new was written.
	Text        string
	Attachments []Attachment
	// Automatic is set for mail no person wrote (auto-replies, bounces,
	// list traffic); Reason names the header or rule that said so.
	// The body of an automatic message is not read: Text and
	// Attachments stay empty.
	Automatic bool
	Reason    string
}

// Attachment is one file part of an inbound mail.
type Attachment struct {
	Filename    string // base name only, never empty
	ContentType string // as declared by the sender, lower-case, without parameters
	Data        []byte
}

// Errors Parse returns; each says which limit or rule the message broke.
var (
	ErrTooLarge           = errors.New("message is too large")
	ErrTooManyParts       = fmt.Errorf("message has more than %d MIME parts", MaxParts)
	ErrTooDeep            = fmt.Errorf("message nests MIME parts more than %d deep", MaxDepth)
	ErrTooManyAttachments = fmt.Errorf("message has more than %d attachments", MaxAttachments)
	ErrBodyTooLarge       = fmt.Errorf("message text is over %d bytes", MaxBodyBytes)
	// ErrMalformed wraps what the MIME reader could not make sense of.
	ErrMalformed = errors.New("malformed message")
)

// Parse reads one raw message. envelopeFrom is the SMTP MAIL FROM (empty
// for the null sender of a bounce).
func Parse(raw []byte, envelopeFrom string) (Message, error) {
	if len(raw) > MaxMessageBytes {
		return Message{}, ErrTooLarge
	}
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	h := mail.Header{Header: ent.Header}
	msg := readHeader(h)
	if reason := automaticReason(h, envelopeFrom, msg.From); reason != "" {
		msg.Automatic, msg.Reason = true, reason
		return msg, nil
	}
	w := walker{budget: MaxMessageBytes}
	if err := w.walk(ent, err, 0); err != nil {
		return Message{}, err
	}
	msg.Attachments = w.attachments
	msg.Text = replyText(w.body, msg.Subject)
	return msg, nil
}

// readHeader takes the thread, sender and subject from the header. A header
// that does not parse is left empty rather than refusing the mail: the
// domain decides what an empty From or thread means.
func readHeader(h mail.Header) Message {
	var msg Message
	msg.MessageID = msgID(h, "Message-Id")
	msg.InReplyTo = msgID(h, "In-Reply-To")
	msg.References = msgIDs(h, "References")
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		msg.From = strings.ToLower(from[0].Address)
		msg.FromName = from[0].Name
	}
	for _, key := range []string{"To", "Cc"} {
		list, _ := h.AddressList(key)
		for _, a := range list {
			msg.To = append(msg.To, strings.ToLower(a.Address))
		}
	}
	msg.Subject, _ = h.Subject()
	return msg
}

// msgID is the first message id of a header; a malformed one is kept as
// written, angle brackets trimmed, since some clients write bare ids.
func msgID(h mail.Header, key string) string {
	if ids := msgIDs(h, key); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

func msgIDs(h mail.Header, key string) []string {
	ids, err := h.MsgIDList(key)
	if err != nil || len(ids) == 0 {
		ids = ids[:0]
		for _, f := range strings.Fields(h.Get(key)) {
			if id := strings.Trim(f, "<>,"); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > maxReferences {
		ids = ids[len(ids)-maxReferences:]
	}
	return ids
}
