package chat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/rs/zerolog"

	"parley/chat"
	"parley/mail/inbound"
)

const rmDomain = "reply.parley.example"

// rmWorld is a notifier world with reply by email on and an inbound
// listener on a real port.
type rmWorld struct {
	*ntWorld
	addr string
}

func newRmWorld(t *testing.T, st chat.Store) *rmWorld {
	t.Helper()
	w := newNtWorld(t, st)
	w.replyDomain = rmDomain
	w.svc = w.newService(st, w.presence)
	w.notifier = w.newNotifier(t, w.svc)
	return &rmWorld{ntWorld: w, addr: rmListen(t, w.svc)}
}

// rmListen starts an inbound listener handing mail to svc; options
// change its configuration (LMTP, a unix socket).
func rmListen(t *testing.T, svc *chat.Service, options ...func(*inbound.Config)) string {
	t.Helper()
	cfg := inbound.Config{Addr: "127.0.0.1:0", Domain: rmDomain, Timeout: 20 * time.Second, Logger: zerolog.Nop()}
	for _, o := range options {
		o(&cfg)
	}
	srv, err := inbound.Listen(cfg, svc.Replies)
	ntNoErr(t, "inbound.Listen", err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("inbound Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("inbound Serve: %v", err)
		}
	})
	return srv.Addr().String()
}

// notifyMail has the notifier email u about what was just posted and
// returns that email's Reply-To and thread id.
func (w *rmWorld) notifyMail(t *testing.T, u chat.User) (replyTo, thread string) {
	t.Helper()
	w.stepThroughDelay(t)
	return w.replyHeaders(t, u.Email)
}

// replyHeaders checks the newest email to addr and returns its Reply-To
// and thread id.
func (w *rmWorld) replyHeaders(t *testing.T, to string) (replyTo, thread string) {
	t.Helper()
	mails := w.mailsTo(t, to)
	if len(mails) == 0 {
		t.Fatalf("%s got no email", to)
	}
	h := mails[len(mails)-1].Header
	addr, err := mail.ParseAddress(h.Get("Reply-To"))
	ntNoErr(t, "Reply-To of the notification", err)
	if !strings.HasPrefix(addr.Address, "reply+") || !strings.HasSuffix(addr.Address, "@"+rmDomain) || len(addr.Address) > 64+1+len(rmDomain) {
		t.Fatalf("Reply-To %q is not a reply address", addr.Address)
	}
	if h.Get("In-Reply-To") == "" || h.Get("In-Reply-To") != h.Get("References") || h.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("thread headers: In-Reply-To %q References %q Auto-Submitted %q", h.Get("In-Reply-To"), h.Get("References"),
			h.Get("Auto-Submitted"))
	}
	return addr.Address, h.Get("In-Reply-To")
}

// send delivers raw over SMTP from the envelope sender to rcpt; the
// error is the server's refusal, if any.
func (w *rmWorld) send(t *testing.T, envelopeFrom, rcpt string, raw string) error {
	t.Helper()
	return smtp.SendMail(w.addr, nil, envelopeFrom, []string{rcpt}, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

// wantSMTPCode checks a refusal's reply code (0: accepted).
func wantSMTPCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	var te *textproto.Error
	switch {
	case code == 0 && err != nil:
		t.Fatalf("%s: refused: %v", what, err)
	case code == 0:
	case !errors.As(err, &te) || te.Code != code:
		t.Fatalf("%s: answer %v, want %d", what, err, code)
	}
}

// fates lists the recorded fates of inbound mail in the tenant, oldest
// first.
func (w *rmWorld) fates(t *testing.T) []chat.NotifyOutcome {
	t.Helper()
	ds, err := w.st.NotifyDecisionList(t.Context(), w.f.Tenant.ID, 0, 0, chat.Page{Limit: chat.MaxPageSize})
	ntNoErr(t, "NotifyDecisionList", err)
	var out []chat.NotifyOutcome
	for _, d := range ds {
		if d.Via == chat.ViaReplyMail {
			out = append(out, d.Outcome)
		}
	}
	return out
}

func (w *rmWorld) wantFates(t *testing.T, want ...chat.NotifyOutcome) {
	t.Helper()
	if got := w.fates(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("inbound fates %v, want %v", got, want)
	}
}

// textsBy returns the bodies of u's text messages in ch, oldest first.
func (w *rmWorld) textsBy(t *testing.T, ch chat.Channel, u chat.User) []chat.Message {
	t.Helper()
	msgs, err := w.st.MessageHistory(t.Context(), w.f.Tenant.ID, ch, 0, 100)
	ntNoErr(t, "MessageHistory", err)
	var out []chat.Message
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].AuthorID == u.ID && msgs[i].Kind == chat.MessageText {
			out = append(out, msgs[i])
		}
	}
	return out
}

