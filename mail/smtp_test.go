package mail_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"parley/chat"
	"parley/mail"
	"parley/mail/smtptest"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

const (
	testUser = "parley"
	testPass = "s3cr:t@p%w d" // needs URL escaping
)

// serverURL builds a mailer URL for srv with the given query.
func serverURL(srv *smtptest.Server, scheme string, withAuth bool, query string) string {
	u := url.URL{Scheme: scheme, Host: srv.Addr(), RawQuery: query}
	if withAuth {
		u.User = url.UserPassword(testUser, testPass)
	}
	return u.String()
}

func newMailer(t *testing.T, cfg mail.SMTPConfig) *mail.SMTP {
	t.Helper()
	m, err := mail.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("mail.NewSMTP(%q): %v", cfg.URL, err)
	}
	return m
}

func finnishEmail() chat.Email {
	return chat.Email{
		From:     "noreply@parley.example",
		FromName: "Parley – Tukipalvelu",
		ReplyTo:  "tuki@parley.example",
		To:       "matti@example.fi",
		ToName:   "Matti Ääpälä",
		Subject:  "Uusi viesti: Hyvää päivää, öljylamppu",
		Text:     "Hei Matti,\n\nSinulle on uusi viesti: äiti söi jäätelöä.\nRivi, jonka pituus ylittää seitsemänkymmentäkuusi merkkiä, jotta quoted-printable joutuu rivittämään sen.\n",
		HTML:     "<p>Hei Matti,</p><p>Sinulle on uusi viesti: <b>äiti söi jäätelöä</b>.</p>",
	}
}

func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func headerKeys(p *smtptest.Parsed) []string {
	var keys []string
	for k := range p.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// wantHeaderKeys is every top-level header a sent email carries: nothing
// more may appear, whatever the Email's fields contain.
var wantHeaderKeys = []string{"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Reply-To", "Subject", "To"}

func TestSendModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mode     smtptest.Mode
		scheme   string
		auth     bool
		query    string
		wantTLS  bool
		wantUser string
	}{
		{name: "plain", mode: smtptest.Plain, scheme: "smtp", query: "tls=none"},
		{name: "starttls required", mode: smtptest.StartTLS, scheme: "smtp", auth: true, query: "starttls=required", wantTLS: true, wantUser: testUser},
		{name: "starttls opportunistic", mode: smtptest.StartTLS, scheme: "smtp", auth: true, wantTLS: true, wantUser: testUser},
		{name: "implicit tls", mode: smtptest.ImplicitTLS, scheme: "smtps", auth: true, wantTLS: true, wantUser: testUser},
		{name: "implicit tls explicit plain auth", mode: smtptest.ImplicitTLS, scheme: "smtps", auth: true, query: "auth=plain", wantTLS: true, wantUser: testUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := smtptest.Options{Mode: tt.mode}
			if tt.auth {
				opts.Username, opts.Password = testUser, testPass
			}
			srv := smtptest.New(t, opts)
			m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, tt.scheme, tt.auth, tt.query), RootCAs: srv.RootCAs()})
			email := finnishEmail()
			if err := m.Send(t.Context(), email); err != nil {
				t.Fatalf("Send: %v", err)
			}

			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.From != email.From || !slices.Equal(got.To, []string{email.To}) {
				t.Errorf("envelope = from %q to %q, want from %q to [%q]", got.From, got.To, email.From, email.To)
			}
			if got.TLS != tt.wantTLS || got.AuthUser != tt.wantUser {
				t.Errorf("session TLS=%v user=%q, want TLS=%v user=%q", got.TLS, got.AuthUser, tt.wantTLS, tt.wantUser)
			}
			assertFinnishEmail(t, got, email)
		})
	}
}

