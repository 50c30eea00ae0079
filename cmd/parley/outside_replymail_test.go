package main

import (
	"fmt"
	netmail "net/mail"
	"net/smtp"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/mail/smtptest"
)

// A real parley process with reply by email on: an offline topic member
// gets the notification email (read from the SMTP relay), answers its
// Reply-To over SMTP to Parley's own listener, and the reply is in the
// topic as theirs; the metric counts it.
func TestOutsideReplyByEmail(t *testing.T) {
	t.Parallel()
	relay := smtptest.New(t, smtptest.Options{})
	p := start(t, []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword,
		"PARLEY_SMTP_URL=" + relay.URL(), "PARLEY_NOTIFY_DELAY=1s", "PARLEY_MAIL_FROM=chat@parley.example",
		"PARLEY_INBOUND_SMTP_ADDR=127.0.0.1:0", "PARLEY_INBOUND_SMTP_DOMAIN=reply.parley.example"})
	inboundAddr := p.stderr.waitFor(t, regexp.MustCompile(`"inbound":"([^"]+)"`), p.exited)[1]
	s := operatorOf(t, p.url, "admin@example.com")
	authorID, author := s.user("author@example.com", "employee", "messenger_manager")
	memberID, member := s.user("member@example.com", "employee")
	group := s.group("Payroll", authorID, memberID)
	topic := s.topic(author, group, map[string]any{"name": "Salaries", "email_notify": true, "notify_interval_seconds": 0})
	path := fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topic)
	expect(t, "post", author.do("POST", path, map[string]any{"body": "who has the March figures?", "client_msg_id": "r-1"}), 201, "", "")

	var notification *smtptest.Parsed
	eventually(t, 60*time.Second, "the member's notification email", func() bool {
		for _, m := range relay.Messages() {
			if len(m.To) == 1 && m.To[0] == "member@example.com" {
				parsed, err := m.Parse()
				if err != nil {
					t.Fatal(err)
				}
				notification = parsed
				return true
			}
		}
		return false
	})
	replyTo, err := netmail.ParseAddress(notification.Header.Get("Reply-To"))
	if err != nil || !strings.HasSuffix(replyTo.Address, "@reply.parley.example") {
		t.Fatalf("Reply-To %q (%v), want a reply address", notification.Header.Get("Reply-To"), err)
	}
	thread := notification.Header.Get("References")
	raw := "From: Member <member@example.com>\r\nTo: " + replyTo.Address + "\r\nSubject: Re: " + notification.Subject +
		"\r\nMessage-ID: <outside-1@mail.example>\r\nIn-Reply-To: " + thread + "\r\nReferences: " + thread +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI have them, sending today.\r\n"
	if err := smtp.SendMail(inboundAddr, nil, "member@example.com", []string{replyTo.Address}, []byte(raw)); err != nil {
		t.Fatalf("the reply was refused: %v", err)
	}
	var hist struct{ Items []wireMessage }
	member.do("GET", path, nil).decode(t, &hist)
	found := 0
	for _, m := range hist.Items {
		if m.Body == "I have them, sending today." && m.AuthorID == memberID {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("topic history %+v: the member's reply %d times, want once", hist.Items, found)
	}
	if got := metric(t, s.admin, `parley_inbound_mail_total{fate="reply_accepted"}`); got != 1 {
		t.Fatalf("parley_inbound_mail_total{fate=reply_accepted} = %v, want 1", got)
	}
	p.stop()
}
