package hub

import (
	"context"
	"time"

	"parley/chat"
)

// Service is the part of the domain the hub calls; chat's Sessions,
// Messages and Directory services together satisfy it. The principal rides
// in ctx (chat.WithPrincipal) except where a method says otherwise. Errors are *chat.Error; the hub turns their code and
// message into error frames and logs internal ones.
type Service interface {
	// SessionsAlive reports which of ids (at most SessionBatch) are still
	// valid sessions, with each one's user, in one query, and keeps them
	// from going idle (no principal in ctx). The recheck of connected
	// sockets asks it once per batch and keeps the sockets on an error.
	// EInvalid (more than SessionBatch ids), EInternal.
	SessionsAlive(ctx context.Context, ids []string) (map[string]int64, error)
	// Authorize reports whether the principal may subscribe to ch:
	// ENotFound when ch is invisible to it.
	Authorize(ctx context.Context, ch chat.Channel) error
	// PublishDedup persists a message and, after commit, publishes its
	// message.new event through chat.Publisher. A retry with the same
	// ClientMsgID returns the original message with duplicate true (the ack
	// says duplicate: true) and publishes its message.new event again (its
	// first publish may never have happened); subscribers drop the copy by
	// seq. EUnauthenticated, ENotFound, EForbidden,
	// EInvalid, ETooLarge, EConflict.
	PublishDedup(ctx context.Context, in chat.PublishInput) (msg chat.Message, duplicate bool, err error)
	EditMessage(ctx context.Context, id int64, body string) (chat.Message, error)
	DeleteMessage(ctx context.Context, id int64) (chat.Message, error)
	// React adds (add) or removes the principal's emoji reaction on a
	// message and publishes message.reacted when that changed anything
	// (chat.MessageService.React).
	React(ctx context.Context, id int64, emoji string, add bool) (chat.Message, error)
	// Events is the authorized replay of ch's sequenced events with
	// seq > since, at most limit, in seq order, with ch's last seq.
	Events(ctx context.Context, ch chat.Channel, since int64, limit int) ([]chat.ChannelEvent, int64, error)
	// ResyncEvents is Events without a principal, for gap filling of
	// channels whose subscribers were authorized already.
	ResyncEvents(ctx context.Context, tenantID int64, ch chat.Channel, since int64, limit int) ([]chat.ChannelEvent, error)
	// CatchUpEvents is ResyncEvents for many channels of one tenant in one
	// query: for each cursor the events after it, at most limit per
	// channel, by channel and seq (at most chat.MaxCursors cursors).
	CatchUpEvents(ctx context.Context, tenantID int64, cursors []chat.ChannelCursor, limit int) ([]chat.ChannelEvent, error)
	// ReportBrokerDown records that this node (node) cannot reach the
	// broker, for ttl; ReportBrokerUp removes the record; BrokerOutages
	// lists the nodes with a live record. Through them the nodes of a
	// cluster learn that one of them is cut off from the broker, and
	// catch up from the database meanwhile (hub/catchup.go). No
	// principal. EInvalid, EUnavailable.
	ReportBrokerDown(ctx context.Context, node string, ttl time.Duration) error
	ReportBrokerUp(ctx context.Context, node string) error
	BrokerOutages(ctx context.Context) ([]string, error)
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
	// see (chat.DirectoryService.VisibleUsers); presence reports the others as
	// offline, so it discloses nothing about them.
	VisibleUsers(ctx context.Context, ids []int64) ([]int64, error)
}

// SessionBatch is the most sessions the hub passes to SessionsAlive at once.
const SessionBatch = chat.MaxSessionsAlive
