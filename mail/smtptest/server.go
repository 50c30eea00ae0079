// Package smtptest runs a real SMTP server in-process for tests: a minimal
// RFC 5321 receiver over a net.Listener on 127.0.0.1 that records every
// message it accepts, speaks STARTTLS or implicit TLS with a throwaway
// self-signed certificate, checks AUTH PLAIN, and can be told to refuse the
// next messages with 4xx (temporary) or 5xx (permanent) replies.
//
// It is a test double for a mail relay, not a mail server: no relaying, no
// pipelining, no SIZE limit beyond a fixed safety cap.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
	opts      Options
	ln        net.Listener
	tlsConfig *tls.Config
	roots     *x509.CertPool
	wg        sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
	messages []Message
	failData []int // reply codes for the next DATA ends
	failRcpt []int // reply codes for the next RCPT commands
	accepted chan struct{}
}

// Start listens on a free port on 127.0.0.1 and serves until Close.
func Start(opts Options) (*Server, error) {
	cert, roots, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s := &Server{
		opts:      opts,
		ln:        ln,
		tlsConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		roots:     roots,
		conns:     make(map[net.Conn]struct{}),
		accepted:  make(chan struct{}, 1),
	}
	s.wg.Add(1)
	go s.acceptLoop()
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
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				_ = conn.Close()
			}()
			s.serve(conn)
		}()
	}
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

// session is one client connection's state.
type session struct {
	s        *Server
	conn     net.Conn
	r        *bufio.Reader
	tls      bool
	helo     bool
	authUser string
	from     string
	hasFrom  bool
	to       []string
}

var errQuit = errors.New("quit")

func (s *Server) serve(conn net.Conn) {
	sess := &session{s: s, conn: conn}
	if s.opts.Mode == ImplicitTLS {
		tc := tls.Server(conn, s.tlsConfig)
		_ = tc.SetDeadline(time.Now().Add(idleTimeout))
		if err := tc.Handshake(); err != nil {
			return
		}
		sess.conn = tc
		sess.tls = true
	}
	sess.r = bufio.NewReader(sess.conn)
	if sess.reply(220, "localhost ESMTP smtptest") != nil {
		return
	}
	for {
		line, err := sess.readLine()
		if err != nil {
			return
		}
		if err := sess.command(line); err != nil {
			return
		}
	}
}

func (c *session) reply(code int, lines ...string) error {
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(&b, "%d%s%s\r\n", code, sep, l)
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(idleTimeout))
	_, err := io.WriteString(c.conn, b.String())
	return err
}

// readLine reads one CRLF- (or LF-) terminated line without its ending.
func (c *session) readLine() (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(idleTimeout))
	var line []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
		if len(line) > maxMessageBytes {
			return "", errors.New("line too long")
		}
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (c *session) resetTransaction() {
	c.from, c.hasFrom, c.to = "", false, nil
}

