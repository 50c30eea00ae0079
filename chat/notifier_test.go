package chat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/hub"
	"parley/hub/redistest"
	"parley/mail"
	"parley/mail/smtptest"
	"parley/push"
	"parley/push/pushtest"
	"parley/storage/pgtest"
	"parley/storage/storetest"
)

const (
	ntDelay     = 2 * time.Minute
	ntInterval  = 10 * time.Minute
	ntPublicURL = "https://chat.example/"
)

// ntWorld is one node on a real store with a real SMTP server: a tenant
// with a group (author, member, member2) and an emailing topic.
type ntWorld struct {
	st       chat.Store
	svc      *chat.Service
	clock    *fakeClock
	events   *recorder
	presence *hub.MemoryPresence
	smtp     *smtptest.Server
	mailer   chat.Mailer
	pushSvc  *pushtest.Server
	pusher   *push.Pusher
	notifier *chat.Notifier
	f        *storetest.Fixture
	// replyDomain turns reply by email on in services made after it is
	// set (newService).
	replyDomain string

	author, member, member2 chat.User
	group                   chat.Group
	topic                   chat.Topic
}

func newNtWorld(t *testing.T, st chat.Store) *ntWorld {
	t.Helper()
	w := &ntWorld{st: st, clock: &fakeClock{now: storetest.Now().Truncate(time.Second)}, events: &recorder{},
		presence: hub.NewMemoryPresence(), smtp: smtptest.New(t, smtptest.Options{}), pushSvc: pushtest.New(t)}
	key, err := push.GenerateKey()
	ntNoErr(t, "push.GenerateKey", err)
	w.pusher, err = push.New(push.Config{PrivateKey: key, Subject: "mailto:ops@parley.example",
		Hosts: []string{w.pushSvc.Host()}, Client: w.pushSvc.Client()})
	ntNoErr(t, "push.New", err)
	w.pushSvc.ExpectKey(w.pusher.PublicKey())
	w.svc = w.newService(st, w.presence)
	m, err := mail.NewSMTP(mail.SMTPConfig{URL: w.smtp.URL(), Timeout: 10 * time.Second})
	ntNoErr(t, "mail.NewSMTP", err)
	w.mailer = m
	w.notifier = w.newNotifier(t, w.svc)
	w.f = storetest.NewFixture(t, st, "notify")
	emp := w.f.Roles[chat.RoleEmployee].ID
	w.author = w.f.NewUser(t, "author", nil, []int64{emp})
	w.member = w.f.NewUser(t, "member", nil, []int64{emp})
	w.member2 = w.f.NewUser(t, "member2", nil, []int64{emp})
	w.group = w.f.NewGroup(t, "Payroll", w.author.ID, w.member.ID, w.member2.ID)
	w.topic = w.f.NewTopic(t, w.group.ID, "Payments processing")
	w.topic.EmailNotify, w.topic.NotifyInterval = true, ntInterval
	ntNoErr(t, "TopicUpdate", st.TopicUpdate(t.Context(), w.topic))
	return w
}

func (w *ntWorld) newService(st chat.Store, p chat.Presence) *chat.Service {
	return chat.NewService(chat.Config{Store: st, Publisher: w.events, Presence: p, Clock: w.clock,
		Logger: zerolog.Nop(), NotifyDelay: ntDelay, PublicURL: ntPublicURL, PushHosts: w.pusher.Hosts(), ReplyDomain: w.replyDomain})
}

func (w *ntWorld) newNotifier(t *testing.T, svc *chat.Service) *chat.Notifier {
	t.Helper()
	n, err := chat.NewNotifier(svc, chat.NotifierConfig{Mailer: w.mailer, Pusher: w.pusher, From: "noreply@parley.example",
		Logger: zerolog.Nop(), RetryBase: time.Minute, MaxAttempts: 3, PollInterval: time.Hour})
	ntNoErr(t, "NewNotifier", err)
	return n
}

// as returns a context carrying u's principal from a real session.
func (w *ntWorld) as(t *testing.T, u chat.User) context.Context {
	t.Helper()
	return chat.WithPrincipal(t.Context(), principalOf(t, w, w.svc, u))
}

