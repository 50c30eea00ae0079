package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"parley/frontend"
	"parley/push"
)

// Config is everything the binary is told from outside. Each field comes
// from a flag, else from its PARLEY_* environment variable, else from the
// documented default (docs/configuration.md lists them all).
type Config struct {
	Listen      string // PARLEY_LISTEN, default ":8080"
	PublicURL   string // PARLEY_PUBLIC_URL, default http://localhost:<listen port>
	DataDir     string // PARLEY_DATA_DIR, default "./data"
	DatabaseURL string // PARLEY_DATABASE_URL, default "": SQLite in DataDir
	RedisURL    string // PARLEY_REDIS_URL, default "": in-process broker and presence
	RedisPrefix string // PARLEY_REDIS_PREFIX, default "parley"
	SMTPURL     string // PARLEY_SMTP_URL, default "": no email
	MailFrom    string // PARLEY_MAIL_FROM, default "parley@localhost": sender of notification email

	AdminEmail    string // PARLEY_ADMIN_EMAIL, default "admin@example.com"
	AdminPassword string // PARLEY_ADMIN_PASSWORD, default "": generated on first run

	// SessionKeys sign and encrypt session cookies; the first seals new
	// cookies, the others are still accepted (rotation).
	SessionKeys        []string      // PARLEY_SESSION_KEYS, default: generated into DataDir (single node only)
	SessionLifetime    time.Duration // PARLEY_SESSION_LIFETIME, default 168h
	SessionIdleTimeout time.Duration // PARLEY_SESSION_IDLE_TIMEOUT, default 12h
	ClientIPHeader     string        // PARLEY_CLIENT_IP_HEADER, default "": the peer address
	ShutdownTimeout    time.Duration // PARLEY_SHUTDOWN_TIMEOUT, default 15s
	// ShutdownDrain is how long a stop waits for WebSocket clients to
	// answer the going-away close frame before it drops their sockets
	// (hub.Config.CloseDrain); it is bounded by ShutdownTimeout.
	ShutdownDrain time.Duration // PARLEY_SHUTDOWN_DRAIN, default 2s
	// SessionRecheck is how often a node revalidates the sessions of its
	// open sockets (one query per 500 sessions), closing those revoked
	// without an event (CLI, expiry, deactivation in the database).
	SessionRecheck time.Duration // PARLEY_SESSION_RECHECK, default 10s
	// NotifyDelay is how long a notification email waits after its event,
	// so that people who read the message meanwhile get none.
	NotifyDelay time.Duration // PARLEY_NOTIFY_DELAY, default 2m
	// PollInterval is how often, while Redis is down, a node reads the
	// channels its clients follow from the database (cross-node delivery
	// delay during the outage; one query per tenant per period).
	PollInterval time.Duration // PARLEY_POLL_INTERVAL, default 1s
	// The outbox worker (chat.NotifierConfig; docs/notifications.md).
	NotifyPoll        time.Duration // PARLEY_NOTIFY_POLL, default 1s
	NotifyBatch       int           // PARLEY_NOTIFY_BATCH, default 1: jobs per claim
	NotifyLease       time.Duration // PARLEY_NOTIFY_LEASE, default 2m
	NotifySendTimeout time.Duration // PARLEY_NOTIFY_SEND_TIMEOUT, default 30s, under the lease
	// Cluster presence in Redis (hub.RedisPresenceOptions): a node that
	// stops beating counts as dead, its users offline, after the TTL.
	PresenceHeartbeat time.Duration // PARLEY_PRESENCE_HEARTBEAT, default 2s
	PresenceTTL       time.Duration // PARLEY_PRESENCE_TTL, default 6s, at least 2 heartbeats

	// MaxSocketsPerUser caps one user's open WebSockets on a node; the one
	// over it is closed with close code 4009. As in hub.Config, zero is
	// the default 20 and negative no limit (the variable's 0).
	MaxSocketsPerUser int // PARLEY_MAX_SOCKETS_PER_USER, default 20, 0: no limit

	// Web Push (docs/notifications.md): the VAPID key signs every push;
	// browsers subscribe with its public half, so it must stay the same
	// (a new key makes every device subscribe again).
	VAPIDPrivateKey string   // PARLEY_VAPID_PRIVATE_KEY, default: generated into DataDir (single node); none in a cluster: no Web Push
	VAPIDSubject    string   // PARLEY_VAPID_SUBJECT, default "mailto:<PARLEY_MAIL_FROM>"
	PushHosts       []string // PARLEY_PUSH_HOSTS, default the browsers' push services (push.DefaultHosts)

	// Reply by email (docs/notifications.md): InboundDomain turns reply
	// addresses reply+TOKEN@<domain> on in every notification email;
	// InboundAddr starts this node's SMTP (or LMTP) listener for them.
	InboundAddr    string        // PARLEY_INBOUND_SMTP_ADDR, default "": no listener on this node
	InboundDomain  string        // PARLEY_INBOUND_SMTP_DOMAIN, default "": reply by email off
	InboundLMTP    bool          // PARLEY_INBOUND_SMTP_LMTP, default false: SMTP
	InboundTLSCert string        // PARLEY_INBOUND_SMTP_TLS_CERT, default "": no STARTTLS
	InboundTLSKey  string        // PARLEY_INBOUND_SMTP_TLS_KEY, with the certificate
	ReplyTokenTTL  time.Duration // PARLEY_REPLY_TOKEN_TTL, default 720h

	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string // PARLEY_METRICS_TOKEN, default "": no login

	LogLevel  string // PARLEY_LOG_LEVEL, default "info"
	LogFormat string // PARLEY_LOG_FORMAT, default "auto": console on a terminal, else json

	Demo bool // PARLEY_DEMO, default false: seed demo data into an empty database
}

