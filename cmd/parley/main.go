// Command parley is Parley's one binary: the chat server and the
// operator's command line.
//
//	parley [serve] [--demo] [flags]   run the server (the default)
//	parley migrate                    bring the database to the newest schema
//	parley user create|reset-password|deactivate
//	parley tenant create|list
//
// Every command takes --help. Configuration comes from flags, else from
// PARLEY_* environment variables, else from documented defaults
// (docs/configuration.md).
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"parley/chat"
	"parley/frontend"
	"parley/hub"
	"parley/mail"
	"parley/mail/inbound"
	"parley/push"
	"parley/storage/postgres"
	"parley/storage/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// Main is one running Parley server. End-to-end tests start it in-process
// the way main does: NewMain, Run, and Close when done.
type Main struct {
	Config Config
	Log    zerolog.Logger
	// Stdout receives the startup banner: the URL and, on the first run,
	// the admin login.
	Stdout io.Writer

	store    chat.Store
	svc      *chat.Service
	hub      *hub.Hub
	broker   hub.Broker
	presence hub.Presence
	redis    *redis.Client
	// nodeID names this node in the cluster's broker-outage records
	// (hub.Config.NodeID); empty without Redis.
	nodeID    string
	server    *http.Server
	listener  net.Listener
	publicURL string

	// httpMetrics counts the answers of every route (httpmetrics.go).
	httpMetrics *httpMetrics
	// inbound is this node's listener for replies by email (nil: none);
	// inboundFates counts what became of each mail.
	inbound      *inbound.Server
	inboundFates *prometheus.CounterVec

	// hubOptions, set by tests before Run, adjusts the hub's configuration
	// (e.g. turns off a backstop that would hide a broken live path).
	hubOptions func(*hub.Config)
	// pushClient, set by tests before Run, sends the Web Pushes (one that
	// trusts the test push service's certificate).
	pushClient *http.Client
	pusher     *push.Pusher

	serveErr  chan error
	bgCancel  context.CancelFunc
	bg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a server for cfg; nothing runs until Run.
func NewMain(cfg Config, log zerolog.Logger, stdout io.Writer) *Main {
	return &Main{Config: cfg, Log: log, Stdout: stdout, serveErr: make(chan error, 1)}
}

// sqliteFile is the database of the embedded default, in the data dir.
const sqliteFile = "parley.db"

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, c Config, log zerolog.Logger) (chat.Store, error) {
	if c.DatabaseURL != "" {
		st, err := postgres.Open(ctx, c.DatabaseURL, log)
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL: %w", operatorError(err))
		}
		log.Info().Str("component", "storage").Str("engine", "postgres").Msg("database ready")
		return st, nil
	}
	if err := checkDataDir(c.DataDir); err != nil {
		return nil, err
	}
	path := filepath.Join(c.DataDir, sqliteFile)
	st, err := sqlite.Open(ctx, path, log)
	if err != nil {
		return nil, fmt.Errorf("SQLite %s: %w", path, operatorError(err))
	}
	log.Info().Str("component", "storage").Str("engine", "sqlite").Str("path", path).Msg("database ready")
	return st, nil
}

// postBatches is chat.Config.PostBatches for the engine: SQLite has one
// writer, so one batch in flight lets the next gather meanwhile.
func postBatches(c Config) int {
	if c.DatabaseURL == "" {
		return 1
	}
	return 0 // the default
}

// operatorError shows the operator what an internal error hides from
// users: the cause.
func operatorError(err error) error {
	var ce *chat.Error
	if errors.As(err, &ce) && ce.Code == chat.EInternal && ce.Err != nil {
		return ce.Err
	}
	return err
}