func (w *ntWorld) post(t *testing.T, u chat.User, ch chat.Channel, body string, mentions ...int64) chat.Message {
	t.Helper()
	m, err := w.svc.Messages.Publish(w.as(t, u), chat.PublishInput{Channel: ch, Body: body, Mentions: mentions})
	ntNoErr(t, "Publish", err)
	return m
}

// step runs the worker until nothing is due (it claims one job at a
// time) and returns how many jobs it worked.
func (w *ntWorld) step(t *testing.T) int {
	t.Helper()
	total := 0
	for {
		n, err := w.notifier.ProcessDue(t.Context())
		ntNoErr(t, "ProcessDue", err)
		if n == 0 {
			return total
		}
		total += n
	}
}

// stepThroughDelay runs the jobs due now (a post's fan-out), lets the
// notification delay pass and runs those that became due (the sends).
func (w *ntWorld) stepThroughDelay(t *testing.T) {
	t.Helper()
	w.step(t)
	w.clock.Advance(ntDelay)
	w.step(t)
}

// stepOne runs the worker once: one claim.
func (w *ntWorld) stepOne(t *testing.T) int {
	t.Helper()
	n, err := w.notifier.ProcessDue(t.Context())
	ntNoErr(t, "ProcessDue", err)
	return n
}

// decisions returns the outcomes recorded about a message, by user.
func (w *ntWorld) decisions(t *testing.T, messageID int64) map[int64][]chat.NotifyOutcome {
	t.Helper()
	ds, err := w.st.NotifyDecisionList(t.Context(), w.f.Tenant.ID, 0, messageID, chat.Page{Limit: chat.MaxPageSize})
	ntNoErr(t, "NotifyDecisionList", err)
	out := map[int64][]chat.NotifyOutcome{}
	for _, d := range ds {
		out[d.UserID] = append(out[d.UserID], d.Outcome)
	}
	return out
}

func (w *ntWorld) wantOutcome(t *testing.T, messageID int64, u chat.User, want chat.NotifyOutcome) {
	t.Helper()
	got := w.decisions(t, messageID)[u.ID]
	if len(got) != 1 || got[0] != want {
		t.Fatalf("decisions about %s for message %d = %v, want [%s]", u.Email, messageID, got, want)
	}
}

// mailsTo returns the parsed messages delivered to addr.
func (w *ntWorld) mailsTo(t *testing.T, addr string) []*smtptest.Parsed {
	t.Helper()
	var out []*smtptest.Parsed
	for _, m := range w.smtp.Messages() {
		if slices.Contains(m.To, addr) {
			p, err := m.Parse()
			ntNoErr(t, "parse mail", err)
			out = append(out, p)
		}
	}
	return out
}

func ntNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestNotifierOfflineMemberGetsOneEmail(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ch := chat.TopicChannel(w.topic.ID)
	m := w.post(t, w.author, ch, "The salary run for March is late")

	if got := w.step(t); got != 1 {
		t.Fatalf("expand: claimed %d jobs, want 1", got)
	}
	// Nothing is due before the delay.
	w.clock.Advance(ntDelay - time.Second)
	if got := w.step(t); got != 0 || len(w.smtp.Messages()) != 0 {
		t.Fatalf("before the delay: claimed %d, mails %d", got, len(w.smtp.Messages()))
	}
	w.clock.Advance(time.Second)
	if got := w.step(t); got != 2 {
		t.Fatalf("after the delay: claimed %d jobs, want 2 (member, member2)", got)
	}
	mails := w.mailsTo(t, w.member.Email)
	if len(mails) != 1 {
		t.Fatalf("member got %d mails, want 1", len(mails))
	}
	p := mails[0]
	if p.Subject != "New message in Payments processing" {
		t.Errorf("subject %q", p.Subject)
	}
	link := "https://chat.example/#/topic/" + itoa(w.topic.ID)
	if !strings.Contains(p.Text, link) || !strings.Contains(p.HTML, link) {
		t.Errorf("link %s missing:\n%s\n%s", link, p.Text, p.HTML)
	}
	if strings.Contains(p.Text, "salary") || strings.Contains(p.HTML, "salary") {
		t.Errorf("the body leaked without excerpts allowed:\n%s", p.Text)
	}
	if got := p.Header.Get("From"); !strings.Contains(got, "noreply@parley.example") {
		t.Errorf("From %q", got)
	}
	if len(w.mailsTo(t, w.author.Email)) != 0 {
		t.Error("the author was emailed")
	}
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeSent)
	w.wantOutcome(t, m.ID, w.member2, chat.OutcomeSent)
	w.wantOutcome(t, m.ID, w.author, chat.OutcomeAuthor)

	// Nothing is left: a later pass sends nothing more.
	w.clock.Advance(24 * time.Hour)
	if got := w.step(t); got != 0 || len(w.smtp.Messages()) != 2 {
		t.Fatalf("later pass claimed %d, mails %d", got, len(w.smtp.Messages()))
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestNotifierIntervalAndMentions(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ch := chat.TopicChannel(w.topic.ID)
	first := w.post(t, w.author, ch, "first")
	w.clock.Advance(ntInterval - time.Second)
	// Too soon for the topic, but member2 is mentioned.
	second := w.post(t, w.author, ch, "second", w.member2.ID)
	w.stepThroughDelay(t)
	w.wantOutcome(t, first.ID, w.member, chat.OutcomeSent)
	w.wantOutcome(t, second.ID, w.member, chat.OutcomeInterval)
	w.wantOutcome(t, second.ID, w.member2, chat.OutcomeSent)
	if got := len(w.mailsTo(t, w.member.Email)); got != 1 {
		t.Errorf("member got %d mails, want 1", got)
	}
	mention := w.mailsTo(t, w.member2.Email)
	if len(mention) != 2 || mention[1].Subject != "User author mentioned you in Payments processing" {
		t.Fatalf("member2 mails %d, last subject %q", len(mention), mention[len(mention)-1].Subject)
	}
	// The mention made an in-app notification, delivered live.
	evs := w.events.notifications(w.member2.ID)
	if len(evs) != 1 || evs[0].Notification == nil || evs[0].Notification.Kind != string(chat.ReasonMention) || evs[0].Unread != 1 {
		t.Fatalf("member2 notification events %+v", evs)
	}
	if len(w.events.notifications(w.member.ID)) != 0 {
		t.Error("a plain topic message made an in-app notification")
	}
}

func TestNotifierRecheckAtSendTime(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ch := chat.TopicChannel(w.topic.ID)
	m := w.post(t, w.author, ch, "hello")
	w.step(t)
	// During the delay: member reads it; member2 comes online.
	_, err := w.svc.Messages.MarkRead(w.as(t, w.member), ch, m.Seq)
	ntNoErr(t, "MarkRead", err)
	ntNoErr(t, "presence", w.presence.Add(t.Context(), w.f.Tenant.ID, w.member2.ID))
	w.clock.Advance(ntDelay)
	w.step(t)
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails sent, want none", n)
	}
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeRead)
	w.wantOutcome(t, m.ID, w.member2, chat.OutcomeOnline)
}

func TestNotifierMutesAndPreferences(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ch := chat.TopicChannel(w.topic.ID)
	ntNoErr(t, "SetMuted", w.svc.Notifications.SetMuted(w.as(t, w.member), ch, true))
	muted, err := w.svc.Notifications.Muted(w.as(t, w.member), ch)
	if err != nil || !muted {
		t.Fatalf("Muted = %v, %v", muted, err)
	}
	off := false
	prefs, err := w.svc.Notifications.SetNotificationPrefs(w.as(t, w.member2), chat.NotificationPrefsChange{EmailNotifications: &off})
	ntNoErr(t, "SetNotificationPrefs", err)
	if got, _ := w.svc.Notifications.NotificationPrefs(w.as(t, w.member2)); got != prefs || got.EmailNotifications {
		t.Fatalf("prefs %+v", got)
	}
	m := w.post(t, w.author, ch, "hello", w.member.ID, w.member2.ID)
	w.stepThroughDelay(t)
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails sent, want none", n)
	}
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeMuted)
	w.wantOutcome(t, m.ID, w.member2, chat.OutcomePreference)
	// A mute silences mentions in the app too; email off does not.
	if n := len(w.events.notifications(w.member.ID)); n != 0 {
		t.Errorf("muted member got %d notification events", n)
	}
	if n := len(w.events.notifications(w.member2.ID)); n != 1 {
		t.Errorf("member2 with email off got %d notification events, want 1", n)
	}
	// Outsiders cannot mute a topic they cannot read.
	outsider := w.f.NewUser(t, "outsider", nil, nil)
	if err := w.svc.Notifications.SetMuted(w.as(t, outsider), ch, true); !chat.IsCode(err, chat.ENotFound) {
		t.Fatalf("outsider SetMuted: %v", err)
	}
}

