// Package mail adapts chat's mail port: SMTP is Parley's chat.Mailer, which
// sends email through an SMTP server with github.com/wneessen/go-mail, one
// connection per message. What to send and to whom stays in chat (templates,
// notification policy); this package only delivers.
//
// The SMTP server is configured with one URL (PARLEY_SMTP_URL):
//
//	smtp://user:pass@mail.example.com:587
//	    Submission with STARTTLS when the server offers it (the default
//	    port is 587). Credentials are only ever sent over TLS: a server
//	    that offers no STARTTLS fails the send instead.
//	smtp://user:pass@mail.example.com:587?starttls=required
//	    As above, but refuse to talk to a server without STARTTLS.
//	smtps://user:pass@mail.example.com:465
//	    Implicit TLS from the first byte (the default port is 465).
//	smtp://relay.internal:25?tls=none
//	    Plain, unencrypted SMTP, e.g. a local relay. Not allowed with
//	    credentials.
//
// User and password are URL-encoded (p%40ss for p@ss); without them no AUTH
// is done. Further query parameters:
//
//	timeout=30s               connect and per-command timeout (default 30s)
//	auth=plain|login|cram-md5|scram-sha-256|auto
//	                          AUTH mechanism (default auto: the strongest
//	                          the server offers; PLAIN/LOGIN only over TLS)
//	insecure_skip_verify=true do not verify the server certificate; for
//	                          tests only, never in production
//
// Unknown parameters are an error, so a typo cannot silently weaken TLS.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"

	"parley/chat"
)

var _ chat.Mailer = (*SMTP)(nil)

// DefaultTimeout bounds connecting and each SMTP command when neither
// SMTPConfig.Timeout nor the URL's timeout parameter is set.
const DefaultTimeout = 30 * time.Second

// SMTPConfig configures an SMTP mailer. Only URL is required.
type SMTPConfig struct {
	// URL is the server and how to reach it; see the package doc.
	URL string
	// Timeout bounds connecting and each SMTP command. Zero means the
	// URL's timeout parameter, else DefaultTimeout.
	Timeout time.Duration
	// RootCAs verifies the server certificate. Nil means the system roots.
	RootCAs *x509.CertPool
	// From and FromName are the sender of emails whose From is empty.
	// Empty means such emails are rejected as invalid.
	From     string
	FromName string
}

// SMTP sends email over SMTP. It is safe for concurrent use; each Send
// opens its own connection.
type SMTP struct {
	host        string
	port        int
	implicitTLS bool
	tlsPolicy   gomail.TLSPolicy
	username    string
	password    string
	authType    gomail.SMTPAuthType
	timeout     time.Duration
	tlsConfig   *tls.Config
	from        string
	fromName    string
}

// NewSMTP parses cfg.URL and returns an SMTP mailer. It does not connect:
// a mail server that is down at startup must not stop the chat server.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url's error text repeats the URL, password included.
		return nil, chat.Errorf(chat.EInvalid, "smtp: invalid URL")
	}
	m := &SMTP{timeout: cfg.Timeout, tlsPolicy: gomail.TLSOpportunistic, from: cfg.From, fromName: cfg.FromName}
	if err := m.setEndpoint(u); err != nil {
		return nil, err
	}
	insecure, err := m.setParams(u.Query())
	if err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	if m.timeout == 0 {
		m.timeout = DefaultTimeout
	}
	m.tlsConfig = &tls.Config{
		ServerName:         m.host,
		RootCAs:            cfg.RootCAs,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: insecure, //nolint:gosec // opt-in URL flag for tests, documented
	}
	return m, nil
}

