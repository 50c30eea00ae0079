package chat

import (
	"context"
	"time"

	"github.com/rs/zerolog"
)

// Config wires a Service. Zero values are documented defaults.
type Config struct {
	Store     Store
	Publisher Publisher // nil: events are not delivered live
	Presence  Presence  // nil: everyone counts as offline
	Clock     Clock     // nil: SystemClock
	Logger    zerolog.Logger

	// SessionLifetime is the absolute lifetime of a login session
	// (default 7 days); SessionIdleTimeout ends a session unused for that
	// long (default 12 hours).
	SessionLifetime    time.Duration
	SessionIdleTimeout time.Duration
	// LoginWindow is the period over which failed logins are counted
	// (default 15 minutes); at LoginMaxPerAccount failures for one email
	// (default 5) or LoginMaxPerIP failures from one address (default 50)
	// further attempts are refused until the window passes.
	LoginWindow        time.Duration
	LoginMaxPerAccount int64
	LoginMaxPerIP      int64
	// NotifyDelay is how long the notifier waits after an event before
	// deciding to email (default 2 minutes).
	NotifyDelay time.Duration
	// PostBatches is how many group-commit batches of plain topic posts
	// may be in flight at once on this node (default 2: one forms while
	// one commits, which suits PostgreSQL). An engine with a single writer
	// (SQLite) does best with 1: the next batch gathers while the writer
	// is busy instead of waiting for it with fewer posts.
	PostBatches int
	// MaxAttachmentBytes limits one attachment (default 25 MiB).
	MaxAttachmentBytes int64
	// PublicURL is the address users open, used in email links.
	PublicURL string
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 7 * 24 * time.Hour
	}
	if c.SessionIdleTimeout <= 0 {
		c.SessionIdleTimeout = 12 * time.Hour
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.LoginMaxPerAccount <= 0 {
		c.LoginMaxPerAccount = 5
	}
	if c.LoginMaxPerIP <= 0 {
		c.LoginMaxPerIP = 50
	}
	if c.NotifyDelay <= 0 {
		c.NotifyDelay = 2 * time.Minute
	}
	if c.MaxAttachmentBytes <= 0 {
		c.MaxAttachmentBytes = 25 << 20
	}
	if c.PostBatches <= 0 {
		c.PostBatches = 2
	}
}

// Service is Parley's domain API. Every method takes the caller's principal
// from ctx and checks permission itself; adapters never decide access.
type Service struct {
	cfg   Config
	store Store
	clock Clock
	log   zerolog.Logger
	// passwordChecks serializes password checks per account on this node,
	// so parallel guesses cannot all pass the throttling count at once.
	passwordChecks keyedMutex
	// poster group-commits plain topic posts.
	poster topicPoster
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger.With().Str("component", "chat").Logger(),
		poster: topicPoster{maxBatches: cfg.PostBatches}}
}

// Store returns the store the service runs on (for wiring and tests).
func (s *Service) Store() Store { return s.store }

// publish delivers ev live after commit. Delivery is at most once: a lost
// event is recovered by clients resuming from the database, so a failure
// is logged, not returned.
func (s *Service) publish(ctx context.Context, evs ...Event) {
	if s.cfg.Publisher == nil {
		return
	}
	for _, ev := range evs {
		if err := s.cfg.Publisher.Publish(context.WithoutCancel(ctx), ev); err != nil {
			s.log.Warn().Err(err).Str("channel", ev.Channel.String()).Str("event", string(ev.Type)).Msg("publish failed")
		}
	}
}

// online reports whether the user is connected on any node.
func (s *Service) online(ctx context.Context, tenantID, userID int64) (bool, error) {
	if s.cfg.Presence == nil {
		return false, nil
	}
	return s.cfg.Presence.Online(ctx, tenantID, userID)
}

// minuteTouch is how stale a session's last-seen time may get before
// Authenticate writes it again.
const minuteTouch = time.Minute
