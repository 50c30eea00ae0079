// Package smtptest runs a real SMTP server in-process for tests: a
// github.com/emersion/go-smtp server on 127.0.0.1 whose backend records
// every message it accepts. It speaks STARTTLS or implicit TLS with a
// throwaway self-signed certificate, checks AUTH PLAIN (github.com/emersion/go-sasl),
// and can be told to refuse the next messages or recipients with 4xx
// (temporary) or 5xx (permanent) replies.
//
// It is a test double for a mail relay, not a mail server: nothing is
// relayed, and messages are capped at a fixed safety size.
package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how the server offers TLS.
type Mode int

const (
	// Plain offers no TLS at all.
	Plain Mode = iota
	// StartTLS offers the STARTTLS extension on a plain connection.
	StartTLS
	// ImplicitTLS speaks TLS from the first byte (smtps, port 465 style).
	ImplicitTLS
)

func (m Mode) String() string {
	switch m {
	case Plain:
		return "plain"
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit-tls"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Options configure a Server. The zero value is a plain server without
// authentication.
type Options struct {
	Mode Mode
	// Username and Password, when Username is set, make AUTH PLAIN
	// mandatory before MAIL.
	Username string
	Password string
	// HangData makes the server read each message and then never answer
	// the end of DATA, as a mail server that hangs: the session stays
	// open until the client gives up or Close. Nothing is recorded.
	HangData bool
}

// Message is one accepted message.
type Message struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	Data     []byte   // raw message as received, CRLF line endings, dot-unstuffed
	TLS      bool     // whether the session was encrypted
	AuthUser string   // authenticated user, "" when none
}

// Parse parses the raw message; see Parse.
func (m Message) Parse() (*Parsed, error) { return Parse(m.Data) }

// maxMessageBytes caps a message so a runaway client cannot exhaust memory.
const maxMessageBytes = 10 << 20

// idleTimeout ends sessions whose client went silent, so that a test that
// forgets to close still lets Close return.
const idleTimeout = 30 * time.Second

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	ln     *listener
	smtp   *smtp.Server
	roots  *x509.CertPool
	served chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	closed   bool
	messages []Message
	failData []int // reply codes for the next DATA ends
	failRcpt []int // reply codes for the next RCPT commands
	accepted chan struct{}
	hung     chan struct{}
	closing  chan struct{} // closed by Close, releasing hung sessions
}

// Start listens on a free port on 127.0.0.1 and serves until Close.
func Start(opts Options) (*Server, error) {
	cert, roots, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s := &Server{
		opts:     opts,
		ln:       &listener{Listener: tcp, conns: make(map[*conn]struct{})},
		roots:    roots,
		served:   make(chan struct{}),
		accepted: make(chan struct{}, 1),
		hung:     make(chan struct{}, 1),
		closing:  make(chan struct{}),
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = idleTimeout
	srv.WriteTimeout = idleTimeout
	srv.MaxMessageBytes = maxMessageBytes
	// AUTH is offered on plain connections too, as a careless relay
	// would: refusing to send a password in clear is the client's job,
	// and the mailer's tests check that it does.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener = s.ln
	switch opts.Mode {
	case StartTLS:
		srv.TLSConfig = tlsConfig // go-smtp offers STARTTLS when it has a config
	case ImplicitTLS:
		ln = tls.NewListener(ln, tlsConfig) // go-smtp handshakes *tls.Conn first
	}
	s.smtp = srv
	go func() {
		defer close(s.served)
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// New starts a server for the duration of a test; it is closed by
// t.Cleanup.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the server's IP address.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// RootCAs trusts the server's self-signed certificate (valid for
// 127.0.0.1, ::1 and localhost).
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// URL is a PARLEY_SMTP_URL for this server, for tests that configure a
// whole node through its environment. TLS modes carry
// insecure_skip_verify=true because a URL cannot carry the test root;
// tests of the mailer itself should pass RootCAs instead.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	q := url.Values{}
	switch s.opts.Mode {
	case Plain:
		q.Set("tls", "none")
	case StartTLS:
		q.Set("starttls", "required")
		q.Set("insecure_skip_verify", "true")
	case ImplicitTLS:
		u.Scheme = "smtps"
		q.Set("insecure_skip_verify", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	copy(out, s.messages)
	return out
}

// Accepted is signalled (without blocking; one pending signal at most)
// each time a message is accepted, for tests whose sender is
// asynchronous: wait on it, then look at Messages.
func (s *Server) Accepted() <-chan struct{} { return s.accepted }

// Hung is signalled (like Accepted) each time a HangData server starts
// hanging at the end of a message's DATA.
func (s *Server) Hung() <-chan struct{} { return s.hung }

// FailNext answers the end of DATA of the next n messages with code (4xx
// temporary, 5xx permanent); those messages are not recorded.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failData = append(s.failData, code)
	}
}

// FailNextRcpt answers the next n RCPT TO commands with code, as a relay
// does for an unknown or over-quota mailbox.
func (s *Server) FailNextRcpt(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failRcpt = append(s.failRcpt, code)
	}
}

// Close stops listening, ends open sessions and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	// go-smtp's Close does not wait and its Shutdown does not end idle
	// sessions: end them here, then let Shutdown wait for their goroutines.
	err := s.ln.closeAll()
	_ = s.smtp.Shutdown(context.Background()) // the listener is closed already
	<-s.served
	return err
}