func assertFinnishEmail(t *testing.T, got smtptest.Message, email chat.Email) {
	t.Helper()
	p, err := got.Parse()
	if err != nil {
		t.Fatalf("parse received message: %v\n%s", err, got.Data)
	}
	if keys := headerKeys(p); !slices.Equal(keys, wantHeaderKeys) {
		t.Errorf("header keys = %v, want %v", keys, wantHeaderKeys)
	}
	from, err := p.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != email.FromName || from[0].Address != email.From {
		t.Errorf("From = %v (%v), want %q <%s>", from, err, email.FromName, email.From)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != email.ToName || to[0].Address != email.To {
		t.Errorf("To = %v (%v), want %q <%s>", to, err, email.ToName, email.To)
	}
	replyTo, err := p.Header.AddressList("Reply-To")
	if err != nil || len(replyTo) != 1 || replyTo[0].Address != email.ReplyTo {
		t.Errorf("Reply-To = %v (%v), want %s", replyTo, err, email.ReplyTo)
	}
	if id := p.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@parley.example>") {
		t.Errorf("Message-Id = %q, want <random@parley.example>", id)
	}
	if p.Subject != email.Subject {
		t.Errorf("Subject = %q, want %q", p.Subject, email.Subject)
	}
	if p.ContentType != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", p.ContentType)
	}
	if len(p.Parts) != 2 || p.Parts[0].ContentType != "text/plain" || p.Parts[1].ContentType != "text/html" {
		t.Fatalf("parts = %+v, want text/plain then text/html", p.Parts)
	}
	for _, part := range p.Parts {
		if part.Charset != "utf-8" {
			t.Errorf("%s charset = %q, want utf-8", part.ContentType, part.Charset)
		}
	}
	if normalizeNewlines(p.Text) != email.Text {
		t.Errorf("text body = %q, want %q", p.Text, email.Text)
	}
	if normalizeNewlines(p.HTML) != email.HTML {
		t.Errorf("html body = %q, want %q", p.HTML, email.HTML)
	}
	// Non-ASCII must travel encoded: a 7-bit-clean message survives any relay.
	for i, b := range got.Data {
		if b >= 0x80 {
			t.Fatalf("raw message has 8-bit byte at %d: %q", i, got.Data[max(0, i-20):min(len(got.Data), i+20)])
		}
	}
}

func TestSendSinglePart(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, smtptest.Options{})
	m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, "smtp", false, "tls=none"), From: "default@parley.example", FromName: "Parley"})

	textOnly := chat.Email{To: "a@example.com", Subject: "s", Text: "only text ä"}
	htmlOnly := chat.Email{To: "a@example.com", Subject: "s", HTML: "<p>only html ö</p>"}
	for _, e := range []chat.Email{textOnly, htmlOnly} {
		if err := m.Send(t.Context(), e); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	for i, want := range []struct{ ct, body string }{{"text/plain", textOnly.Text}, {"text/html", htmlOnly.HTML}} {
		p, err := msgs[i].Parse()
		if err != nil {
			t.Fatal(err)
		}
		// SMTP ends DATA with a line break, which a single-part body
		// cannot tell from its own last one.
		if msgs[i].From != "default@parley.example" {
			t.Errorf("envelope from = %q, want the configured default", msgs[i].From)
		}
		if from, _ := p.Header.AddressList("From"); len(from) != 1 || from[0].Name != "Parley" {
			t.Errorf("From = %v, want the configured default name", from)
		}
		if _, ok := p.Header["Reply-To"]; ok {
			t.Errorf("Reply-To present without Email.ReplyTo")
		}
		if p.ContentType != want.ct || len(p.Parts) != 1 || strings.TrimSuffix(normalizeNewlines(p.Parts[0].Body), "\n") != want.body {
			t.Errorf("message %d = %s %+v, want single %s %q", i, p.ContentType, p.Parts, want.ct, want.body)
		}
	}
}

func TestHeaderInjectionInNamesAndSubject(t *testing.T) {
	t.Parallel()
	const inject = "\r\nBcc: victim@example.com\r\nX-Injected: yes"
	tests := []struct {
		name  string
		edit  func(*chat.Email)
		field func(*smtptest.Parsed) string
	}{
		{"from name", func(e *chat.Email) { e.FromName = "Eve" + inject }, func(p *smtptest.Parsed) string {
			a, _ := p.Header.AddressList("From")
			return a[0].Name
		}},
		{"to name", func(e *chat.Email) { e.ToName = "Eve" + inject }, func(p *smtptest.Parsed) string {
			a, _ := p.Header.AddressList("To")
			return a[0].Name
		}},
		{"subject", func(e *chat.Email) { e.Subject = "Eve" + inject }, func(p *smtptest.Parsed) string { return p.Subject }},
		{"subject bare LF", func(e *chat.Email) { e.Subject = "Eve\nBcc: victim@example.com\nX-Injected: yes" }, func(p *smtptest.Parsed) string { return p.Subject }},
		{"subject bare CR", func(e *chat.Email) { e.Subject = "Eve\rBcc: victim@example.com\rX-Injected: yes" }, func(p *smtptest.Parsed) string { return p.Subject }},
	}
	srv := smtptest.New(t, smtptest.Options{})
	m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, "smtp", false, "tls=none")})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := chat.Email{From: "noreply@parley.example", To: "bob@example.com", Subject: "hi", Text: "body", HTML: "<p>body</p>", ReplyTo: "r@parley.example"}
			tt.edit(&email)
			before := len(srv.Messages())
			if err := m.Send(t.Context(), email); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages()
			if len(msgs) != before+1 {
				t.Fatalf("got %d new messages, want 1", len(msgs)-before)
			}
			got := msgs[len(msgs)-1]
			if !slices.Equal(got.To, []string{"bob@example.com"}) {
				t.Errorf("envelope recipients = %v, want only bob", got.To)
			}
			p, err := got.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if keys := headerKeys(p); !slices.Equal(keys, wantHeaderKeys) {
				t.Errorf("header keys = %v, want %v", keys, wantHeaderKeys)
			}
			for _, line := range strings.Split(string(got.Data), "\r\n") {
				if l := strings.ToLower(line); strings.HasPrefix(l, "bcc:") || strings.HasPrefix(l, "x-injected:") {
					t.Errorf("raw message has injected header line %q", line)
				}
			}
			if want := "Eve Bcc: victim@example.com X-Injected: yes"; tt.field(p) != want {
				t.Errorf("field = %q, want the text on one line %q", tt.field(p), want)
			}
		})
	}
}

