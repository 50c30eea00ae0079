package chat

import (
	"context"
	"time"
)

// Publisher delivers events to the live subscribers of a channel on every
// node. Implemented by hub (in-process or Redis broker). Publish is called
// only after the event's transaction has committed; delivery is at most
// once, the database stays the truth.
type Publisher interface {
	Publish(ctx context.Context, ev Event) error
}

// Presence answers whether a user is connected on any node.
type Presence interface {
	Online(ctx context.Context, tenantID, userID int64) (bool, error)
}

// Email is one outgoing message. Headers are built by the mailer from these
// fields only; no field can add a header.
type Email struct {
	From     string
	FromName string
	ReplyTo  string
	To       string
	ToName   string
	Subject  string
	Text     string
	HTML     string
	// InReplyTo and References name one earlier message id (without
	// angle brackets): the thread's stable id, so that mail clients keep
	// the emails about one thread together.
	InReplyTo  string
	References string
	// Automatic marks mail no person wrote (Auto-Submitted:
	// auto-generated), so that auto-responders do not answer it.
	Automatic bool
}

// Mailer sends email. A returned error with code EUnavailable is temporary
// and retried; any other error is permanent.
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// Clock tells the time; tests control it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time, truncated to microseconds so that it
// round-trips through both databases unchanged.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