// setEndpoint takes scheme, host, port and credentials from u.
func (m *SMTP) setEndpoint(u *url.URL) error {
	switch u.Scheme {
	case "smtp":
		m.port = gomail.DefaultPortTLS
	case "smtps":
		m.port = gomail.DefaultPortSSL
		m.implicitTLS = true
	default:
		return chat.Errorf(chat.EInvalid, "smtp: URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	m.host = u.Hostname()
	if m.host == "" {
		return chat.Errorf(chat.EInvalid, "smtp: URL has no host")
	}
	if p := u.Port(); p != "" {
		var err error
		if m.port, err = strconv.Atoi(p); err != nil || m.port < 1 || m.port > 65535 {
			return chat.Errorf(chat.EInvalid, "smtp: invalid port %q", p)
		}
	}
	if u.User != nil {
		m.username = u.User.Username()
		m.password, _ = u.User.Password()
	}
	if u.Path != "" && u.Path != "/" {
		return chat.Errorf(chat.EInvalid, "smtp: URL must not have a path")
	}
	return nil
}

// setParams applies the URL's query parameters; unknown ones are an error
// so a typo cannot silently weaken TLS. It returns insecure_skip_verify.
func (m *SMTP) setParams(q url.Values) (insecure bool, err error) {
	m.authType = gomail.SMTPAuthAutoDiscover
	for key, values := range q {
		if len(values) != 1 {
			return false, chat.Errorf(chat.EInvalid, "smtp: URL parameter %q given %d times", key, len(values))
		}
		v := values[0]
		switch key {
		case "tls":
			err = m.setTLS(v)
		case "starttls":
			err = m.setStartTLS(v)
		case "timeout":
			err = m.setTimeout(v)
		case "auth":
			m.authType, err = parseAuth(v)
		case "insecure_skip_verify":
			if insecure, err = strconv.ParseBool(v); err != nil {
				err = chat.Errorf(chat.EInvalid, "smtp: insecure_skip_verify=%q: want true or false", v)
			}
		default:
			err = chat.Errorf(chat.EInvalid, "smtp: unknown URL parameter %q", key)
		}
		if err != nil {
			return false, err
		}
	}
	return insecure, nil
}

// setTLS applies tls=none: plain SMTP, never with implicit TLS.
func (m *SMTP) setTLS(v string) error {
	if v != "none" {
		return chat.Errorf(chat.EInvalid, "smtp: tls=%q: the only value is none", v)
	}
	if m.implicitTLS {
		return chat.Errorf(chat.EInvalid, "smtp: smtps:// cannot have tls=none")
	}
	m.tlsPolicy = gomail.NoTLS
	return nil
}

// setStartTLS applies starttls=required|opportunistic to smtp:// URLs.
func (m *SMTP) setStartTLS(v string) error {
	if m.implicitTLS {
		return chat.Errorf(chat.EInvalid, "smtp: smtps:// is implicit TLS; starttls does not apply")
	}
	switch v {
	case "required":
		m.tlsPolicy = gomail.TLSMandatory
	case "opportunistic":
		m.tlsPolicy = gomail.TLSOpportunistic
	default:
		return chat.Errorf(chat.EInvalid, "smtp: starttls=%q: want required or opportunistic", v)
	}
	return nil
}

// setTimeout validates timeout=; SMTPConfig.Timeout, when set, wins.
func (m *SMTP) setTimeout(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return chat.Errorf(chat.EInvalid, "smtp: timeout=%q: want a positive duration like 30s", v)
	}
	if m.timeout == 0 {
		m.timeout = d
	}
	return nil
}

// authTypes maps the auth= values to go-mail's mechanisms.
var authTypes = map[string]gomail.SMTPAuthType{
	"auto":          gomail.SMTPAuthAutoDiscover,
	"plain":         gomail.SMTPAuthPlain,
	"login":         gomail.SMTPAuthLogin,
	"cram-md5":      gomail.SMTPAuthCramMD5,
	"scram-sha-256": gomail.SMTPAuthSCRAMSHA256,
}

// parseAuth reads auth=, case-insensitively.
func parseAuth(v string) (gomail.SMTPAuthType, error) {
	t, ok := authTypes[strings.ToLower(v)]
	if !ok {
		return "", chat.Errorf(chat.EInvalid, "smtp: auth=%q: want plain, login, cram-md5, scram-sha-256 or auto", v)
	}
	return t, nil
}

// validate checks the rules that span parameters: no password in clear,
// and a default sender that is a valid address.
func (m *SMTP) validate() error {
	if m.tlsPolicy == gomail.NoTLS && m.username != "" {
		return chat.Errorf(chat.EInvalid, "smtp: tls=none with credentials would send the password in clear")
	}
	if m.from != "" {
		if _, err := parseAddress(m.from, "From"); err != nil {
			return err
		}
	}
	return nil
}

// Send delivers e. Errors are *chat.Error:
//   - EInvalid: e has an invalid address, or the server refused the
//     message or a recipient permanently (5xx). Retrying cannot help.
//   - EUnavailable: temporary; the server was unreachable, timed out, hung
//     up, answered 4xx, or ctx ended. Retry later.
//   - EInternal: the mailer's own setup failed against this server
//     (authentication refused, TLS required but not offered, certificate
//     not trusted). Permanent until an operator fixes the configuration.
//
// Send returns nil once the server accepted the message, even if closing
// the session afterwards fails, so an accepted email is never retried.
func (m *SMTP) Send(ctx context.Context, e chat.Email) error {
	msg, err := m.message(e)
	if err != nil {
		return err
	}
	d := &dialer{sendCtx: ctx, implicitTLS: m.implicitTLS, tlsConfig: m.tlsConfig}
	defer d.close()
	opts := []gomail.Option{
		gomail.WithPort(m.port),
		gomail.WithTimeout(m.timeout),
		gomail.WithTLSPolicy(m.tlsPolicy),
		gomail.WithTLSConfig(m.tlsConfig),
		gomail.WithDialContextFunc(d.dial),
		gomail.WithoutNoop(),
	}
	if m.username != "" {
		opts = append(opts, gomail.WithSMTPAuth(m.authType), gomail.WithUsername(m.username), gomail.WithPassword(m.password))
	}
	client, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return chat.Internal(err, "smtp: client")
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(ctx, err, stageSession)
	}
	err = client.SendWithSMTPClient(conn, msg)
	if msg.IsDelivered() {
		_ = client.CloseWithSMTPClient(conn) // QUIT; the message is already accepted
		return nil
	}
	return classify(ctx, err, stageMessage)
}