func TestNotifierTopicOffOnlyMentions(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	w.topic.EmailNotify = false
	ntNoErr(t, "TopicUpdate", w.st.TopicUpdate(t.Context(), w.topic))
	ch := chat.TopicChannel(w.topic.ID)
	quiet := w.post(t, w.author, ch, "nobody hears this")
	m := w.post(t, w.author, ch, "but you do", w.member.ID)
	w.stepThroughDelay(t)
	if got := w.decisions(t, quiet.ID); len(got) != 0 {
		t.Errorf("a quiet topic message without mentions has decisions %v", got)
	}
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeSent)
	if got := w.decisions(t, m.ID)[w.member2.ID]; len(got) != 0 {
		t.Errorf("member2 of a quiet topic has decisions %v", got)
	}
}

func TestNotifierExcerptAndFinnish(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	w.f.Tenant.Settings.EmailExcerpts = true
	w.f.Tenant.Settings.MailFrom = "palkat@tilitoimisto.example"
	w.f.Tenant.Settings.ReplyTo = "tuki@tilitoimisto.example"
	ntNoErr(t, "TenantUpdate", w.st.TenantUpdate(t.Context(), w.f.Tenant))
	w.member.Locale = chat.LocaleFinnish
	ntNoErr(t, "UserUpdate", w.st.UserUpdate(t.Context(), w.member))
	w.post(t, w.author, chat.TopicChannel(w.topic.ID), "Palkka-ajo <b>myöhässä</b>")
	w.stepThroughDelay(t)
	mails := w.mailsTo(t, w.member.Email)
	if len(mails) != 1 {
		t.Fatalf("member got %d mails", len(mails))
	}
	p := mails[0]
	if p.Subject != "Uusi viesti aiheessa Payments processing" {
		t.Errorf("subject %q", p.Subject)
	}
	if !strings.Contains(p.Text, "Palkka-ajo <b>myöhässä</b>") || !strings.Contains(p.Text, "kirjoitti") {
		t.Errorf("text lacks the excerpt:\n%s", p.Text)
	}
	if !strings.Contains(p.HTML, "Palkka-ajo &lt;b&gt;myöhässä&lt;/b&gt;") {
		t.Errorf("html lacks the escaped excerpt:\n%s", p.HTML)
	}
	if got := p.Header.Get("From"); !strings.Contains(got, "palkat@tilitoimisto.example") {
		t.Errorf("From %q", got)
	}
	if got := p.Header.Get("Reply-To"); !strings.Contains(got, "tuki@tilitoimisto.example") {
		t.Errorf("Reply-To %q", got)
	}
	if en := w.mailsTo(t, w.member2.Email); len(en) != 1 || en[0].Subject != "New message in Payments processing" {
		t.Errorf("member2 (English) mails %d", len(en))
	}
}

func TestNotifierTemporaryFailureIsRetried(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	w.group.MemberIDs = []int64{w.author.ID, w.member.ID}
	ntNoErr(t, "GroupSetMembers", w.st.GroupSetMembers(t.Context(), w.f.Tenant.ID, w.group.ID, w.group.MemberIDs))
	m := w.post(t, w.author, chat.TopicChannel(w.topic.ID), "hello")
	w.step(t)
	w.clock.Advance(ntDelay)
	w.smtp.FailNext(1, 451)
	w.step(t)
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails after a 451", n)
	}
	if got := w.decisions(t, m.ID)[w.member.ID]; len(got) != 0 {
		t.Fatalf("decided %v before the retry", got)
	}
	// Backoff: not before RetryBase.
	w.clock.Advance(time.Minute - time.Second)
	if got := w.step(t); got != 0 {
		t.Fatalf("retried after %v", time.Minute-time.Second)
	}
	w.clock.Advance(time.Second)
	w.step(t)
	if n := len(w.mailsTo(t, w.member.Email)); n != 1 {
		t.Fatalf("member got %d mails after the retry, want 1", n)
	}
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeSent)
}

