package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/mail/smtptest"
)

// A real parley process configured by its operator with PARLEY_SMTP_URL
// (an SMTP server that receives and parses the mail) and
// PARLEY_NOTIFY_DELAY: an offline topic member gets exactly one email,
// not before the delay; an online member and a member who read the
// message during the delay get none, and the log says why.
func TestOutsideNotifyEmail(t *testing.T) {
	t.Parallel()
	const delay = 3 * time.Second
	mail := smtptest.New(t, smtptest.Options{})
	p := start(t, []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword,
		"PARLEY_SMTP_URL=" + mail.URL(), "PARLEY_NOTIFY_DELAY=" + delay.String(), "PARLEY_MAIL_FROM=chat@parley.example"})
	s := operatorOf(t, p.url, "admin@example.com")

	authorID, author := s.user("author@example.com", "employee", "messenger_manager")
	offlineID, offline := s.user("offline@example.com", "employee")
	onlineID, online := s.user("online@example.com", "employee")
	readerID, reader := s.user("reader@example.com", "employee")
	group := s.group("Payroll", authorID, offlineID, onlineID, readerID)
	topic := s.topic(author, group, map[string]any{"name": "Salaries", "email_notify": true, "notify_interval_seconds": 0})
	dialSocket(t, online) // online: connected, whatever it subscribes to
	// The offline member's session exists but has no socket.
	expect(t, "offline member reads the topic", offline.do("GET", fmt.Sprintf("/api/v1/messenger/topics/%d", topic), nil), 200, "", "")

	res := author.do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topic),
		map[string]any{"body": "the payday moves to Friday", "client_msg_id": "n-1"})
	expect(t, "post", res, 201, "", "")
	var msg struct {
		ID        int64
		CreatedAt time.Time `json:"created_at"`
	}
	res.decode(t, &msg)
	// The reader reads it during the delay.
	expect(t, "mark read", reader.do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/read", topic), nil), 200, "", "")

	// Wait until the log holds the final decision for every member.
	type decision struct {
		UserID    int64     `json:"user_id"`
		Outcome   string    `json:"outcome"`
		Detail    string    `json:"detail"`
		CreatedAt time.Time `json:"created_at"`
	}
	final := map[int64]decision{}
	eventually(t, 60*time.Second, "email decisions for the three members", func() bool {
		var log struct{ Items []decision }
		s.admin.do("GET", fmt.Sprintf("/api/v1/notifications/log?message=%d", msg.ID), nil).decode(t, &log)
		for _, d := range log.Items {
			final[d.UserID] = d
		}
		return final[offlineID].Outcome != "" && final[onlineID].Outcome != "" && final[readerID].Outcome != ""
	})
	if d := final[offlineID]; d.Outcome != "sent" {
		t.Fatalf("offline member: %+v, want sent", d)
	}
	if d := final[onlineID]; d.Outcome != "suppressed_online" {
		t.Fatalf("online member: %+v, want suppressed_online", d)
	}
	if d := final[readerID]; d.Outcome != "suppressed_read" {
		t.Fatalf("member who read it: %+v, want suppressed_read", d)
	}
	if d, ok := final[authorID]; ok && d.Outcome == "sent" {
		t.Fatalf("the author was emailed: %+v", d)
	}
	if sentAt := final[offlineID].CreatedAt; sentAt.Before(msg.CreatedAt.Add(delay)) {
		t.Fatalf("email sent %v after the message, before the configured delay %v", sentAt.Sub(msg.CreatedAt), delay)
	}

	got := mail.Messages()
	if len(got) != 1 {
		t.Fatalf("%d emails, want exactly 1: %+v", len(got), got)
	}
	if len(got[0].To) != 1 || got[0].To[0] != "offline@example.com" {
		t.Fatalf("email to %v, want offline@example.com", got[0].To)
	}
	parsed, err := got[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if from := parsed.Header.Get("From"); !strings.Contains(from, "chat@parley.example") {
		t.Fatalf("From %q, want the operator's PARLEY_MAIL_FROM", from)
	}
	link := fmt.Sprintf("%s/#/topic/%d", p.url, topic)
	if !strings.Contains(parsed.Text, link) || !strings.Contains(parsed.HTML, link) {
		t.Fatalf("email lacks the link %s:\ntext: %s\nhtml: %s", link, parsed.Text, parsed.HTML)
	}
	if strings.Contains(parsed.Text+parsed.HTML+parsed.Subject, "payday") {
		t.Fatalf("email quotes the message although excerpts are off by default:\n%s", parsed.Text)
	}
	p.stop()
	if n := len(mail.Messages()); n != 1 {
		t.Fatalf("%d emails after stopping, want 1", n)
	}
}