// option is one setting: a flag, its environment variable and default.
type option struct {
	name   string // flag name; the variable is PARLEY_<NAME> with - as _
	def    string
	usage  string
	secret bool // also read from PARLEY_<NAME>_FILE or --<name>-file
}

var options = []option{
	{"listen", ":8080", "address to listen on (host:port)", false},
	{"public-url", "", "address users open; default http://localhost:<port of listen>", false},
	{"data-dir", "./data", "directory for the SQLite database and generated session keys", false},
	{"database-url", "", "postgres://... selects PostgreSQL; empty: SQLite file in the data directory", true},
	{"redis-url", "", "redis://... for the broker and presence of a cluster; empty: in-process", true},
	{"redis-prefix", "parley", "prefix of every Redis key and channel", false},
	{"smtp-url", "", "smtp:// or smtps:// server for notification email; empty: no email", true},
	{"mail-from", "parley@localhost", "sender address of notification email (a tenant can set its own)", false},
	{"notify-delay", "2m", "how long a notification email waits after its event (sent only if still unread and offline then)", false},
	{"notify-poll", "1s", "how often the notification worker looks for due jobs", false},
	{"notify-batch", "1", "notification jobs one claim takes (1: a hung or killed node holds only the job it is sending)", false},
	{"notify-lease", "2m", "how long a claimed notification job stays the claimer's; a killed node's job comes back after it", false},
	{"notify-send-timeout", "30s", "bound of one SMTP send; must be well under the lease", false},
	{"presence-heartbeat", "2s", "how often a node renews its liveness in Redis", false},
	{"presence-ttl", "6s", "a node silent this long is dead and its users offline on every node; at least two heartbeats", false},
	{"admin-email", "admin@example.com", "email of the admin created on the first run", false},
	{"admin-password", "", "password of the admin created on the first run; empty: generated and printed once", true},
	{"session-keys", "", "comma-separated cookie secrets of at least 32 bytes, newest first; required with PostgreSQL or Redis", true},
	{"session-lifetime", "168h", "absolute lifetime of a login session", false},
	{"session-idle-timeout", "12h", "a session unused this long ends", false},
	{"session-recheck", "10s", "how often open sockets' sessions are revalidated (closes those revoked by the CLI or expired)", false},
	{"client-ip-header", "", "header from a trusted proxy carrying the client address (X-Forwarded-For, X-Real-IP)", false},
	{"shutdown-timeout", "15s", "how long a stop waits for in-flight requests", false},
	{"shutdown-drain", "2s", "how long a stop waits for WebSocket clients to answer the going-away close before dropping their sockets", false},
	{"poll-interval", "1s", "while Redis is down: how often each node reads the channels its clients follow from the database", false},
	{"max-sockets-per-user", "20", "open WebSockets one user may have on a node (the next is closed with code 4009); 0: no limit", false},
	{"vapid-private-key", "", "VAPID private key for Web Push (base64url P-256 scalar); empty: generated into the data directory, or no Web Push with PostgreSQL or Redis", true},
	{"vapid-subject", "", "contact push services may use about this server (mailto: or https:); default mailto:<mail-from>", false},
	{"push-hosts", "", "comma-separated push service hosts a subscription may point at (*.domain allowed); default the browsers' own", false},
	{"inbound-smtp-addr", "", "host:port (or a unix socket path for LMTP) of this node's listener for replies by email; empty: none", false},
	{"inbound-smtp-domain", "", "domain of the reply addresses (reply+TOKEN@domain) notification emails carry; empty: reply by email off", false},
	{"inbound-smtp-lmtp", "false", "speak LMTP instead of SMTP on the listener (behind Postfix)", false},
	{"inbound-smtp-tls-cert", "", "PEM certificate file: the listener offers STARTTLS", false},
	{"inbound-smtp-tls-key", "", "PEM key file of --inbound-smtp-tls-cert", false},
	{"reply-token-ttl", "720h", "how long the reply address of a notification email works", false},
	{"metrics-token", "", "bearer token /metrics requires (Authorization: Bearer ...); empty: no login, block /metrics at the balancer", true},
	{"log-level", "info", "debug, info, warn or error", false},
	{"log-format", "auto", "json, console, or auto (console on a terminal)", false},
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "PARLEY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// storageOptions are the options of commands that only open the database.
var storageOptions = []string{"data-dir", "database-url", "log-level", "log-format"}

// configFlags registers the options named in only (all when none) on fs
// and returns a function that, after fs.Parse, resolves flags over
// environment over defaults.
func configFlags(fs *flag.FlagSet, getenv func(string) string, only ...string) func() (Config, error) {
	values := map[string]*string{}
	files := map[string]*string{}
	for _, o := range options {
		if len(only) > 0 && !slices.Contains(only, o.name) {
			continue
		}
		values[o.name] = fs.String(o.name, o.def, fmt.Sprintf("%s (env %s)", o.usage, envName(o.name)))
		if o.secret {
			files[o.name] = fs.String(o.name+"-file", "", fmt.Sprintf("read --%s from this file (env %s_FILE)", o.name, envName(o.name)))
		}
	}
	return func() (Config, error) {
		// Only this function's flags count: a command may have a flag of
		// the same name for another purpose (tenant create --admin-email).
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) {
			name := strings.TrimSuffix(f.Name, "-file")
			if values[name] != nil && (f.Name == name || files[name] != nil) {
				set[f.Name] = true
			}
		})
		raw := map[string]string{}
		for _, o := range options {
			v, err := resolve(o, set, values, files, getenv)
			if err != nil {
				return Config{}, err
			}
			raw[o.name] = v
		}
		return buildConfig(raw)
	}
}