// dialer opens the TCP (and, for smtps, TLS) connection itself so that
// cancelling the Send context closes it mid-session: go-mail honours the
// context only while dialing.
type dialer struct {
	sendCtx     context.Context
	implicitTLS bool
	tlsConfig   *tls.Config

	mu   sync.Mutex
	conn net.Conn
	stop func() bool
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conn = conn
	d.stop = context.AfterFunc(d.sendCtx, func() { _ = conn.Close() })
	d.mu.Unlock()
	if !d.implicitTLS {
		return conn, nil
	}
	tc := tls.Client(conn, d.tlsConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// close releases the connection on every path: go-mail leaves it open when
// the session fails before sending.
func (d *dialer) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop != nil {
		d.stop()
	}
	if d.conn != nil {
		_ = d.conn.Close()
	}
}

// message builds the go-mail message from e through its typed setters
// only, after refusing line breaks anywhere in a header field: no field of
// e can add a header.
func (m *SMTP) message(e chat.Email) (*gomail.Msg, error) {
	fromAddr, fromName := e.From, e.FromName
	if fromAddr == "" {
		fromAddr, fromName = m.from, m.fromName
	}
	if fromAddr == "" {
		return nil, chat.Errorf(chat.EInvalid, "email has no sender")
	}
	from, err := address(fromName, fromAddr, "From")
	if err != nil {
		return nil, err
	}
	to, err := address(e.ToName, e.To, "To")
	if err != nil {
		return nil, err
	}
	if e.Text == "" && e.HTML == "" {
		return nil, chat.Errorf(chat.EInvalid, "email has no body")
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ToMailAddress(to)
	if e.ReplyTo != "" {
		replyTo, err := address("", e.ReplyTo, "Reply-To")
		if err != nil {
			return nil, err
		}
		msg.ReplyToMailAddress(replyTo)
	}
	msg.Subject(headerText(e.Subject))
	msg.SetDate()
	msg.SetMessageIDWithValue(messageID(from.Address))
	if err := threadHeaders(msg, e); err != nil {
		return nil, err
	}
	if e.Automatic {
		msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	}
	// Text first: in multipart/alternative the last part is the preferred
	// one, so HTML-capable clients show the HTML.
	switch {
	case e.Text != "" && e.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, e.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	case e.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, e.HTML)
	}
	return msg, nil
}

// threadHeaders writes In-Reply-To and References. Each is one msg-id
// written by us in angle brackets; anything but a plain id-left@id-right
// (a space, a bracket, a control character) is refused, so no value can
// add a header or a second id.
func threadHeaders(msg *gomail.Msg, e chat.Email) error {
	for _, h := range []struct {
		name  gomail.Header
		value string
	}{{gomail.HeaderInReplyTo, e.InReplyTo}, {gomail.HeaderReferences, e.References}} {
		if h.value == "" {
			continue
		}
		if !plainMsgID(h.value) {
			return chat.Errorf(chat.EInvalid, "email %s id %q is invalid", h.name, h.value)
		}
		msg.SetGenHeader(h.name, "<"+h.value+">")
	}
	return nil
}

// plainMsgID reports whether s is left@right of printable ASCII with no
// space, bracket, quote or second @.
func plainMsgID(s string) bool {
	left, right, ok := strings.Cut(s, "@")
	return ok && left != "" && right != "" && len(s) <= 250 &&
		!strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`<>,;:\"[]()`, r) }) &&
		!strings.Contains(right, "@")
}