// TestThreadHeaders: In-Reply-To and References carry the thread's id in
// angle brackets, and Automatic marks the mail auto-generated.
func TestThreadHeaders(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, smtptest.Options{})
	m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, "smtp", false, "tls=none")})
	id := "thread.topic.7.t1@parley.example"
	err := m.Send(t.Context(), chat.Email{From: "noreply@parley.example", To: "bob@example.com", Subject: "hi", Text: "body",
		InReplyTo: id, References: id, Automatic: true})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	p, err := srv.Messages()[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"In-Reply-To", "References"} {
		if got := p.Header.Get(h); got != "<"+id+">" {
			t.Errorf("%s = %q, want <%s>", h, got, id)
		}
	}
	if got := p.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if p.Header.Get("Message-Id") == p.Header.Get("In-Reply-To") {
		t.Error("the email's own Message-ID is the thread id")
	}
}

func TestInvalidAddressesAreRefused(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, smtptest.Options{})
	m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, "smtp", false, "tls=none")})
	tests := []struct {
		name string
		edit func(*chat.Email)
	}{
		{"CRLF in to", func(e *chat.Email) { e.To = "bob@example.com\r\nBcc: victim@example.com" }},
		{"LF in from", func(e *chat.Email) { e.From = "noreply@parley.example\nBcc: victim@example.com" }},
		{"CRLF in reply-to", func(e *chat.Email) { e.ReplyTo = "r@parley.example\r\nBcc: victim@example.com" }},
		{"name in to address", func(e *chat.Email) { e.To = "Victim <victim@example.com>" }},
		{"list in to address", func(e *chat.Email) { e.To = "bob@example.com, victim@example.com" }},
		{"group in to address", func(e *chat.Email) { e.To = "friends: victim@example.com;" }},
		{"not an address", func(e *chat.Email) { e.To = "bob" }},
		{"empty to", func(e *chat.Email) { e.To = "" }},
		{"empty from without default", func(e *chat.Email) { e.From = "" }},
		{"no body", func(e *chat.Email) { e.Text, e.HTML = "", "" }},
		{"CRLF in in-reply-to", func(e *chat.Email) { e.InReplyTo = "t@parley.example\r\nBcc: victim@example.com" }},
		{"two ids in references", func(e *chat.Email) { e.References = "a@parley.example> <b@parley.example" }},
		{"space in references", func(e *chat.Email) { e.References = "a b@parley.example" }},
		{"no domain in in-reply-to", func(e *chat.Email) { e.InReplyTo = "thread.topic.1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			email := chat.Email{From: "noreply@parley.example", To: "bob@example.com", Subject: "hi", Text: "body"}
			tt.edit(&email)
			err := m.Send(t.Context(), email)
			if !chat.IsCode(err, chat.EInvalid) {
				t.Fatalf("Send = %v, want %s", err, chat.EInvalid)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want none", n)
	}
}

func TestServerRepliesAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fail     func(*smtptest.Server)
		wantCode string
	}{
		{"4xx at end of data", func(s *smtptest.Server) { s.FailNext(1, 451) }, chat.EUnavailable},
		{"421 at end of data", func(s *smtptest.Server) { s.FailNext(1, 421) }, chat.EUnavailable},
		{"5xx at end of data", func(s *smtptest.Server) { s.FailNext(1, 554) }, chat.EInvalid},
		{"4xx for recipient", func(s *smtptest.Server) { s.FailNextRcpt(1, 450) }, chat.EUnavailable},
		{"5xx for recipient", func(s *smtptest.Server) { s.FailNextRcpt(1, 550) }, chat.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.New(t, smtptest.Options{Mode: smtptest.StartTLS, Username: testUser, Password: testPass})
			m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, "smtp", true, "starttls=required"), RootCAs: srv.RootCAs()})
			tt.fail(srv)
			err := m.Send(t.Context(), finnishEmail())
			t.Logf("Send: %v", err)
			if !chat.IsCode(err, tt.wantCode) {
				t.Fatalf("Send = %v, want code %s", err, tt.wantCode)
			}
			if msg := chat.ErrorMessage(err); strings.Contains(msg, "smtptest") || strings.Contains(msg, "127.0.0.1") {
				t.Errorf("user-facing message leaks server details: %q", msg)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Fatalf("server recorded %d messages, want 0", n)
			}
			// The failure was for one message only: a retry goes through.
			if err := m.Send(t.Context(), finnishEmail()); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := len(srv.Messages()); n != 1 {
				t.Fatalf("after retry server has %d messages, want 1", n)
			}
		})
	}
}