// resolve picks one option's value: flag, flag file, variable, variable
// file, default.
func resolve(o option, set map[string]bool, values, files map[string]*string, getenv func(string) string) (string, error) {
	readFile := func(path, from string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", from, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	env := envName(o.name)
	switch {
	case set[o.name] && o.secret && set[o.name+"-file"]:
		return "", fmt.Errorf("use either --%s or --%s-file, not both", o.name, o.name)
	case set[o.name]:
		return *values[o.name], nil
	case o.secret && set[o.name+"-file"]:
		return readFile(*files[o.name], "--"+o.name+"-file")
	}
	v, file := getenv(env), ""
	if o.secret {
		file = getenv(env + "_FILE")
	}
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set either %s or %s_FILE, not both", env, env)
	case v != "":
		return v, nil
	case file != "":
		return readFile(file, env+"_FILE")
	}
	return o.def, nil
}

// buildConfig checks and converts the resolved values; every problem is
// reported, not only the first.
func buildConfig(raw map[string]string) (Config, error) {
	c := Config{
		Listen:          raw["listen"],
		PublicURL:       strings.TrimRight(raw["public-url"], "/"),
		DataDir:         raw["data-dir"],
		DatabaseURL:     raw["database-url"],
		RedisURL:        raw["redis-url"],
		RedisPrefix:     raw["redis-prefix"],
		SMTPURL:         raw["smtp-url"],
		MailFrom:        raw["mail-from"],
		AdminEmail:      raw["admin-email"],
		AdminPassword:   raw["admin-password"],
		ClientIPHeader:  raw["client-ip-header"],
		MetricsToken:    raw["metrics-token"],
		VAPIDPrivateKey: strings.TrimSpace(raw["vapid-private-key"]),
		VAPIDSubject:    raw["vapid-subject"],
		LogLevel:        raw["log-level"],
		LogFormat:       raw["log-format"],
		InboundAddr:     raw["inbound-smtp-addr"],
		InboundDomain:   strings.ToLower(strings.TrimSpace(raw["inbound-smtp-domain"])),
		InboundTLSCert:  raw["inbound-smtp-tls-cert"],
		InboundTLSKey:   raw["inbound-smtp-tls-key"],
	}
	for _, k := range strings.Split(raw["session-keys"], ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.SessionKeys = append(c.SessionKeys, k)
		}
	}
	errs := c.parseDurations(raw)
	errs = append(errs, c.parseCounts(raw)...)
	errs = append(errs, c.checkTimings()...)
	errs = append(errs, c.checkAddresses()...)
	errs = append(errs, c.checkLoggingAndKeys()...)
	errs = append(errs, c.parsePush(raw)...)
	errs = append(errs, c.parseInbound(raw)...)
	return c, errors.Join(errs...)
}

