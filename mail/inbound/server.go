package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/rs/zerolog"
	"golang.org/x/net/netutil"

	"parley/chat"
)

// Receiver is the domain port a reply is handed to (chat.ReplyMailService).
type Receiver interface {
	ReplyByEmail(ctx context.Context, in chat.InboundMail) (chat.ReplyResult, error)
}

// Config configures a Server. Zero values are documented defaults.
type Config struct {
	// Addr is the listen address (":2525"); required.
	Addr string
	// Domain is the domain of the reply addresses (chat.Config.ReplyDomain);
	// recipients in any other domain are refused. Required.
	Domain string
	// LMTP speaks LMTP instead of SMTP (behind Postfix: a transport to
	// lmtp:host:port), answering for each recipient.
	LMTP bool
	// TLS, when set, offers STARTTLS with this configuration.
	TLS *tls.Config
	// MaxConnections bounds open sessions (default 100); more wait in the
	// kernel's accept queue.
	MaxConnections int
	// MaxRecipients bounds RCPT per message (default 10).
	MaxRecipients int
	// Timeout bounds each read and write of a session (default 1 minute)
	// and the handling of one message (default: the same).
	Timeout time.Duration
	Logger  zerolog.Logger
	// Observe, when set, is told the fate of each mail (metrics).
	Observe func(chat.ReplyFate)
}

func (c *Config) setDefaults() {
	if c.MaxConnections <= 0 {
		c.MaxConnections = 100
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = 10
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
}

// Server receives replies over SMTP or LMTP (github.com/emersion/go-smtp)
// and hands each to the Receiver.
type Server struct {
	cfg  Config
	recv Receiver
	smtp *smtp.Server
	ln   net.Listener
	log  zerolog.Logger
	done chan struct{}

	mu     sync.Mutex
	closed bool
}

// Listen binds cfg.Addr and returns a Server ready to Serve.
func Listen(cfg Config, recv Receiver) (*Server, error) {
	cfg.setDefaults()
	if cfg.Addr == "" || cfg.Domain == "" {
		return nil, errors.New("inbound: Addr and Domain are required")
	}
	network := "tcp"
	if cfg.Addr[0] == '/' {
		network = "unix" // an LMTP socket behind Postfix
	}
	ln, err := net.Listen(network, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("inbound: listen on %s: %w", cfg.Addr, err)
	}
	s := &Server{cfg: cfg, recv: recv, ln: netutil.LimitListener(ln, cfg.MaxConnections), done: make(chan struct{}),
		log: cfg.Logger.With().Str("component", "inbound-smtp").Logger()}
	srv := smtp.NewServer(backend{s})
	srv.Domain, srv.LMTP, srv.TLSConfig = cfg.Domain, cfg.LMTP, cfg.TLS
	srv.MaxMessageBytes, srv.MaxRecipients = MaxMessageBytes, cfg.MaxRecipients
	srv.ReadTimeout, srv.WriteTimeout = cfg.Timeout, cfg.Timeout
	srv.ErrorLog = zerologAdapter{s.log}
	s.smtp = srv
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts sessions until Close; it returns nil after Close.
func (s *Server) Serve() error {
	defer close(s.done)
	err := s.smtp.Serve(s.ln)
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops accepting and waits for the open sessions until ctx ends,
// then closes them. It is safe to call more than once.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		err = errors.Join(err, s.smtp.Close())
	}
	return err
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

// session is one SMTP/LMTP session: an envelope, then the message.
type session struct {
	s      *Server
	from   string
	tokens []string // one per accepted recipient
	rcpts  []string
}

var _ smtp.LMTPSession = (*session)(nil)

func (c *session) Mail(from string, _ *smtp.MailOptions) error {
	c.from = from
	return nil
}

// Rcpt takes only reply+TOKEN@domain with a token of the right form; any
// other address is refused at once, so that Parley relays nothing and
// nobody learns more than "no such user".
func (c *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	token, ok := chat.ParseReplyAddress(to, c.s.cfg.Domain)
	if !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such recipient"}
	}
	c.tokens, c.rcpts = append(c.tokens, token), append(c.rcpts, to)
	return nil
}

func (c *session) Data(r io.Reader) error {
	var first error
	accepted := false
	err := c.each(r, func(_ string, err error) {
		if err == nil {
			accepted = true
		} else if first == nil {
			first = err
		}
	})
	if err != nil || accepted {
		return err
	}
	return first
}

func (c *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	return c.each(r, status.SetStatus)
}

// each reads the message once and hands it to the domain for each
// recipient, reporting each recipient's answer.
func (c *session) each(r io.Reader, set func(rcpt string, err error)) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // over MaxMessageBytes: go-smtp's 552
	}
	msg, err := Parse(raw, c.from)
	if err != nil {
		c.s.log.Info().Err(err).Msg("unreadable inbound mail")
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message could not be read"}
	}
	id := msg.MessageID
	if id == "" {
		sum := sha256.Sum256(raw)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	in := chat.InboundMail{EnvelopeFrom: c.from, From: msg.From, MessageID: id, Text: msg.Text,
		Automatic: msg.Automatic, Reason: msg.Reason}
	for _, a := range msg.Attachments {
		in.Attachments = append(in.Attachments, chat.InboundAttachment{Filename: a.Filename, Data: a.Data})
	}
	for i, token := range c.tokens {
		in.Token = token
		set(c.rcpts[i], c.s.receive(in))
	}
	return nil
}

// receive hands one mail to the domain and turns its fate into the SMTP
// answer: accepted, duplicates and ignored mail 250 (no bounce, no loop),
// a rate limit or an outage 451 (the sending server retries later), any
// other refusal 550.
func (s *Server) receive(in chat.InboundMail) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	res, err := s.recv.ReplyByEmail(ctx, in)
	if err != nil {
		s.log.Warn().Err(err).Msg("inbound mail deferred")
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(res.Fate)
	}
	switch {
	case res.Fate == chat.FateRateLimited:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Too many messages, try again later"}
	case res.Refused():
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: refusalText(res.Fate)}
	}
	return nil
}

// refusalText is what the sender's bounce says; it names no account.
func refusalText(f chat.ReplyFate) string {
	switch f {
	case chat.FateExpired:
		return "This reply address has expired; answer in the web app"
	case chat.FateWrongSender:
		return "Replies must come from the address the notification went to"
	case chat.FateNoAccess:
		return "You can no longer write in this thread"
	case chat.FateInvalid:
		return "The message or an attachment was not accepted"
	}
	return "No such recipient"
}

func (c *session) Reset() { c.from, c.tokens, c.rcpts = "", nil, nil }

func (c *session) Logout() error { return nil }

// zerologAdapter gives go-smtp's error log to zerolog.
type zerologAdapter struct{ log zerolog.Logger }

func (z zerologAdapter) Printf(format string, v ...any) { z.log.Warn().Msgf(format, v...) }
func (z zerologAdapter) Println(v ...any)               { z.log.Warn().Msg(fmt.Sprintln(v...)) }