func TestNotifierGivesUp(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ch := chat.TopicChannel(w.topic.ID)
	// member's mailbox refuses for good; member2's server keeps failing
	// temporarily past MaxAttempts (3).
	m := w.post(t, w.author, ch, "hello")
	w.step(t)
	w.clock.Advance(ntDelay)
	w.smtp.FailNextRcpt(1, 550)
	w.smtp.FailNext(1, 451)
	w.step(t)
	w.smtp.FailNext(2, 451)
	for range 2 {
		w.clock.Advance(time.Hour)
		w.step(t)
	}
	w.clock.Advance(24 * time.Hour)
	if got := w.step(t); got != 0 {
		t.Fatalf("jobs still claimed after giving up: %d", got)
	}
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails", n)
	}
	// Which recipient hit the 550 depends on job order; both are failed.
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeFailed)
	w.wantOutcome(t, m.ID, w.member2, chat.OutcomeFailed)
}

func TestNotifierHeaderInjection(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	evil := "Mallory\r\nBcc: spy@evil.example\r\nX-Injected: yes"
	w.author.Name = evil
	ntNoErr(t, "UserUpdate", w.st.UserUpdate(t.Context(), w.author))
	w.member.Name = evil
	ntNoErr(t, "UserUpdate", w.st.UserUpdate(t.Context(), w.member))
	w.topic.Name = "Pay\nBcc: spy@evil.example"
	ntNoErr(t, "TopicUpdate", w.st.TopicUpdate(t.Context(), w.topic))
	w.f.Tenant.Name = "Tenant\r\nX-Injected: yes"
	w.f.Tenant.Settings.MailFrom = "x@y.example\r\nBcc: spy@evil.example"
	ntNoErr(t, "TenantUpdate", w.st.TenantUpdate(t.Context(), w.f.Tenant))
	m := w.post(t, w.author, chat.TopicChannel(w.topic.ID), "hi", w.member.ID)
	w.stepThroughDelay(t)
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeSent)
	for _, msg := range w.smtp.Messages() {
		for _, rcpt := range msg.To {
			if strings.Contains(rcpt, "evil") {
				t.Errorf("envelope recipient %s", rcpt)
			}
		}
		p, err := msg.Parse()
		ntNoErr(t, "parse", err)
		for _, h := range []string{"Bcc", "X-Injected"} {
			if v := p.Header.Get(h); v != "" {
				t.Errorf("injected header %s: %q", h, v)
			}
		}
		// The line breaks were flattened into the one Subject line.
		if strings.ContainsAny(p.Subject, "\r\n") || !strings.Contains(p.Subject, "Pay Bcc: spy@evil.example") {
			t.Errorf("subject %q", p.Subject)
		}
		if from := p.Header.Get("From"); !strings.Contains(from, "noreply@parley.example") {
			t.Errorf("an invalid tenant From was used: %q", from)
		}
	}
}

