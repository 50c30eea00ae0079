package hub

import (
	"context"

	"parley/chat"
)

// Service is the part of the domain the hub calls; *chat.Service satisfies
// it. The principal rides in ctx (chat.WithPrincipal) except where a method
// says otherwise. Errors are *chat.Error; the hub turns their code and
// message into error frames and logs internal ones.
type Service interface {
	// Authenticate revalidates a session (no principal in ctx):
	// EUnauthenticated when it was revoked or expired.
	Authenticate(ctx context.Context, sessionID string) (*chat.Principal, error)
	// Authorize reports whether the principal may subscribe to ch:
	// ENotFound when ch is invisible to it.
	Authorize(ctx context.Context, ch chat.Channel) error
	// Publish persists a message (idempotent on ClientMsgID) and, after
	// commit, publishes its message.new event through chat.Publisher.
	Publish(ctx context.Context, in chat.PublishInput) (chat.Message, error)
	EditMessage(ctx context.Context, id int64, body string) (chat.Message, error)
	DeleteMessage(ctx context.Context, id int64) (chat.Message, error)
	// Events is the authorized replay of ch's sequenced events with
	// seq > since, at most limit, in seq order, with ch's last seq.
	Events(ctx context.Context, ch chat.Channel, since int64, limit int) ([]chat.ChannelEvent, int64, error)
	// ResyncEvents is Events without a principal, for gap filling of
	// channels whose subscribers were authorized already.
	ResyncEvents(ctx context.Context, tenantID int64, ch chat.Channel, since int64, limit int) ([]chat.ChannelEvent, error)
	// History returns messages with seq < beforeSeq (0: the newest),
	// newest first.
	History(ctx context.Context, ch chat.Channel, beforeSeq int64, limit int) ([]chat.Message, error)
	// MarkRead moves the read marker and returns the stored one.
	MarkRead(ctx context.Context, ch chat.Channel, seq int64) (int64, error)
	// Typing authorizes a typing notice in ch and publishes the ephemeral
	// typing event (chat.TypingData) through chat.Publisher. The hub only
	// throttles typing frames before calling it.
	Typing(ctx context.Context, ch chat.Channel) error
	// VisibleUsers returns those of ids whose presence the principal may
	// see (chat.Service.VisibleUsers); presence reports the others as
	// offline, so it discloses nothing about them.
	VisibleUsers(ctx context.Context, ids []int64) ([]int64, error)
}

// SessionBatchChecker may be implemented by the Service to revalidate
// many sessions in one query: SessionsAlive returns those of ids that are
// still valid, with their users (at most SessionBatch ids per call). The
// recheck then costs a node one query per SessionBatch sessions instead of
// Authenticate's few queries per session.
type SessionBatchChecker interface {
	SessionsAlive(ctx context.Context, ids []string) (map[string]int64, error)
}

// SessionBatch is the most sessions the hub passes to SessionsAlive at once.
const SessionBatch = chat.MaxSessionsAlive

// PublishDeduper may be implemented by the Service to tell a retried
// publish (same client_msg_id) from a new one exactly; the hub then sets
// duplicate: true in the ack. Without it the hub infers a duplicate from
// the message being older than the request.
type PublishDeduper interface {
	PublishDedup(ctx context.Context, in chat.PublishInput) (msg chat.Message, duplicate bool, err error)
}