// gmailReply is a reply as Gmail writes it: the new text, the quote
// header and the quoted notification, with a text attachment.
func gmailReply(from, to, msgID, thread, text string) string {
	return `From: Someone <` + from + `>
To: ` + to + `
Subject: Re: New conversation
Message-ID: <` + msgID + `>
In-Reply-To: ` + thread + `
References: ` + thread + `
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset="UTF-8"

` + text + `

On Wed, 2 Dec 2026 at 10:00, Parley <noreply@parley.example> wrote:
> A new conversation was started.
> Open it: https://chat.example/
--b1
Content-Type: text/plain; charset="UTF-8"; name="payslip-notes.txt"
Content-Disposition: attachment; filename="payslip-notes.txt"

March payslip notes
--b1--
`
}

// forgedReplyTo is replyTo with one character of its token's signature
// changed.
func forgedReplyTo(replyTo string) string {
	at := strings.IndexByte(replyTo, '@') - 3
	swap := map[bool]string{true: "b", false: "a"}[replyTo[at] == 'a']
	return replyTo[:at] + swap + replyTo[at+1:]
}

// plainReply is a one-part reply with extra header lines.
func plainReply(from, to, msgID, extra, text string) string {
	return "From: " + from + "\nTo: " + to + "\nSubject: Re: thread\nMessage-ID: <" + msgID + ">\n" + extra +
		"Content-Type: text/plain; charset=utf-8\n\n" + text + "\n"
}

// TestReplyByEmailConversation: a handler answers the notification of a
// new conversation from their mail client; the reply lands once, with
// its attachment and without the quote, and every refusal or ignored
// mail is answered as it should be and logged.
func TestReplyByEmailConversation(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newRmWorld(t, e.open(t))
		f := w.f
		handlerRole := f.Roles[chat.RoleMessageHandler].ID
		cat := f.NewCategory(t, "Payroll", handlerRole)
		v, err := w.svc.Conversations.CreateConversation(w.as(t, f.Manager), chat.NewConversationInput{Subject: "Payslip wrong",
			CategoryID: cat.ID, Body: "The March payslip is wrong"})
		ntNoErr(t, "CreateConversation", err)
		ch := chat.ConversationChannel(v.ID)
		replyTo, thread := w.notifyMail(t, f.Handler)
		handler := f.Handler.Email

		raw := gmailReply(handler, replyTo, "r1@mail.example", thread, "Thanks, we will fix it.")
		wantSMTPCode(t, "reply", w.send(t, handler, replyTo, raw), 0)
		got := w.textsBy(t, ch, f.Handler)
		if len(got) != 1 || got[0].Body != "Thanks, we will fix it." || len(got[0].Attachments) != 1 ||
			got[0].Attachments[0].Filename != "payslip-notes.txt" {
			t.Fatalf("handler's messages after the reply: %+v", got)
		}
		if evs := w.events.of(chat.EventMessageNew); len(evs) == 0 || evs[len(evs)-1].Channel != ch {
			t.Fatalf("the reply was not published live: %+v", evs)
		}
		// The same mail again (a retry, a second MX): stored once.
		wantSMTPCode(t, "the same mail again", w.send(t, handler, replyTo, raw), 0)

		forged := forgedReplyTo(replyTo)
		wantSMTPCode(t, "forged token", w.send(t, handler, forged, plainReply(handler, forged, "r2@mail.example", "", "Forged")), 550)
		// Another sender, in the header and the envelope.
		wantSMTPCode(t, "another sender", w.send(t, "mallory@evil.example", replyTo,
			plainReply("mallory@evil.example", replyTo, "r3@mail.example", "", "Let me in")), 550)
		// The right envelope but another header From.
		wantSMTPCode(t, "another header From", w.send(t, handler, replyTo,
			plainReply("mallory@evil.example", replyTo, "r4@mail.example", "", "Let me in")), 550)
		// An auto-reply and a bounce are taken and dropped: no loop.
		wantSMTPCode(t, "auto-reply", w.send(t, handler, replyTo,
			plainReply(handler, replyTo, "r5@mail.example", "Auto-Submitted: auto-replied\n", "I am on holiday")), 0)
		wantSMTPCode(t, "bounce", w.send(t, "", replyTo,
			plainReply("mailer-daemon@mail.example", replyTo, "r6@mail.example", "", "Delivery failed")), 0)
		// An address that is not a reply address is refused at RCPT.
		wantSMTPCode(t, "unknown recipient", w.send(t, handler, "postmaster@"+rmDomain,
			plainReply(handler, "postmaster@"+rmDomain, "r7@mail.example", "", "Hello")), 550)
		// Past its lifetime the address no longer works.
		w.clock.Advance(31 * 24 * time.Hour)
		wantSMTPCode(t, "expired", w.send(t, handler, replyTo, plainReply(handler, replyTo, "r8@mail.example", "", "Late")), 550)

		if got := w.textsBy(t, ch, f.Handler); len(got) != 1 {
			t.Fatalf("handler has %d messages, want only the first reply", len(got))
		}
		w.wantFates(t, chat.FateAccepted, chat.FateDuplicate, chat.FateBadToken, chat.FateWrongSender, chat.FateWrongSender,
			chat.FateAutomatic, chat.FateAutomatic, chat.FateExpired)
	})
}