// parseDurations sets the duration options; each must be positive.
func (c *Config) parseDurations(raw map[string]string) []error {
	var errs []error
	for name, dst := range map[string]*time.Duration{
		"session-lifetime": &c.SessionLifetime, "session-idle-timeout": &c.SessionIdleTimeout, "shutdown-timeout": &c.ShutdownTimeout,
		"shutdown-drain": &c.ShutdownDrain,
		"notify-delay":   &c.NotifyDelay, "session-recheck": &c.SessionRecheck, "poll-interval": &c.PollInterval,
		"notify-poll": &c.NotifyPoll, "notify-lease": &c.NotifyLease, "notify-send-timeout": &c.NotifySendTimeout,
		"presence-heartbeat": &c.PresenceHeartbeat, "presence-ttl": &c.PresenceTTL, "reply-token-ttl": &c.ReplyTokenTTL,
	} {
		d, err := time.ParseDuration(raw[name])
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 12h or 30m", envName(name), raw[name]))
		}
		*dst = d
	}
	return errs
}

// parseCounts sets the numeric options.
func (c *Config) parseCounts(raw map[string]string) []error {
	var errs []error
	if n, err := strconv.Atoi(raw["max-sockets-per-user"]); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("PARLEY_MAX_SOCKETS_PER_USER: %q is not a number of sockets (0: no limit)", raw["max-sockets-per-user"]))
	} else if c.MaxSocketsPerUser = n; n == 0 {
		c.MaxSocketsPerUser = -1
	}
	if n, err := strconv.Atoi(raw["notify-batch"]); err != nil || n < 1 || n > 1000 {
		errs = append(errs, fmt.Errorf("PARLEY_NOTIFY_BATCH: %q is not a number of jobs from 1 to 1000", raw["notify-batch"]))
	} else {
		c.NotifyBatch = n
	}
	return errs
}