func TestNotifierRunAndStop(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	w.notifier.Stop() // before Run: Run then returns at once
	if err := w.notifier.Run(t.Context()); err != nil {
		t.Fatalf("Run after Stop: %v", err)
	}
	n := w.newNotifier(t, w.svc)
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	w.post(t, w.author, chat.TopicChannel(w.topic.ID), "hello")
	w.clock.Advance(ntDelay)
	deadline := time.After(60 * time.Second)
	for len(w.smtp.Messages()) < 2 {
		n.Nudge()
		select {
		case <-w.smtp.Accepted():
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("Run delivered %d of 2 mails", len(w.smtp.Messages()))
		}
	}
	n.Stop()
	n.Stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestNotificationService(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ch := chat.TopicChannel(w.topic.ID)
	m := w.post(t, w.author, ch, "ping", w.member.ID)
	w.step(t)
	ctx := w.as(t, w.member)
	list, err := w.svc.Notifications.Notifications(ctx, chat.Page{})
	ntNoErr(t, "Notifications", err)
	if len(list) != 1 || list[0].MessageID == nil || *list[0].MessageID != m.ID || list[0].Channel != ch || list[0].Title != "Payments processing" {
		t.Fatalf("notifications %+v", list)
	}
	if n, err := w.svc.Notifications.NotificationUnreadCount(ctx); err != nil || n != 1 {
		t.Fatalf("unread %d, %v", n, err)
	}
	ntNoErr(t, "MarkNotificationRead", w.svc.Notifications.MarkNotificationRead(ctx, list[0].ID))
	ntNoErr(t, "MarkNotificationRead again", w.svc.Notifications.MarkNotificationRead(ctx, list[0].ID))
	if n, _ := w.svc.Notifications.NotificationUnreadCount(ctx); n != 0 {
		t.Fatalf("unread after mark read %d", n)
	}
	evs := w.events.notifications(w.member.ID)
	if last := evs[len(evs)-1]; !slices.Equal(last.ReadIDs, []int64{list[0].ID}) || last.Unread != 0 {
		t.Fatalf("read event %+v", last)
	}
	// Someone else's notification is not found.
	if err := w.svc.Notifications.MarkNotificationRead(w.as(t, w.member2), list[0].ID); !chat.IsCode(err, chat.ENotFound) {
		t.Fatalf("other user's MarkNotificationRead: %v", err)
	}

	// The log: admins only, scoped to the tenant.
	w.clock.Advance(ntDelay)
	w.step(t)
	if _, err := w.svc.Notifications.NotificationLog(ctx, w.member.ID, m.ID, chat.Page{}); !chat.IsCode(err, chat.EForbidden) {
		t.Fatalf("member reads the log: %v", err)
	}
	log, err := w.svc.Notifications.NotificationLog(w.as(t, w.f.Admin), w.member.ID, m.ID, chat.Page{})
	ntNoErr(t, "NotificationLog", err)
	if len(log) != 1 || log[0].Outcome != chat.OutcomeSent || log[0].Reason != chat.ReasonMention || log[0].Explanation == "" {
		t.Fatalf("log %+v", log)
	}
	all, err := w.svc.Notifications.NotificationLog(w.as(t, w.f.Admin), 0, m.ID, chat.Page{})
	ntNoErr(t, "NotificationLog by message", err)
	if len(all) != 3 {
		t.Fatalf("log for the message has %d entries, want 3", len(all))
	}
	other := storetest.NewFixture(t, w.st, "other")
	if _, err := w.svc.Notifications.NotificationLog(w.as(t, other.Admin), 0, m.ID, chat.Page{}); !chat.IsCode(err, chat.ENotFound) {
		t.Fatalf("another tenant's admin: %v", err)
	}
}

// TestNotifierTwoNodesOnePostgresOutbox runs two workers, each with its
// own connection pool, on one database: every recipient gets exactly one
// email.
func TestNotifierTwoNodesOnePostgresOutbox(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	w := newNtWorld(t, openPostgres(t, url))
	emp := w.f.Roles[chat.RoleEmployee].ID
	members := []int64{w.author.ID}
	var addrs []string
	for i := range 12 {
		u := w.f.NewUser(t, "m"+strings.Repeat("x", i), nil, []int64{emp})
		members = append(members, u.ID)
		addrs = append(addrs, u.Email)
	}
	ntNoErr(t, "GroupSetMembers", w.st.GroupSetMembers(t.Context(), w.f.Tenant.ID, w.group.ID, members))
	// Node 2: its own store (pool) on the same database.
	svc2 := w.newService(openPostgres(t, url), w.presence)
	// Small batches make the two nodes compete for the jobs.
	small := func(svc *chat.Service) *chat.Notifier {
		n, err := chat.NewNotifier(svc, chat.NotifierConfig{Mailer: w.mailer, Logger: zerolog.Nop(), BatchSize: 2})
		ntNoErr(t, "NewNotifier", err)
		return n
	}
	nodes := []*chat.Notifier{small(w.svc), small(svc2)}
	var msgs []chat.Message
	for i := range 3 {
		msgs = append(msgs, w.post(t, w.author, chat.TopicChannel(w.topic.ID), "round "+strings.Repeat("!", i)))
		w.clock.Advance(ntInterval)
	}
	w.clock.Advance(ntDelay)
	// Both nodes drain the outbox concurrently until it is empty.
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			for idle := 0; idle < 3; {
				got, err := n.ProcessDue(context.Background())
				if err != nil {
					t.Errorf("ProcessDue: %v", err)
					return
				}
				if got == 0 {
					idle++
				} else {
					idle = 0
				}
			}
		})
	}
	wg.Wait()
	for _, addr := range addrs {
		if got := len(w.mailsTo(t, addr)); got != len(msgs) {
			t.Errorf("%s got %d mails, want %d", addr, got, len(msgs))
		}
	}
	for _, m := range msgs {
		for id, outs := range w.decisions(t, m.ID) {
			if len(outs) != 1 {
				t.Errorf("user %d, message %d: decisions %v", id, m.ID, outs)
			}
		}
	}
}