// TestReplyByEmailTopic: a reply to a topic notification posts in the
// topic as the member; logging out everywhere revokes the address.
func TestReplyByEmailTopic(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newRmWorld(t, e.open(t))
		ch := chat.TopicChannel(w.topic.ID)
		w.post(t, w.author, ch, "Who has the March figures?")
		replyTo, _ := w.notifyMail(t, w.member)
		m := w.member.Email
		wantSMTPCode(t, "reply", w.send(t, m, replyTo, plainReply(m, replyTo, "t1@mail.example", "", "I have them.")), 0)
		if got := w.textsBy(t, ch, w.member); len(got) != 1 || got[0].Body != "I have them." {
			t.Fatalf("member's topic messages: %+v", got)
		}
		// An empty reply (only the quote) adds nothing.
		wantSMTPCode(t, "empty", w.send(t, m, replyTo, plainReply(m, replyTo, "t2@mail.example", "", "")), 0)

		ntNoErr(t, "LogoutEverywhere", w.svc.Sessions.LogoutEverywhere(w.as(t, w.member)))
		wantSMTPCode(t, "revoked", w.send(t, m, replyTo, plainReply(m, replyTo, "t3@mail.example", "", "Again")), 550)
		if got := w.textsBy(t, ch, w.member); len(got) != 1 {
			t.Fatalf("member has %d topic messages, want 1", len(got))
		}
		w.wantFates(t, chat.FateAccepted, chat.FateEmpty, chat.FateExpired)
	})
}

// TestReplyByEmailTwoNodes: two nodes on one PostgreSQL database, each
// with its own listener, receive the same mail at once; it is stored
// once.
func TestReplyByEmailTwoNodes(t *testing.T) {
	t.Parallel()
	stores := engines[1].nodes(t, 2)
	w := newRmWorld(t, stores[0])
	other := chat.NewService(chat.Config{Store: stores[1], Publisher: w.events, Clock: w.clock, Logger: zerolog.Nop(),
		NotifyDelay: ntDelay, PublicURL: ntPublicURL, ReplyDomain: rmDomain})
	addrs := []string{w.addr, rmListen(t, other)}
	ch := chat.TopicChannel(w.topic.ID)
	w.post(t, w.author, ch, "Figures?")
	replyTo, _ := w.notifyMail(t, w.member)
	m := w.member.Email
	raw := strings.ReplaceAll(plainReply(m, replyTo, "same@mail.example", "", "Here."), "\n", "\r\n")
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Go(func() {
			if err := smtp.SendMail(a, nil, m, []string{replyTo}, []byte(raw)); err != nil {
				t.Errorf("node %s refused: %v", a, err)
			}
		})
	}
	wg.Wait()
	if got := w.textsBy(t, ch, w.member); len(got) != 1 {
		t.Fatalf("member has %d messages after two nodes received one mail, want 1", len(got))
	}
	fates := fmt.Sprint(w.fates(t))
	if fates != fmt.Sprint([]chat.NotifyOutcome{chat.FateAccepted, chat.FateDuplicate}) &&
		fates != fmt.Sprint([]chat.NotifyOutcome{chat.FateDuplicate, chat.FateAccepted}) {
		t.Fatalf("fates %s, want one accepted and one duplicate", fates)
	}
}