// checkTimings checks the durations that bound one another.
func (c *Config) checkTimings() []error {
	var errs []error
	if c.NotifySendTimeout > 0 && c.NotifyLease > 0 && 2*c.NotifySendTimeout > c.NotifyLease {
		errs = append(errs, fmt.Errorf("PARLEY_NOTIFY_SEND_TIMEOUT: %v must be at most half of PARLEY_NOTIFY_LEASE (%v), or a slow send may be sent twice",
			c.NotifySendTimeout, c.NotifyLease))
	}
	if c.PresenceHeartbeat > 0 && c.PresenceTTL > 0 && c.PresenceTTL < 2*c.PresenceHeartbeat {
		errs = append(errs, fmt.Errorf("PARLEY_PRESENCE_TTL: %v must be at least two heartbeats (PARLEY_PRESENCE_HEARTBEAT %v)",
			c.PresenceTTL, c.PresenceHeartbeat))
	}
	return errs
}

// checkAddresses checks the listen address, URLs, sender and data
// directory.
func (c *Config) checkAddresses() []error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("PARLEY_LISTEN: %q is not host:port (e.g. :8080)", c.Listen))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("PARLEY_PUBLIC_URL: %q is not an http(s) URL", c.PublicURL))
		}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("PARLEY_DATABASE_URL: must be a postgres:// URL (empty selects SQLite in the data directory)"))
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, errors.New("PARLEY_REDIS_URL: must be a redis:// or rediss:// URL"))
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("PARLEY_MAIL_FROM: %q is not an email address", c.MailFrom))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("PARLEY_DATA_DIR: must not be empty when PARLEY_DATABASE_URL is empty"))
	}
	return errs
}

// checkLoggingAndKeys checks the log settings and the session keys'
// length.
func (c *Config) checkLoggingAndKeys() []error {
	var errs []error
	if _, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
		errs = append(errs, fmt.Errorf("PARLEY_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "auto", "json", "console":
	default:
		errs = append(errs, fmt.Errorf("PARLEY_LOG_FORMAT: %q is not json, console or auto", c.LogFormat))
	}
	for i, k := range c.SessionKeys {
		if len(k) < frontend.MinSessionKeyLen {
			errs = append(errs, fmt.Errorf("PARLEY_SESSION_KEYS: key %d is shorter than %d bytes", i+1, frontend.MinSessionKeyLen))
		}
	}
	return errs
}

// parsePush sets and checks the Web Push options: the push hosts, the
// VAPID contact (default mailto:<mail-from>) and the key.
func (c *Config) parsePush(raw map[string]string) []error {
	for _, h := range strings.Split(raw["push-hosts"], ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.PushHosts = append(c.PushHosts, h)
		}
	}
	if c.VAPIDSubject == "" {
		c.VAPIDSubject = "mailto:" + c.MailFrom
	}
	var errs []error
	if c.VAPIDPrivateKey != "" {
		if _, err := push.PublicKeyOf(c.VAPIDPrivateKey); err != nil {
			errs = append(errs, fmt.Errorf("PARLEY_VAPID_PRIVATE_KEY: %w", err))
		}
	}
	if !strings.HasPrefix(c.VAPIDSubject, "mailto:") && !strings.HasPrefix(c.VAPIDSubject, "https://") {
		errs = append(errs, fmt.Errorf("PARLEY_VAPID_SUBJECT: %q is not a mailto: or https:// URL", c.VAPIDSubject))
	}
	return errs
}

// Cluster reports whether several nodes may share this configuration: with
// PostgreSQL or Redis, every node must be given the same session keys.
func (c Config) Cluster() bool { return c.DatabaseURL != "" || c.RedisURL != "" }

// sessionKeyFile is where the embedded default keeps its generated key.
const sessionKeyFile = "session.key"

var errMissingSessionKeys = errors.New("PARLEY_SESSION_KEYS is required with PostgreSQL or Redis: every node must seal cookies with the same keys (generate one with `openssl rand -base64 48`)")