func TestSessionFailuresAreClassified(t *testing.T) {
	t.Parallel()
	tlsSrv := smtptest.New(t, smtptest.Options{Mode: smtptest.ImplicitTLS, Username: testUser, Password: testPass})
	startTLSSrv := smtptest.New(t, smtptest.Options{Mode: smtptest.StartTLS, Username: testUser, Password: testPass})
	plainAuthSrv := smtptest.New(t, smtptest.Options{Mode: smtptest.Plain, Username: testUser, Password: testPass})
	plainSrv := smtptest.New(t, smtptest.Options{Mode: smtptest.Plain})

	wrongPass := url.URL{Scheme: "smtps", Host: tlsSrv.Addr(), User: url.UserPassword(testUser, "wrong")}

	tests := []struct {
		name     string
		cfg      mail.SMTPConfig
		wantCode string
	}{
		{"wrong password", mail.SMTPConfig{URL: wrongPass.String(), RootCAs: tlsSrv.RootCAs()}, chat.EInternal},
		{"untrusted certificate, implicit TLS", mail.SMTPConfig{URL: serverURL(tlsSrv, "smtps", true, "")}, chat.EInternal},
		{"untrusted certificate, STARTTLS", mail.SMTPConfig{URL: serverURL(startTLSSrv, "smtp", true, "")}, chat.EInternal},
		{"STARTTLS required but not offered", mail.SMTPConfig{URL: serverURL(plainSrv, "smtp", false, "starttls=required")}, chat.EInternal},
		// Opportunistic STARTTLS against a server without it: the password
		// must not go out in clear, so the send fails instead.
		{"credentials without TLS", mail.SMTPConfig{URL: serverURL(plainAuthSrv, "smtp", true, "")}, chat.EInternal},
		{"auth required but not configured", mail.SMTPConfig{URL: serverURL(plainAuthSrv, "smtp", false, "tls=none")}, chat.EInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newMailer(t, tt.cfg)
			err := m.Send(t.Context(), finnishEmail())
			t.Logf("Send: %v", err)
			if !chat.IsCode(err, tt.wantCode) {
				t.Fatalf("Send = %v, want code %s", err, tt.wantCode)
			}
			if strings.Contains(err.Error(), testPass) || strings.Contains(chat.ErrorMessage(err), testPass) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
	for _, srv := range []*smtptest.Server{tlsSrv, startTLSSrv, plainAuthSrv, plainSrv} {
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server %s got %d messages, want none", srv.Addr(), n)
		}
	}
}

func TestInsecureSkipVerify(t *testing.T) {
	t.Parallel()
	for _, mode := range []smtptest.Mode{smtptest.StartTLS, smtptest.ImplicitTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv := smtptest.New(t, smtptest.Options{Mode: mode, Username: testUser, Password: testPass})
			m := newMailer(t, mail.SMTPConfig{URL: srv.URL()}) // URL() opts out of verification
			if err := m.Send(t.Context(), finnishEmail()); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := srv.Messages(); len(got) != 1 || !got[0].TLS {
				t.Fatalf("messages = %+v, want one over TLS", got)
			}
		})
	}
}

func TestConnectionRefusedIsTemporary(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	m := newMailer(t, mail.SMTPConfig{URL: "smtp://" + addr + "?tls=none"})
	if err := m.Send(t.Context(), finnishEmail()); !chat.IsCode(err, chat.EUnavailable) {
		t.Fatalf("Send = %v, want %s", err, chat.EUnavailable)
	}
}

