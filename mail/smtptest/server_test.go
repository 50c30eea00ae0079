package smtptest_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/smtp"
	"strings"
	"testing"

	"parley/mail/smtptest"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// The standard library client is an independent check of how the go-smtp
// server is set up: modes, AUTH, failure injection (the mailer's tests use
// go-mail).
func dial(t *testing.T, srv *smtptest.Server, mode smtptest.Mode) *smtp.Client {
	t.Helper()
	tlsConfig := &tls.Config{RootCAs: srv.RootCAs(), ServerName: "127.0.0.1"}
	var conn net.Conn
	var err error
	if mode == smtptest.ImplicitTLS {
		conn, err = tls.Dial("tcp", srv.Addr(), tlsConfig)
	} else {
		conn, err = net.Dial("tcp", srv.Addr())
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if mode == smtptest.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Fatal("STARTTLS not offered")
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("STARTTLS"); ok {
			t.Fatal("STARTTLS offered again after TLS")
		}
	}
	return c
}

func send(c *smtp.Client, from string, to []string, data string) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(data)); err != nil {
		return err
	}
	return w.Close()
}

const rawMessage = "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?P=C3=A4iv=C3=A4=C3=A4?=\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	"SHl2w6TDpCBww6RpdsOkw6Qu\r\n"

func TestModesAndAuth(t *testing.T) {
	t.Parallel()
	for _, mode := range []smtptest.Mode{smtptest.Plain, smtptest.StartTLS, smtptest.ImplicitTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv := smtptest.New(t, smtptest.Options{Mode: mode, Username: "u", Password: "p"})
			c := dial(t, srv, mode)
			if err := send(c, "a@example.com", []string{"b@example.com"}, rawMessage); err == nil || !strings.HasPrefix(err.Error(), "530") {
				t.Fatalf("send without AUTH = %v, want 530", err)
			}
			if err := c.Reset(); err != nil {
				t.Fatal(err)
			}
			// net/smtp hangs up after a failed AUTH: use a second session.
			if err := dial(t, srv, mode).Auth(smtp.PlainAuth("", "u", "wrong", "127.0.0.1")); err == nil || !strings.HasPrefix(err.Error(), "535") {
				t.Fatalf("AUTH with a wrong password = %v, want 535", err)
			}
			if err := c.Auth(smtp.PlainAuth("", "u", "p", "127.0.0.1")); err != nil {
				t.Fatal(err)
			}
			if err := send(c, "a@example.com", []string{"b@example.com", "c@example.com"}, rawMessage); err != nil {
				t.Fatal(err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			<-srv.Accepted()
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" ||
				m.AuthUser != "u" || m.TLS != (mode != smtptest.Plain) || string(m.Data) != rawMessage {
				t.Fatalf("message = %+v", m)
			}
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != "Päivää" || p.Text != "Hyvää päivää." || p.ContentType != "text/plain" {
				t.Fatalf("parsed = subject %q text %q type %q", p.Subject, p.Text, p.ContentType)
			}
		})
	}
}

func TestDotStuffingAndFailures(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, smtptest.Options{})
	c := dial(t, srv, smtptest.Plain)
	body := "Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n"

	srv.FailNext(2, 451)
	srv.FailNextRcpt(1, 550)
	if err := send(c, "a@example.com", []string{"b@example.com"}, body); err == nil || !strings.HasPrefix(err.Error(), "550") {
		t.Fatalf("first send = %v, want 550 at RCPT", err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := send(c, "a@example.com", []string{"b@example.com"}, body); err == nil || !strings.HasPrefix(err.Error(), "451") {
			t.Fatalf("send %d = %v, want 451", i, err)
		}
	}
	if err := send(c, "a@example.com", []string{"b@example.com"}, body); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || string(msgs[0].Data) != body {
		t.Fatalf("messages = %+v, want exactly the body %q", msgs, body)
	}
}

func TestCloseEndsIdleSessions(t *testing.T) {
	t.Parallel()
	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	greeting, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "220 ") {
		t.Fatalf("greeting = %q, %v", greeting, err)
	}
	// The client stays silent; Close must not wait for it.
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	for mode, want := range map[smtptest.Mode]string{
		smtptest.Plain:       "smtp://u:p%40ss@127.0.0.1:PORT?tls=none",
		smtptest.StartTLS:    "smtp://u:p%40ss@127.0.0.1:PORT?insecure_skip_verify=true&starttls=required",
		smtptest.ImplicitTLS: "smtps://u:p%40ss@127.0.0.1:PORT?insecure_skip_verify=true",
	} {
		srv := smtptest.New(t, smtptest.Options{Mode: mode, Username: "u", Password: "p@ss"})
		if got := strings.Replace(srv.URL(), srv.Addr(), "127.0.0.1:PORT", 1); got != want {
			t.Errorf("%s URL = %q, want %q", mode, got, want)
		}
	}
}