// Run opens the database, prepares the first run, starts serving and
// prints the banner. It returns once the server accepts connections; Close
// stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	c := m.Config
	if !c.Cluster() {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	keys, err := c.sessionKeys()
	if err != nil {
		return err
	}
	if err := m.newPusher(); err != nil {
		return err
	}
	if m.store, err = openStore(ctx, c, m.Log); err != nil {
		return err
	}

	if m.listener, err = net.Listen("tcp", c.Listen); err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	m.publicURL = c.PublicURL
	if m.publicURL == "" {
		m.publicURL = "http://localhost:" + strconv.Itoa(m.listener.Addr().(*net.TCPAddr).Port)
	}

	// The service publishes to the broker the hub (created later, as it
	// needs the service) delivers from, and asks the hub's presence.
	if err := m.connectBroker(ctx); err != nil {
		return err
	}
	m.svc = chat.NewService(chat.Config{Store: m.store, Publisher: hub.Publisher{Broker: m.broker},
		Presence: m.presence, Logger: m.Log,
		SessionLifetime: c.SessionLifetime, SessionIdleTimeout: c.SessionIdleTimeout, PublicURL: m.publicURL,
		NotifyDelay: c.NotifyDelay, PostBatches: postBatches(c), PushHosts: m.pushHosts(),
		ReplyDomain: c.InboundDomain, ReplyTokenTTL: c.ReplyTokenTTL})

	// Everything that can refuse the configuration comes before the first
	// run: a generated admin password is printed only once, at the end.
	mailer, err := m.newMailer()
	if err != nil {
		return err
	}
	fe, err := frontend.New(frontend.Config{Domain: frontend.DomainOf(m.svc), PublicURL: m.publicURL, SessionKeys: keys,
		SessionLifetime: c.SessionLifetime, ClientIPHeader: c.ClientIPHeader, Logger: m.Log, PushPublicKey: m.pushPublicKey(),
		Ready: func(ctx context.Context) error { _, err := m.store.TenantCount(ctx); return err }})
	if err != nil {
		return err
	}
	m.startHub(fe)
	fe.Mount("GET /ws", m.hub)

	banner, err := m.firstRun(ctx)
	if err != nil {
		return err
	}

	m.server = &http.Server{
		Handler:           m.httpMetrics.wrap(fe),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          stdlog.New(m.Log.With().Str("component", "http").Logger(), "", 0),
	}
	go func() { m.serveErr <- m.server.Serve(m.listener) }()

	if err := m.startWorkers(ctx, mailer); err != nil {
		return err
	}

	m.Log.Info().Str("component", "main").Str("url", m.publicURL).Str("listen", m.listener.Addr().String()).Msg("serving")
	fmt.Fprintln(m.Stdout, banner)
	return nil
}

// URL is the address users open.
func (m *Main) URL() string { return m.publicURL }

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Wait returns when the server stops on its own (a failed listener).
func (m *Main) Wait() <-chan error { return m.serveErr }

// connectBroker connects the broker and presence: Redis in a cluster,
// in-process otherwise.
func (m *Main) connectBroker(ctx context.Context) error {
	c := m.Config
	if c.RedisURL == "" {
		m.broker, m.presence = hub.NewMemoryBroker(), hub.NewMemoryPresence()
		return nil
	}
	opts, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		return fmt.Errorf("PARLEY_REDIS_URL: %w", err)
	}
	// Every Redis call of Parley's carries a deadline of its own (the
	// presence calls, the heartbeat, the broker's reconnect); go-redis
	// applies it to the socket only when told to, and otherwise waits its
	// 3 s read timeout on a hung Redis, whatever the caller asked.
	opts.ContextTimeoutEnabled = true
	m.redis = redis.NewClient(opts)
	if err := m.redis.Ping(ctx).Err(); err != nil {
		//lint:ignore ST1005 Redis is a proper noun, like the PARLEY_REDIS_URL prefix above
		return fmt.Errorf("Redis: %w", err)
	}
	host, _ := os.Hostname()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	// Host and pid for the operator, random so that no two processes (a
	// restart reusing a pid) share an id and clear each other's record.
	m.nodeID = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(rnd[:]))
	prefix := c.RedisPrefix + ":"
	m.broker = hub.NewRedisBroker(m.redis, prefix, hub.RedisBrokerOptions{Logger: m.Log})
	m.presence = hub.NewRedisPresence(m.redis, prefix, hub.RedisPresenceOptions{Logger: m.Log,
		Heartbeat: c.PresenceHeartbeat, TTL: c.PresenceTTL})
	return nil
}