// sessionKeys returns the configured keys, or on a single node the key
// kept in the data directory, generated on first use.
func (c Config) sessionKeys() ([][]byte, error) {
	if len(c.SessionKeys) > 0 {
		keys := make([][]byte, len(c.SessionKeys))
		for i, k := range c.SessionKeys {
			keys[i] = []byte(k)
		}
		return keys, nil
	}
	if c.Cluster() {
		return nil, errMissingSessionKeys
	}
	key, err := c.keptKey(sessionKeyFile, "session key", func() (string, error) {
		raw := make([]byte, 48)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(raw), nil
	}, func(key string) error {
		if len(key) < frontend.MinSessionKeyLen {
			return fmt.Errorf("shorter than %d bytes", frontend.MinSessionKeyLen)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return [][]byte{[]byte(key)}, nil
}

// keptKey returns the key kept in the data directory's file name,
// generating and writing it on first use (a second process racing the
// first reads what the first wrote); check refuses a damaged file.
func (c Config) keptKey(name, what string, generate func() (string, error), check func(string) error) (string, error) {
	if err := checkDataDir(c.DataDir); err != nil {
		return "", err
	}
	path := filepath.Join(c.DataDir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := generate()
		if err != nil {
			return "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return c.keptKey(name, what, generate, check) // another process wrote it first
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		_, werr := f.WriteString(key + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return key, nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	key := strings.TrimSpace(string(b))
	if err := check(key); err != nil {
		return "", fmt.Errorf("%s in %s: %w", what, path, err)
	}
	return key, nil
}

// vapidKeyFile is where the embedded default keeps its generated VAPID
// key, beside the session key.
const vapidKeyFile = "vapid.key"

// vapidKey returns the configured VAPID private key, or on a single node
// the key kept in the data directory, generated on first use. In a
// cluster without a configured key it returns "": every node must sign
// with the same key, so no node may make up its own, and Web Push is off.
func (c Config) vapidKey() (string, error) {
	if c.VAPIDPrivateKey != "" {
		return c.VAPIDPrivateKey, nil
	}
	if c.Cluster() {
		return "", nil
	}
	return c.keptKey(vapidKeyFile, "VAPID key", push.GenerateKey, func(key string) error {
		_, err := push.PublicKeyOf(key)
		return err
	})
}

// newLogger builds the process logger: JSON lines, or console output on a
// terminal.
func newLogger(c Config, w io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(c.LogLevel)
	format := c.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "console"
			}
		}
	}
	var out = zerolog.New(w)
	if format == "console" {
		out = zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly})
	}
	return out.Level(level).With().Timestamp().Logger()
}

// parseInbound checks the reply-by-email settings: a listener needs the
// domain its addresses are in, a certificate needs its key.
func (c *Config) parseInbound(raw map[string]string) []error {
	var errs []error
	lmtp, err := strconv.ParseBool(raw["inbound-smtp-lmtp"])
	if err != nil {
		errs = append(errs, fmt.Errorf("PARLEY_INBOUND_SMTP_LMTP: %q is not true or false", raw["inbound-smtp-lmtp"]))
	}
	c.InboundLMTP = lmtp
	if c.InboundDomain != "" {
		if _, err := mail.ParseAddress("reply@" + c.InboundDomain); err != nil || strings.ContainsAny(c.InboundDomain, "@ ") {
			errs = append(errs, fmt.Errorf("PARLEY_INBOUND_SMTP_DOMAIN: %q is not a mail domain", c.InboundDomain))
		}
	}
	if c.InboundAddr != "" {
		if c.InboundDomain == "" {
			errs = append(errs, errors.New("PARLEY_INBOUND_SMTP_ADDR: needs PARLEY_INBOUND_SMTP_DOMAIN, the domain of the reply addresses"))
		}
		if _, _, err := net.SplitHostPort(c.InboundAddr); err != nil && !strings.HasPrefix(c.InboundAddr, "/") {
			errs = append(errs, fmt.Errorf("PARLEY_INBOUND_SMTP_ADDR: %q is not host:port (e.g. :2525) or a socket path", c.InboundAddr))
		}
	}
	if (c.InboundTLSCert == "") != (c.InboundTLSKey == "") {
		errs = append(errs, errors.New("PARLEY_INBOUND_SMTP_TLS_CERT and PARLEY_INBOUND_SMTP_TLS_KEY go together"))
	}
	return errs
}