// messageID is a random id in the sender's domain: the default would
// publish the sending node's host name.
func messageID(from string) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return rand.Text() + "@" + domain
}

// address validates one mailbox. The address itself must be a bare
// addr-spec without line breaks (refused as invalid); the display name is
// user data such as a person's name, so control characters in it are
// replaced rather than failing the email. net/mail encodes the name
// (RFC 2047) when it is written.
func address(name, addr, field string) (*netmail.Address, error) {
	a, err := parseAddress(addr, field)
	if err != nil {
		return nil, err
	}
	a.Name = headerText(name)
	return a, nil
}

func parseAddress(addr, field string) (*netmail.Address, error) {
	if addr == "" {
		return nil, chat.Errorf(chat.EInvalid, "email %s address is empty", field)
	}
	if strings.ContainsFunc(addr, isControl) {
		return nil, chat.Errorf(chat.EInvalid, "email %s address is invalid", field)
	}
	a, err := netmail.ParseAddress(addr)
	// A bare addr-spec only: "Name <x@y>" or a group in the address field
	// would smuggle a second name or mailbox past the Email's fields.
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(addr) {
		return nil, chat.Errorf(chat.EInvalid, "email %s address %q is invalid", field, addr)
	}
	return &netmail.Address{Address: a.Address}, nil
}

// headerText makes a one-line header value: every control character
// (CR, LF, NUL, tab, ...) becomes a space, then spaces are collapsed.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

type stage int

const (
	stageSession stage = iota // connecting, TLS, AUTH
	stageMessage              // MAIL, RCPT, DATA
)

// classify turns a go-mail error into a chat.Error: temporary failures
// (network, timeouts, 4xx) are EUnavailable so the notifier retries them.
func classify(ctx context.Context, err error, st stage) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return &chat.Error{Code: chat.EUnavailable, Message: "sending email was cancelled", Err: errors.Join(ctx.Err(), err)}
	}
	unavailable := &chat.Error{Code: chat.EUnavailable, Message: "mail server unavailable, try again later", Err: err}

	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		code := sendErr.ErrorCode()
		switch {
		case sendErr.IsTemp() || code/100 == 4:
			return unavailable
		case code == 530:
			// "Authentication required": our configuration lacks
			// credentials, not a problem of this email.
			return chat.Internal(err, "smtp: server requires authentication")
		case code/100 == 5:
			return &chat.Error{Code: chat.EInvalid, Message: "mail server refused the email", Err: err}
		}
		switch sendErr.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return &chat.Error{Code: chat.EInvalid, Message: "email cannot be sent", Err: err}
		}
		// No reply code: the connection broke mid-transaction.
		return unavailable
	}

	var proto *textproto.Error
	if errors.As(err, &proto) {
		switch {
		case proto.Code/100 == 4:
			return unavailable
		case st == stageMessage:
			return &chat.Error{Code: chat.EInvalid, Message: "mail server refused the email", Err: err}
		default:
			// 5xx to EHLO or AUTH: our credentials or setup are wrong.
			return chat.Internal(err, "smtp: server refused the session")
		}
	}
	if isTransient(err) {
		return unavailable
	}
	return chat.Internal(err, "smtp: send")
}

// isTransient reports network-level failures that a later attempt may not
// meet: refused or reset connections, timeouts, hang-ups, DNS hiccups.
func isTransient(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &invalidCert) {
		return false // our trust setup or theirs; repeating will not fix it
	}
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return dnsErr.IsTemporary || dnsErr.IsTimeout || !dnsErr.IsNotFound
	case errors.As(err, &netErr):
		return true // timeouts, refused, unreachable
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// String describes the mailer for logs, without the password.
func (m *SMTP) String() string {
	scheme := "smtp"
	if m.implicitTLS {
		scheme = "smtps"
	}
	user := ""
	if m.username != "" {
		user = m.username + "@"
	}
	return fmt.Sprintf("%s://%s%s", scheme, user, net.JoinHostPort(m.host, strconv.Itoa(m.port)))
}
