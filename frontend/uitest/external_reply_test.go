package uitest

import (
	"fmt"
	netmail "net/mail"
	"net/smtp"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/mail/smtptest"
	"parley/tools/freeport"
)

// TestExternalReplyByEmail: a handler adds an external address to a
// conversation; the address answers the email it got (its Reply-To, over
// SMTP to Parley's own listener), and the handler's open conversation
// shows the reply live, by the address, marked external.
func TestExternalReplyByEmail(t *testing.T) {
	t.Parallel()
	relay := smtptest.New(t, smtptest.Options{})
	inbound := freeport.Addr(t)
	srv := startServer(t, "PARLEY_SMTP_URL="+relay.URL(), "PARLEY_MAIL_FROM=chat@parley.example",
		"PARLEY_INBOUND_SMTP_ADDR="+inbound, "PARLEY_INBOUND_SMTP_DOMAIN=reply.parley.example")
	stamp := fmt.Sprint(time.Now().UnixNano())
	var conv struct {
		ID int64 `json:"id"`
	}
	srv.api(t, "employee@demo.example").must("POST", "/api/v1/conversations",
		map[string]any{"subject": "Audit " + stamp, "category_id": 1, "body": "hello " + stamp}, &conv)
	handler := srv.api(t, "handler@demo.example")
	handler.must("POST", fmt.Sprintf("/api/v1/conversations/%d/take", conv.ID), map[string]any{}, nil)

	hannu := newBrowser(t, srv, "hannu")
	hannu.login("handler@demo.example")
	hannu.route(fmt.Sprintf("#/conversation/%d", conv.ID))
	hannu.waitText("#messages .msg .body", "hello "+stamp)

	const auditor = "auditor@outside.example"
	handler.must("POST", fmt.Sprintf("/api/v1/conversations/%d/external-emails", conv.ID), map[string]any{"emails": []string{auditor}}, nil)
	var email *smtptest.Parsed
	deadline := time.Now().Add(30 * time.Second)
	for email == nil && time.Now().Before(deadline) {
		for _, m := range relay.Messages() {
			if slices.Contains(m.To, auditor) {
				p, err := m.Parse()
				if err != nil {
					t.Fatal(err)
				}
				email = p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if email == nil {
		t.Fatal("the external address got no email")
	}
	replyTo, err := netmail.ParseAddress(email.Header.Get("Reply-To"))
	if err != nil || !strings.HasSuffix(replyTo.Address, "@reply.parley.example") {
		t.Fatalf("Reply-To %q (%v), want a reply address", email.Header.Get("Reply-To"), err)
	}
	answer := "Ledger received " + stamp
	raw := "From: Auditor <" + auditor + ">\r\nTo: " + replyTo.Address + "\r\nSubject: Re: " + email.Subject +
		"\r\nMessage-ID: <ext-" + stamp + "@outside.example>\r\nIn-Reply-To: " + email.Header.Get("References") +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + answer + "\r\n\r\n> hello " + stamp + "\r\n"
	if err := smtp.SendMail(inbound, nil, auditor, []string{replyTo.Address}, []byte(raw)); err != nil {
		t.Fatalf("the reply was refused: %v", err)
	}
	hannu.waitText("#messages .msg .body", answer)
	hannu.waitJS("the reply by the address, marked external", fmt.Sprintf(`[...document.querySelectorAll('#messages .msg')].some(m =>
		m.querySelector('.body')?.textContent.includes(%q) && m.querySelector('.author')?.textContent === %q &&
		m.querySelector('.badge.external')?.textContent === 'ulkopuolinen')`, answer, auditor))
}