// TestReplyByEmailLMTP: behind Postfix, Parley is an LMTP target on a
// unix socket. One delivery to two recipients is answered for each on
// its own: the member's reply address is taken, a forged one refused,
// and the reply is posted once.
func TestReplyByEmailLMTP(t *testing.T) {
	t.Parallel()
	w := newRmWorld(t, newSQLite(t))
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	rmListen(t, w.svc, func(c *inbound.Config) { c.Addr, c.LMTP = sock, true })
	ch := chat.TopicChannel(w.topic.ID)
	w.post(t, w.author, ch, "Who has the March figures?")
	replyTo, _ := w.notifyMail(t, w.member)
	forged := forgedReplyTo(replyTo)
	m := w.member.Email

	conn, err := net.Dial("unix", sock)
	ntNoErr(t, "dial the LMTP socket", err)
	c := gosmtp.NewClientLMTP(conn)
	defer c.Close()
	ntNoErr(t, "LHLO", c.Hello("postfix.example"))
	ntNoErr(t, "MAIL", c.Mail(m, nil))
	ntNoErr(t, "RCPT reply address", c.Rcpt(replyTo, nil))
	ntNoErr(t, "RCPT forged", c.Rcpt(forged, nil))
	wc, err := c.Data()
	ntNoErr(t, "DATA", err)
	_, err = io.WriteString(wc, strings.ReplaceAll(plainReply(m, replyTo, "lmtp@mail.example", "", "I have them."), "\n", "\r\n"))
	ntNoErr(t, "write the message", err)
	accepted, err := wc.CloseWithLMTPResponse()
	var perRecipient gosmtp.LMTPDataError
	if !errors.As(err, &perRecipient) || len(perRecipient) != 1 || perRecipient[forged] == nil || perRecipient[forged].Code != 550 {
		t.Fatalf("LMTP answers: accepted %v, error %v; want the forged recipient refused with 550", accepted, err)
	}
	if _, ok := accepted[replyTo]; !ok {
		t.Fatalf("the reply address was not accepted: %v", accepted)
	}
	ntNoErr(t, "QUIT", c.Quit())
	if got := w.textsBy(t, ch, w.member); len(got) != 1 || got[0].Body != "I have them." {
		t.Fatalf("member's topic messages: %+v", got)
	}
	w.wantFates(t, chat.FateAccepted, chat.FateBadToken)
}

// newTopicReply is a world on SQLite whose member got a topic
// notification: its reply address and token.
func newTopicReply(t *testing.T) (*rmWorld, string, string) {
	t.Helper()
	w := newRmWorld(t, newSQLite(t))
	w.post(t, w.author, chat.TopicChannel(w.topic.ID), "hello")
	addr, _ := w.notifyMail(t, w.member)
	token, ok := chat.ParseReplyAddress(addr, rmDomain)
	if !ok {
		t.Fatalf("ParseReplyAddress(%q) refused its own address", addr)
	}
	return w, addr, token
}

// TestParseReplyAddress: only reply+TOKEN@domain with a token of our
// form is taken, whatever case a mail system gave it.
func TestParseReplyAddress(t *testing.T) {
	t.Parallel()
	w, addr, token := newTopicReply(t)
	if up, ok := chat.ParseReplyAddress(strings.ToUpper(addr), strings.ToUpper(rmDomain)); !ok || !strings.EqualFold(up, token) {
		t.Fatalf("the upper-cased address was refused")
	}
	tok, err := chat.ParseReplyToken(strings.ToUpper(token))
	ntNoErr(t, "ParseReplyToken upper-cased", err)
	if tok.UserID != w.member.ID || tok.TenantID != w.f.Tenant.ID || tok.Channel != chat.TopicChannel(w.topic.ID) {
		t.Fatalf("token %+v, want the member, tenant and topic", tok)
	}
	for _, bad := range []string{"reply+" + token + "@other.example", "noreply+" + token + "@" + rmDomain, "reply+@" + rmDomain,
		"reply+abc@" + rmDomain, token + "@" + rmDomain, "reply+" + token} {
		if _, ok := chat.ParseReplyAddress(bad, rmDomain); ok {
			t.Errorf("ParseReplyAddress(%q) took it", bad)
		}
	}
}

// TestReplyByEmailRateLimit: past 30 mails an hour from one sender the
// next is refused (451 over SMTP, so the sender's server retries), and
// an hour later mail is taken again.
func TestReplyByEmailRateLimit(t *testing.T) {
	t.Parallel()
	w, replyTo, token := newTopicReply(t)
	m := w.member.Email
	for i := range 30 {
		res, err := w.svc.Replies.ReplyByEmail(t.Context(), chat.InboundMail{Token: token, EnvelopeFrom: m, From: m,
			MessageID: fmt.Sprintf("rl-%d@mail.example", i), Text: "reply " + itoa(int64(i))})
		if err != nil || res.Fate != chat.FateAccepted {
			t.Fatalf("mail %d: %+v %v", i, res, err)
		}
	}
	wantSMTPCode(t, "the 31st mail", w.send(t, m, replyTo, plainReply(m, replyTo, "rl-31@mail.example", "", "one more")), 451)
	w.clock.Advance(time.Hour + time.Second)
	wantSMTPCode(t, "an hour later", w.send(t, m, replyTo, plainReply(m, replyTo, "rl-32@mail.example", "", "later")), 0)
	if got := len(w.textsBy(t, chat.TopicChannel(w.topic.ID), w.member)); got != 31 {
		t.Fatalf("member has %d messages, want 31", got)
	}
}
