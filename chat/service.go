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
	// PushHosts are the push service hosts a Web Push subscription may
	// point at ("fcm.googleapis.com", "*.push.apple.com"; see
	// CheckPushEndpoint). Empty: Web Push is off and subscribing answers
	// EUnavailable.
	PushHosts []string
	// ReplyDomain is the domain of the reply addresses notification
	// emails carry (reply+TOKEN@ReplyDomain; replymail.go). Empty: reply
	// by email is off and emails keep the configured Reply-To.
	ReplyDomain string
	// ReplyTokenTTL is how long a reply address works after its email was
	// sent (default 30 days).
	ReplyTokenTTL time.Duration
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
	if c.ReplyTokenTTL <= 0 {
		c.ReplyTokenTTL = 30 * 24 * time.Hour
	}
	if c.PostBatches <= 0 {
		c.PostBatches = 2
	}
}

// Service is Parley's domain API, one service per aggregate. Every method
// takes the caller's principal from ctx and checks permission itself;
// adapters never decide access, and each adapter depends only on the
// methods it calls (frontend and hub declare their own interfaces).
//
// Every error is a *Error whose Code is one of those in errors.go; each
// service's comment lists the codes its methods return beyond EInternal
// (a bug) and EUnavailable (the store is unreachable: retry later).
type Service struct {
	Sessions      *SessionService
	Directory     *DirectoryService
	Messenger     *MessengerService
	Conversations *ConversationService
	Messages      *MessageService
	Notifications *NotificationService
	CannedReplies *CannedReplyService
	Replies       *ReplyMailService
	// core is the state the services share, for the Notifier and tests.
	*core
}

// SessionService logs users in and out and checks sessions (auth.go).
// EUnauthenticated (bad credentials, ended session), ERateLimited
// (login throttling), EInvalid, EForbidden (changing another's password).
type SessionService struct{ *core }

// DirectoryService manages tenants, companies, users and roles, and says
// whom a caller may see (admin.go, directory.go). EForbidden (not an admin
// of that tenant or company), ENotFound (invisible or missing; one answer
// for both), EInvalid, EConflict (an email or name already taken, the last
// admin role).
type DirectoryService struct{ *core }

// MessengerService runs the group messenger: groups, their members and
// topics (messenger_service.go, topic_access.go). ENotFound (messenger off,
// an inactive or invisible topic), EForbidden (not a messenger manager),
// EInvalid, EConflict.
type MessengerService struct{ *core }

// ConversationService runs support conversations: creation and routing
// by category, handlers, statuses, related companies and people, receivers,
// categories and retention (conversation_service.go, category_service.go,
// retention.go). ENotFound (invisible or missing), EForbidden (may see but
// not do this), EInvalid, EConflict (taken by someone else meanwhile).
type ConversationService struct{ *core }

// MessageService is what every thread shares, topic or conversation:
// subscribing, posting, editing, deleting, history, replay, read marks,
// typing, attachments, drafts and search (message.go, attachment.go,
// draft.go, search.go). ENotFound (invisible thread or message),
// EForbidden (may read, not write), EInvalid, ETooLarge, EConflict.
type MessageService struct{ *core }

// NotificationService is a user's notification list, preferences, mutes
// and the decision log (notification_service.go). ENotFound, EInvalid,
// EForbidden (the decision log is for admins).
type NotificationService struct{ *core }

// CannedReplyService keeps the handler side's canned replies and fills
// them in for a conversation (canned.go). EForbidden (not a message
// handler or tenant admin; a tenant-wide reply for others than tenant
// admins), ENotFound (another user's reply, an invisible conversation),
// EInvalid, ETooLarge, EConflict (the limit of replies).
type CannedReplyService struct{ *core }

// core is the state and the cross-aggregate helpers (access to threads,
// publishing after commit, presence) every service shares.
type core struct {
	cfg   Config
	store Store
	clock Clock
	log   zerolog.Logger
	// passwordChecks serializes password checks per account on this node,
	// so parallel guesses cannot all pass the throttling count at once.
	passwordChecks keyedMutex
	// poster group-commits plain topic posts.
	poster topicPoster
	// thumbs makes image thumbnails within the node's decoding budget.
	thumbs *thumbnailer
	// replyKeys caches the tenants' reply-address keys.
	replyKeys replyKeys
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	cfg.setDefaults()
	c := &core{cfg: cfg, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger.With().Str("component", "chat").Logger(),
		poster: topicPoster{maxBatches: cfg.PostBatches}, thumbs: newThumbnailer()}
	return &Service{
		Sessions: &SessionService{c}, Directory: &DirectoryService{c}, Messenger: &MessengerService{c},
		Conversations: &ConversationService{c}, Messages: &MessageService{c}, Notifications: &NotificationService{c},
		CannedReplies: &CannedReplyService{c}, Replies: &ReplyMailService{c}, core: c,
	}
}

// Store returns the store the service runs on (for wiring and tests).
func (s *Service) Store() Store { return s.store }

// publish delivers ev live after commit. Delivery is at most once: a lost
// event is recovered by clients resuming from the database, so a failure
// is logged, not returned.
func (s *core) publish(ctx context.Context, evs ...Event) {
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
func (s *core) online(ctx context.Context, tenantID, userID int64) (bool, error) {
	if s.cfg.Presence == nil {
		return false, nil
	}
	return s.cfg.Presence.Online(ctx, tenantID, userID)
}

// minuteTouch is how stale a session's last-seen time may get before
// Authenticate writes it again.
const minuteTouch = time.Minute