func (c *session) command(line string) error {
	verb, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "EHLO":
		c.helo = true
		c.resetTransaction()
		lines := []string{"localhost greets " + arg, "8BITMIME", "ENHANCEDSTATUSCODES"}
		if c.s.opts.Mode == StartTLS && !c.tls {
			lines = append(lines, "STARTTLS")
		}
		if c.s.opts.Username != "" {
			lines = append(lines, "AUTH PLAIN")
		}
		return c.reply(250, lines...)
	case "HELO":
		c.helo = true
		c.resetTransaction()
		return c.reply(250, "localhost")
	case "STARTTLS":
		if c.s.opts.Mode != StartTLS || c.tls {
			return c.reply(502, "5.5.1 STARTTLS not available")
		}
		if err := c.reply(220, "2.0.0 Ready to start TLS"); err != nil {
			return err
		}
		tc := tls.Server(c.conn, c.s.tlsConfig)
		_ = tc.SetDeadline(time.Now().Add(idleTimeout))
		if err := tc.Handshake(); err != nil {
			return err
		}
		// RFC 3207: forget everything learned before TLS.
		c.conn, c.r, c.tls = tc, bufio.NewReader(tc), true
		c.helo, c.authUser = false, ""
		c.resetTransaction()
		return nil
	case "AUTH":
		return c.auth(arg)
	case "MAIL":
		if !c.helo {
			return c.reply(503, "5.5.1 EHLO first")
		}
		if c.s.opts.Username != "" && c.authUser == "" {
			return c.reply(530, "5.7.0 Authentication required")
		}
		addr, ok := pathArg(arg, "FROM:")
		if !ok {
			return c.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
		}
		c.resetTransaction()
		c.from, c.hasFrom = addr, true
		return c.reply(250, "2.1.0 OK")
	case "RCPT":
		if !c.hasFrom {
			return c.reply(503, "5.5.1 MAIL first")
		}
		addr, ok := pathArg(arg, "TO:")
		if !ok || addr == "" {
			return c.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
		}
		if code := c.s.popFailure(&c.s.failRcpt); code != 0 {
			return c.reply(code, enhanced(code)+" smtptest: recipient refused as instructed")
		}
		c.to = append(c.to, addr)
		return c.reply(250, "2.1.5 OK")
	case "DATA":
		if len(c.to) == 0 {
			return c.reply(503, "5.5.1 RCPT first")
		}
		return c.data()
	case "RSET":
		c.resetTransaction()
		return c.reply(250, "2.0.0 OK")
	case "NOOP":
		return c.reply(250, "2.0.0 OK")
	case "VRFY":
		return c.reply(252, "2.1.5 Cannot VRFY")
	case "QUIT":
		_ = c.reply(221, "2.0.0 Bye")
		return errQuit
	default:
		return c.reply(500, "5.5.2 Command not recognized")
	}
}

// pathArg extracts the address from "FROM:<a@b> PARAMS" (or TO:).
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

func (c *session) auth(arg string) error {
	if c.s.opts.Username == "" {
		return c.reply(502, "5.5.1 AUTH not available")
	}
	if c.authUser != "" {
		return c.reply(503, "5.5.1 Already authenticated")
	}
	mech, initial, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		return c.reply(504, "5.5.4 Unrecognized authentication type")
	}
	if initial == "" {
		if err := c.reply(334, ""); err != nil {
			return err
		}
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if line == "*" {
			return c.reply(501, "5.0.0 Authentication cancelled")
		}
		initial = line
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	if err != nil {
		return c.reply(501, "5.5.2 Cannot decode response")
	}
	// authzid NUL authcid NUL password (RFC 4616).
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 || string(parts[1]) != c.s.opts.Username || string(parts[2]) != c.s.opts.Password {
		return c.reply(535, "5.7.8 Authentication credentials invalid")
	}
	c.authUser = string(parts[1])
	return c.reply(235, "2.7.0 Authentication successful")
}

func (c *session) data() error {
	if err := c.reply(354, "Start mail input; end with <CRLF>.<CRLF>"); err != nil {
		return err
	}
	var buf bytes.Buffer
	tooBig := false
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if line == "." {
			break
		}
		line = strings.TrimPrefix(line, ".") // dot-unstuffing (RFC 5321 4.5.2)
		if buf.Len()+len(line) > maxMessageBytes {
			tooBig = true
			continue
		}
		buf.WriteString(line)
		buf.WriteString("\r\n")
	}
	msg := Message{From: c.from, To: c.to, Data: buf.Bytes(), TLS: c.tls, AuthUser: c.authUser}
	c.resetTransaction()
	if tooBig {
		return c.reply(552, "5.3.4 Message too big")
	}
	if code := c.s.popFailure(&c.s.failData); code != 0 {
		return c.reply(code, enhanced(code)+" smtptest: message refused as instructed")
	}
	c.s.record(msg)
	return c.reply(250, "2.0.0 OK queued")
}

// enhanced is a plausible RFC 3463 status for a reply code.
func enhanced(code int) string {
	return fmt.Sprintf("%d.0.0", code/100)
}