func TestNotifierConversation(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	f := w.f
	handlerRole := f.Roles[chat.RoleMessageHandler].ID
	handler2 := f.NewUser(t, "handler2", nil, []int64{handlerRole})
	cat := f.NewCategory(t, "Payroll", handlerRole)
	ntNoErr(t, "presence", w.presence.Add(t.Context(), f.Tenant.ID, handler2.ID))

	// A manager asks about a team member: the member (related person) is
	// never notified.
	v, err := w.svc.Conversations.CreateConversation(w.as(t, f.Manager), chat.NewConversationInput{Subject: "Sick leave of Anna",
		CategoryID: cat.ID, RelatedUserID: &f.EmployeeA.ID, Body: "Anna was sick 3.-5.3."})
	ntNoErr(t, "CreateConversation", err)
	ch := chat.ConversationChannel(v.ID)
	w.step(t)
	for _, u := range []chat.User{f.Handler, handler2} {
		evs := w.events.notifications(u.ID)
		if len(evs) != 1 || evs[0].Notification.Kind != string(chat.ReasonNewConversation) || evs[0].Notification.Channel != ch {
			t.Fatalf("%s: notification events %+v", u.Email, evs)
		}
	}
	w.clock.Advance(ntDelay)
	w.step(t)
	mails := w.mailsTo(t, f.Handler.Email)
	if len(mails) != 1 || mails[0].Subject != "New conversation" {
		t.Fatalf("handler mails %d %+v", len(mails), mails)
	}
	if strings.Contains(mails[0].Text, "Anna") || !strings.Contains(mails[0].Text, "https://chat.example/#/conversation/"+itoa(v.ID)) {
		t.Errorf("mail text without excerpts:\n%s", mails[0].Text)
	}
	first := w.lastMessage(t, ch)
	w.wantOutcome(t, first.ID, handler2, chat.OutcomeInApp)
	w.wantOutcome(t, first.ID, f.Handler, chat.OutcomeSent)

	// The handler answers: the creator hears, the related person does not.
	ans := w.post(t, f.Handler, ch, "Noted, thanks")
	w.stepThroughDelay(t)
	w.wantOutcome(t, ans.ID, f.Manager, chat.OutcomeSent)
	if got := w.mailsTo(t, f.Manager.Email); len(got) != 1 || got[0].Subject != "Your conversation has been answered" {
		t.Fatalf("creator mails %+v", got)
	}
	if len(w.decisions(t, ans.ID)[f.EmployeeA.ID]) != 0 || len(w.mailsTo(t, f.EmployeeA.Email)) != 0 || len(w.events.notifications(f.EmployeeA.ID)) != 0 {
		t.Error("the related person was notified")
	}

	// An external address added later receives the conversation so far.
	_, err = w.svc.Conversations.AddExternalEmails(w.as(t, f.Handler), v.ID, []string{"auditor@outside.example"})
	ntNoErr(t, "AddExternalEmails", err)
	w.step(t)
	ext := w.mailsTo(t, "auditor@outside.example")
	if len(ext) != 1 || ext[0].Subject != "Sick leave of Anna" || !strings.Contains(ext[0].Text, "Anna was sick 3.-5.3.") ||
		!strings.Contains(ext[0].Text, "Noted, thanks") {
		t.Fatalf("external mails %+v", ext)
	}
	// A retry of the job would not send it again.
	w.clock.Advance(time.Hour)
	w.step(t)
	if got := len(w.mailsTo(t, "auditor@outside.example")); got != 1 {
		t.Fatalf("external address got %d mails", got)
	}
}

// lastMessage returns the newest message of a thread.
func (w *ntWorld) lastMessage(t *testing.T, ch chat.Channel) chat.Message {
	t.Helper()
	msgs, err := w.st.MessageHistory(t.Context(), w.f.Tenant.ID, ch, 0, 1)
	ntNoErr(t, "MessageHistory", err)
	if len(msgs) != 1 {
		t.Fatalf("no message in %s", ch)
	}
	return msgs[0]
}