// startHub creates the hub on the connected broker and presence and
// serves its metrics.
func (m *Main) startHub(fe *frontend.Server) {
	// The request's own host is always allowed; behind a proxy that
	// rewrites Host the public URL's host is the one browsers send.
	var origins []string
	if u, err := url.Parse(m.publicURL); err == nil {
		// Scheme and host: an http:// page must not open sockets on an
		// https:// deployment's behalf.
		origins = append(origins, u.Scheme+"://"+u.Host)
	}
	// Metrics go to a registry of this node's own (not the global one), so
	// in-process test nodes do not collide.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newOutboxCollector(m.store, m.Log))
	m.httpMetrics = newHTTPMetrics(reg)
	m.inboundFates = newInboundFates(reg)
	hc := hub.Config{Service: hubDomain{m.svc.Sessions, m.svc.Messages, m.svc.Directory}, Broker: m.broker, Presence: m.presence, Authenticate: fe.Authenticate,
		Logger: m.Log, OriginPatterns: origins, Registerer: reg, SessionRecheck: m.Config.SessionRecheck,
		MaxSocketsPerUser: m.Config.MaxSocketsPerUser, CloseDrain: m.Config.ShutdownDrain, PollInterval: m.Config.PollInterval, NodeID: m.nodeID}
	if m.hubOptions != nil {
		m.hubOptions(&hc)
	}
	m.hub = hub.New(hc)
	fe.Mount("GET /metrics", metricsHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), m.Config.MetricsToken))
}

// startWorkers starts the background jobs every node runs: the
// notification outbox worker, the retention clean-up and the session
// sweeper, and the reply-by-email listener where configured. Close stops them before the database closes.
func (m *Main) startWorkers(ctx context.Context, mailer chat.Mailer) error {
	c := m.Config
	node, _ := os.Hostname()
	node = fmt.Sprintf("%s:%d", node, os.Getpid())
	var pusher chat.Pusher
	if m.pusher != nil {
		pusher = m.pusher
	}
	notifier, err := chat.NewNotifier(m.svc, chat.NotifierConfig{Mailer: mailer, Pusher: pusher, From: c.MailFrom, Node: node, Logger: m.Log,
		PollInterval: c.NotifyPoll, BatchSize: c.NotifyBatch, Lease: c.NotifyLease, SendTimeout: c.NotifySendTimeout})
	if err != nil {
		return err
	}
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.bgCancel = cancel
	m.bg.Go(func() { m.expireSessions(bgCtx) })
	m.bg.Go(func() {
		if err := notifier.Run(bgCtx); err != nil {
			m.Log.Error().Err(err).Str("component", "notifier").Msg("notifier stopped")
		}
	})
	m.bg.Go(func() { m.svc.Conversations.RetentionLoop(bgCtx, 0, node) })
	return m.startInbound()
}

// startInbound starts this node's listener for replies by email when
// PARLEY_INBOUND_SMTP_ADDR is set; Close stops it before the database
// closes, letting a mail being received finish.
func (m *Main) startInbound() error {
	c := m.Config
	if c.InboundAddr == "" {
		return nil
	}
	cfg := inbound.Config{Addr: c.InboundAddr, Domain: c.InboundDomain, LMTP: c.InboundLMTP, Logger: m.Log,
		Observe: func(f chat.ReplyFate) { m.inboundFates.WithLabelValues(string(f)).Inc() }}
	if c.InboundTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.InboundTLSCert, c.InboundTLSKey)
		if err != nil {
			return fmt.Errorf("PARLEY_INBOUND_SMTP_TLS_CERT: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := inbound.Listen(cfg, m.svc.Replies)
	if err != nil {
		return fmt.Errorf("PARLEY_INBOUND_SMTP_ADDR: %w", err)
	}
	m.inbound = srv
	m.bg.Go(func() {
		if err := srv.Serve(); err != nil {
			m.Log.Error().Err(err).Str("component", "inbound-smtp").Msg("inbound listener stopped")
		}
	})
	m.Log.Info().Str("component", "main").Str("inbound", srv.Addr().String()).Str("domain", c.InboundDomain).
		Bool("lmtp", c.InboundLMTP).Msg("receiving replies by email")
	return nil
}

// InboundAddr is the address of the reply-by-email listener ("" when none).
func (m *Main) InboundAddr() string {
	if m.inbound == nil {
		return ""
	}
	return m.inbound.Addr().String()
}

// newInboundFates counts inbound mail by fate, every fate from zero.
func newInboundFates(reg prometheus.Registerer) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_inbound_mail_total",
		Help: "Mail received for reply addresses, by fate (reply_accepted, reply_refused_sender, ...)."}, []string{"fate"})
	for _, f := range chat.ReplyFates() {
		v.WithLabelValues(string(f))
	}
	reg.MustRegister(v)
	return v
}