func (s *Server) popFailure(queue *[]int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*queue) == 0 {
		return 0
	}
	code := (*queue)[0]
	*queue = (*queue)[1:]
	return code
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	select {
	case s.accepted <- struct{}{}:
	default:
	}
}

// backend makes a session per connection (and again after STARTTLS).
type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

// session is one SMTP session's state.
type session struct {
	s        *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

func (c *session) AuthMechanisms() []string {
	if c.s.opts.Username == "" {
		return nil // no AUTH in EHLO
	}
	return []string{sasl.Plain}
}

func (c *session) Auth(mech string) (sasl.Server, error) {
	if c.s.opts.Username == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != c.s.opts.Username || password != c.s.opts.Password {
			return smtp.ErrAuthFailed // 535 5.7.8
		}
		c.authUser = username
		return nil
	}), nil
}

func (c *session) Mail(from string, _ *smtp.MailOptions) error {
	if c.s.opts.Username != "" && c.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	c.Reset()
	c.from = from
	return nil
}

func (c *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := c.s.popFailure(&c.s.failRcpt); code != 0 {
		return refusal(code, "recipient")
	}
	c.to = append(c.to, to)
	return nil
}

func (c *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err // *smtp.SMTPError for a message over the size cap
	}
	if code := c.s.popFailure(&c.s.failData); code != 0 {
		return refusal(code, "message")
	}
	if c.s.opts.HangData {
		select {
		case c.s.hung <- struct{}{}:
		default:
		}
		<-c.s.closing
		return refusal(421, "message") // never seen: the connection is closed
	}
	_, isTLS := c.conn.TLSConnectionState()
	c.s.record(Message{From: c.from, To: slices.Clone(c.to), Data: data, TLS: isTLS, AuthUser: c.authUser})
	return nil
}

func (c *session) Reset() { c.from, c.to = "", nil }

func (c *session) Logout() error { return nil }

// refusal is the reply FailNext and FailNextRcpt asked for, with a
// plausible RFC 3463 status.
func refusal(code int, what string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0},
		Message: "smtptest: " + what + " refused as instructed"}
}

// listener keeps track of the connections it accepted so that Close can
// end them all, including ones go-smtp has not registered yet.
type listener struct {
	net.Listener

	mu     sync.Mutex
	closed bool
	conns  map[*conn]struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = nc.Close()
	} else {
		l.conns[c] = struct{}{}
	}
	return c, nil
}

// closeAll closes the listener and every open connection.
func (l *listener) closeAll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	err := l.Listener.Close()
	for c := range l.conns {
		_ = c.Conn.Close()
	}
	return err
}

type conn struct {
	net.Conn
	l *listener
}

func (c *conn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}
