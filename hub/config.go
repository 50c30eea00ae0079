package hub

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"parley/chat"
)

// Config configures a Hub. Every field documents its zero-value default;
// only Service, Broker, Presence and Authenticate are required.
type Config struct {
	// Service is the domain (required); cmd/parley wires chat's services.
	Service Service
	// Broker carries event frames between nodes (required): NewMemoryBroker
	// for one node, NewRedisBroker for many.
	Broker Broker
	// Presence records who is connected (required): NewMemoryPresence or
	// NewRedisPresence.
	Presence Presence
	// Authenticate finds the principal of an upgrade request (required,
	// injected by the wiring: frontend owns cookies). Before the WebSocket
	// is accepted, an EUnauthenticated error or a nil principal answers
	// 401 (log in), an EUnavailable one 503 with Retry-After (the session
	// could not be checked: retry), anything else 500.
	Authenticate func(r *http.Request) (*chat.Principal, error)

	// Logger receives the hub's logs. Zero: logs are discarded.
	Logger zerolog.Logger
	// Registerer receives the hub's metrics. Zero: metrics are kept but
	// not registered anywhere.
	Registerer prometheus.Registerer

	// OriginPatterns lists the extra origins allowed to open a socket
	// (host patterns as in coder/websocket AcceptOptions.OriginPatterns,
	// e.g. the public URL's host). The request's own host is always
	// allowed. Zero: same-origin only.
	OriginPatterns []string

	// ReadLimit is the largest client message in bytes; a bigger one closes
	// the connection with CloseMessageTooBig. Zero: 64 KiB.
	ReadLimit int64
	// SendQueueBytes bounds each connection's outgoing queue (frames queued
	// or being written). Overflow closes the connection with
	// CloseSlowConsumer. Zero: 1 MiB.
	SendQueueBytes int
	// MaxBatchBytes is how many bytes of queued frames the writer joins
	// into one WebSocket message. Zero: 64 KiB.
	MaxBatchBytes int
	// WriteTimeout bounds every write and every ping's wait for its pong.
	// Zero: 10 s.
	WriteTimeout time.Duration
	// CloseDrain is how long Shutdown waits for clients to answer its
	// going-away close frame before it drops the remaining sockets. The
	// frame is on the wire by then; the answer is a courtesy, and a
	// client that never gives it would otherwise hold the stop for the
	// library's 5 s handshake timeout. Zero: 2 s.
	CloseDrain time.Duration
	// PingInterval is how often the server pings each connection; keep it
	// well inside proxies' idle timeouts (commonly 60 s). Zero: 25 s.
	PingInterval time.Duration

	// RateLimit is the sustained number of client frames per second a
	// connection may send, RateBurst the bucket size. Zero: 20/s, burst 40.
	RateLimit float64
	RateBurst int
	// RateLimitStrikes is how many consecutive rate-limited frames close the
	// connection with CloseRateLimited. Zero: 100.
	RateLimitStrikes int

	// UnsubscribeGrace is how long the node keeps a broker subscription
	// after the last local subscriber left (a reconnecting client comes
	// back within it). Zero: 5 s.
	UnsubscribeGrace time.Duration
	// SessionRecheck is how often each connected session is revalidated, a
	// backstop for lost revocation events and for revocations that send
	// none (the admin CLI, expiry); revocation events close sockets at
	// once. A recheck is one Service.SessionsAlive query per SessionBatch
	// sessions. Zero: 10 s. Negative: never.
	SessionRecheck time.Duration

	// ReplayPageSize is the page size for replays and gap filling. Zero: 200.
	ReplayPageSize int
	// MaxReplay is the largest gap a subscribe with since replays; beyond
	// it the client gets a reload frame instead. Zero: 10,000.
	MaxReplay int64
	// MaxSocketsPerUser bounds the open sockets of one user on this node;
	// the socket over it is closed with CloseTooManySockets as soon as it
	// is accepted (the browser sees the code, which an HTTP refusal of the
	// upgrade would hide). Zero: 20. Negative: no limit.
	MaxSocketsPerUser int
	// MaxSubscriptions bounds the subscriptions of one connection.
	// Zero: 1,000.
	MaxSubscriptions int
	// TypingInterval is the minimum time between two typing events of one
	// connection in one channel; extra typing frames are acknowledged and
	// dropped. Zero: 2 s.
	TypingInterval time.Duration
	// RequestTimeout bounds each service call made for a client frame.
	// Zero: 15 s.
	RequestTimeout time.Duration

	// PollInterval is how often, while the broker is down or a channel's
	// broker subscription is unconfirmed, the node reads the events of the
	// channels its clients follow from the database (one query per tenant
	// for up to chat.MaxCursors channels): the delay of cross-node
	// delivery during a broker outage. Zero: 1 s. Negative: never (the
	// node then delivers only its own publishes until the broker is back).
	PollInterval time.Duration
	// NodeID names this node in the broker-outage records the nodes of a
	// cluster share through the database (Service.ReportBrokerDown): while
	// its broker is down the node renews its record every PollInterval,
	// and while its broker is up it reads the others' once a period and,
	// while any other node is cut off, catches up its channels as if its
	// own broker were down. Zero: none of this (a single node, whose
	// broker cannot fail for only some nodes).
	NodeID string
	// BrokerWait is how long a channel's first subscriber waits for the
	// broker to confirm the subscription before being served by the poll
	// instead. Zero: 2 s.
	BrokerWait time.Duration
	// GapWait is how long an event that arrives ahead of its predecessor
	// waits for it before the gap is read from the database: concurrent
	// publishers reach the broker in any order. Zero: 50 ms.
	GapWait time.Duration
}

func (c *Config) setDefaults() {
	setDefault(&c.ReadLimit, 64<<10)
	setDefault(&c.SendQueueBytes, 1<<20)
	setDefault(&c.MaxBatchBytes, 64<<10)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.CloseDrain, 2*time.Second)
	setDefault(&c.PingInterval, 25*time.Second)
	setDefault(&c.RateLimit, 20)
	setDefault(&c.RateBurst, 40)
	setDefault(&c.RateLimitStrikes, 100)
	setDefault(&c.UnsubscribeGrace, 5*time.Second)
	setDefault(&c.SessionRecheck, 10*time.Second)
	setDefault(&c.ReplayPageSize, 200)
	setDefault(&c.MaxReplay, 10_000)
	setDefault(&c.MaxSocketsPerUser, 20)
	setDefault(&c.MaxSubscriptions, 1000)
	setDefault(&c.TypingInterval, 2*time.Second)
	setDefault(&c.RequestTimeout, 15*time.Second)
	setDefault(&c.PollInterval, time.Second)
	setDefault(&c.BrokerWait, 2*time.Second)
	setDefault(&c.GapWait, 50*time.Millisecond)
}

// setDefault sets *v to def when it is the zero value (unset).
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