// silentServer accepts connections and never says a word, like a hung
// mail server.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestTimeoutIsTemporary(t *testing.T) {
	t.Parallel()
	m := newMailer(t, mail.SMTPConfig{URL: "smtp://" + silentServer(t) + "?tls=none&timeout=100ms"})
	err := m.Send(t.Context(), finnishEmail())
	if !chat.IsCode(err, chat.EUnavailable) {
		t.Fatalf("Send = %v, want %s", err, chat.EUnavailable)
	}
}

func TestCancelledContextStopsSend(t *testing.T) {
	t.Parallel()
	// A long timeout: only the context can end this send.
	m := newMailer(t, mail.SMTPConfig{URL: "smtp://" + silentServer(t) + "?tls=none&timeout=1h"})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- m.Send(ctx, finnishEmail()) }()
	cancel()
	err := <-errc
	if !chat.IsCode(err, chat.EUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want %s wrapping context.Canceled", err, chat.EUnavailable)
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, smtptest.Options{Mode: smtptest.StartTLS, Username: testUser, Password: testPass})
	m := newMailer(t, mail.SMTPConfig{URL: serverURL(srv, "smtp", true, ""), RootCAs: srv.RootCAs()})
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = m.Send(t.Context(), finnishEmail()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Messages()); got != n {
		t.Fatalf("server got %d messages, want %d", got, n)
	}
}

func TestNewValidatesURL(t *testing.T) {
	t.Parallel()
	valid := []string{
		"smtp://user:pass@mail.example.com:587",
		"smtp://user:pass@mail.example.com",
		"smtp://user:pass@mail.example.com:587?starttls=required",
		"smtp://mail.example.com:587?starttls=opportunistic&timeout=5s",
		"smtps://user:pass@mail.example.com:465",
		"smtps://user:pass@mail.example.com?auth=scram-sha-256",
		"smtp://relay.internal:25?tls=none",
		"smtp://[::1]:25?tls=none",
		"smtps://mail.example.com?insecure_skip_verify=true",
	}
	for _, u := range valid {
		if _, err := mail.NewSMTP(mail.SMTPConfig{URL: u}); err != nil {
			t.Errorf("NewSMTP(%q) = %v, want ok", u, err)
		}
	}
	invalid := []string{
		"",
		"mail.example.com:25",
		"http://mail.example.com",
		"smtp://",
		"smtp://mail.example.com:0",
		"smtp://mail.example.com:99999",
		"smtp://mail.example.com:587/path",
		"smtp://user:pass@relay:25?tls=none",
		"smtps://mail.example.com?tls=none",
		"smtps://mail.example.com?starttls=required",
		"smtp://mail.example.com?tls=yes",
		"smtp://mail.example.com?starttls=maybe",
		"smtp://mail.example.com?timeout=soon",
		"smtp://mail.example.com?timeout=-1s",
		"smtp://mail.example.com?auth=telepathy",
		"smtp://mail.example.com?insecure_skip_verify=sure",
		"smtp://mail.example.com?insecure_skip_verfy=true",
		"smtp://mail.example.com?tls=none&tls=none",
	}
	for _, u := range invalid {
		if _, err := mail.NewSMTP(mail.SMTPConfig{URL: u}); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("NewSMTP(%q) = %v, want %s", u, err, chat.EInvalid)
		}
	}
	if _, err := mail.NewSMTP(mail.SMTPConfig{URL: "smtp://mail.example.com", From: "not an address"}); !chat.IsCode(err, chat.EInvalid) {
		t.Errorf("NewSMTP with invalid default From = %v, want %s", err, chat.EInvalid)
	}
	// The password never appears in errors or the mailer's description.
	m, err := mail.NewSMTP(mail.SMTPConfig{URL: "smtps://user:hunter2@mail.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.String(); strings.Contains(s, "hunter2") || s != "smtps://user@mail.example.com:465" {
		t.Errorf("String() = %q", s)
	}
	if _, err := mail.NewSMTP(mail.SMTPConfig{URL: "smtp://user:hunter2@mail.example.com:x"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("NewSMTP with bad port = %v, want an error without the password", err)
	}
}

// A server that takes the message and never answers the end of DATA: the
// send's deadline (the notifier's send timeout) ends it as temporary, so
// the job is retried rather than held.
func TestHungDataEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, smtptest.Options{HangData: true})
	m := newMailer(t, mail.SMTPConfig{URL: srv.URL() + "&timeout=1h"})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- m.Send(ctx, finnishEmail()) }()
	<-srv.Hung()
	cancel() // what the send timeout does
	if err := <-errc; !chat.IsCode(err, chat.EUnavailable) {
		t.Fatalf("Send = %v, want %s", err, chat.EUnavailable)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("a hung server recorded %d messages", n)
	}
}