// TestNotifierOnlineOnAnotherNode: the member's socket is on node B
// (Redis presence); node A's worker sees them online and sends no email.
func TestNotifierOnlineOnAnotherNode(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	w := newNtWorld(t, openPostgres(t, url))
	r := redistest.New(t)
	presA := hub.NewRedisPresence(r.NewClient("node-a"), r.Prefix, hub.RedisPresenceOptions{NodeID: "a"})
	presB := hub.NewRedisPresence(r.NewClient("node-b"), r.Prefix, hub.RedisPresenceOptions{NodeID: "b"})
	t.Cleanup(func() { _ = presA.Close(); _ = presB.Close() })
	svcA := w.newService(w.st, presA)
	nodeA := w.newNotifier(t, svcA)
	ntNoErr(t, "presence on node B", presB.Add(t.Context(), w.f.Tenant.ID, w.member.ID))

	// Node B's user posts through node B's own store.
	svcB := w.newService(openPostgres(t, url), presB)
	ctxB := chat.WithPrincipal(t.Context(), principalOf(t, w, svcB, w.author))
	m, err := svcB.Messages.Publish(ctxB, chat.PublishInput{Channel: chat.TopicChannel(w.topic.ID), Body: "hello"})
	ntNoErr(t, "Publish on node B", err)
	for range 2 {
		// Until nothing is due: one job per claim.
		for {
			n, err := nodeA.ProcessDue(t.Context())
			ntNoErr(t, "ProcessDue on node A", err)
			if n == 0 {
				break
			}
		}
		w.clock.Advance(ntDelay)
	}
	w.wantOutcome(t, m.ID, w.member, chat.OutcomeOnline)
	w.wantOutcome(t, m.ID, w.member2, chat.OutcomeSent)
	if len(w.mailsTo(t, w.member.Email)) != 0 || len(w.mailsTo(t, w.member2.Email)) != 1 {
		t.Fatalf("mails: member %d, member2 %d", len(w.mailsTo(t, w.member.Email)), len(w.mailsTo(t, w.member2.Email)))
	}
}

// principalOf authenticates u through svc with a real session.
func principalOf(t *testing.T, w *ntWorld, svc *chat.Service, u chat.User) *chat.Principal {
	t.Helper()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	now := w.clock.Now()
	sess := chat.Session{ID: hex.EncodeToString(b), TenantID: u.TenantID, UserID: u.ID, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	ntNoErr(t, "SessionCreate", svc.Store().SessionCreate(t.Context(), sess))
	p, err := svc.Sessions.Authenticate(t.Context(), sess.ID)
	ntNoErr(t, "Authenticate", err)
	return p
}

// A worker that claimed a batch and failed its first send temporarily
// gives the untried rest back at once: another worker claims them without
// waiting for the lease, and their attempts are not counted.
func TestNotifierReleasesUntriedJobs(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	emp := w.f.Roles[chat.RoleEmployee].ID
	members := []int64{w.author.ID}
	for i := range 4 {
		members = append(members, w.f.NewUser(t, "batch"+itoa(int64(i)), nil, []int64{emp}).ID)
	}
	ntNoErr(t, "GroupSetMembers", w.st.GroupSetMembers(t.Context(), w.f.Tenant.ID, w.group.ID, members))
	w.post(t, w.author, chat.TopicChannel(w.topic.ID), "batch")
	w.step(t) // expands into four email jobs
	w.clock.Advance(ntDelay)
	batch, err := chat.NewNotifier(w.svc, chat.NotifierConfig{Mailer: w.mailer, Logger: zerolog.Nop(), BatchSize: 4,
		PollInterval: time.Hour})
	ntNoErr(t, "NewNotifier", err)
	w.smtp.FailNext(1, 451)
	got, err := batch.ProcessDue(t.Context())
	ntNoErr(t, "ProcessDue", err)
	if got != 1 {
		t.Fatalf("the batch worker worked %d jobs, want 1 (the failed send) and the rest released", got)
	}
	// The lease has not moved on: only released jobs can be claimed.
	for i := range 3 {
		if n := w.stepOne(t); n != 1 {
			t.Fatalf("claim %d of the released jobs took %d", i, n)
		}
	}
	if n := w.stepOne(t); n != 0 {
		t.Fatalf("%d more jobs due before the retry", n)
	}
	if n := len(w.smtp.Messages()); n != 3 {
		t.Fatalf("%d emails, want the 3 released ones", n)
	}
}