// newPusher makes the Web Push sender from the VAPID key (kept in the
// data directory on a single node); without a key (a cluster given none)
// there is no Web Push.
func (m *Main) newPusher() error {
	key, err := m.Config.vapidKey()
	if err != nil {
		return err
	}
	if key == "" {
		m.Log.Info().Str("component", "main").Msg("PARLEY_VAPID_PRIVATE_KEY is not set: no Web Push (every node needs the same key)")
		return nil
	}
	m.pusher, err = push.New(push.Config{PrivateKey: key, Subject: m.Config.VAPIDSubject, Hosts: m.Config.PushHosts, Client: m.pushClient})
	if err != nil {
		return fmt.Errorf("PARLEY_VAPID_PRIVATE_KEY: %w", err)
	}
	return nil
}

func (m *Main) pushHosts() []string {
	if m.pusher == nil {
		return nil
	}
	return m.pusher.Hosts()
}

func (m *Main) pushPublicKey() string {
	if m.pusher == nil {
		return ""
	}
	return m.pusher.PublicKey()
}

// newMailer returns the SMTP mailer of PARLEY_SMTP_URL, nil when unset.
func (m *Main) newMailer() (chat.Mailer, error) {
	if m.Config.SMTPURL == "" {
		m.Log.Info().Str("component", "main").Msg("PARLEY_SMTP_URL is not set: no notification email is sent")
		return nil, nil
	}
	mm, err := mail.NewSMTP(mail.SMTPConfig{URL: m.Config.SMTPURL})
	if err != nil {
		return nil, fmt.Errorf("PARLEY_SMTP_URL: %w", err)
	}
	return mm, nil
}

// sessionSweep is how often expired and idle sessions are deleted.
const sessionSweep = 10 * time.Minute

// expireSessions deletes expired sessions now and then every sessionSweep.
func (m *Main) expireSessions(ctx context.Context) {
	log := m.Log.With().Str("component", "sessions").Logger()
	t := time.NewTicker(sessionSweep)
	defer t.Stop()
	for {
		if n, err := m.svc.Sessions.ExpireSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("expiring sessions")
		} else if n > 0 {
			log.Info().Int64("deleted", n).Msg("expired sessions deleted")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the server gracefully: it stops accepting, closes the
// WebSockets with a code telling clients to reconnect elsewhere, lets
// in-flight requests finish, stops background jobs and closes the
// database. It may be called more than once.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		timeout := m.Config.ShutdownTimeout
		if timeout <= 0 {
			timeout = 15 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		var errs []error
		if m.server != nil {
			shut := make(chan error, 1)
			go func() { shut <- m.server.Shutdown(ctx) }()
			if m.hub != nil {
				errs = append(errs, m.hub.Shutdown(ctx))
			}
			if err := <-shut; err != nil {
				errs = append(errs, err, m.server.Close())
			}
		} else {
			if m.listener != nil {
				_ = m.listener.Close()
			}
			if m.hub != nil {
				errs = append(errs, m.hub.Shutdown(ctx))
			}
		}
		if m.inbound != nil {
			errs = append(errs, m.inbound.Close(ctx))
		}
		if m.bgCancel != nil {
			m.bgCancel()
		}
		m.bg.Wait()
		for _, c := range []io.Closer{m.broker, m.presence} {
			if c != nil {
				errs = append(errs, c.Close())
			}
		}
		if m.redis != nil {
			errs = append(errs, m.redis.Close())
		}
		if m.store != nil {
			errs = append(errs, m.store.Close())
		}
		m.closeErr = errors.Join(errs...)
		if m.server != nil {
			m.Log.Info().Str("component", "main").Dur("took", time.Since(start)).Msg("stopped")
		}
	})
	return m.closeErr
}

// metricsHandler serves /metrics, behind a bearer token when one is set.
func metricsHandler(next http.Handler, token string) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearerToken(r)
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hubDomain is the domain as the hub calls it (hub.Service): sessions, the
// threads it carries, and whose presence a user may see.
type hubDomain struct {
	*chat.SessionService
	*chat.MessageService
	*chat.DirectoryService
}

var _ hub.Service = hubDomain{}
