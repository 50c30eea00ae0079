// Package chat is Parley's domain: the types, the rules and the Service that
// every adapter (storage, hub, frontend, mail) serves or calls. It imports no
// package of Parley's own.
package chat

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each boundary maps them once: HTTP statuses in frontend,
// error frames in hub.
const (
	ENotFound        = "not_found"
	EForbidden       = "forbidden"
	EUnauthenticated = "unauthenticated"
	EInvalid         = "invalid"
	EConflict        = "conflict"
	ERateLimited     = "rate_limited"
	ETooLarge        = "too_large"
	EUnavailable     = "unavailable"
	EInternal        = "internal"
)

// Error is the one error vocabulary of Parley. Message is safe to show to
// users; internals are wrapped in Err and only ever logged.
type Error struct {
	Code    string
	Message string
	Err     error
	// RetryAfter, when set on an ERateLimited or EUnavailable error, is
	// how long the caller should wait before trying again (HTTP
	// Retry-After). An EUnavailable error without one means
	// UnavailableRetryAfter.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited is an ERateLimited error that tells the caller when to retry.
func RateLimited(retryAfter time.Duration, format string, args ...any) *Error {
	e := Errorf(ERateLimited, format, args...)
	e.RetryAfter = retryAfter
	return e
}

// ErrorRetryAfter returns how long err asks the caller to wait, or 0.
// Every EUnavailable error asks for a wait: the answer to it is always
// "retry later".
func ErrorRetryAfter(err error) time.Duration {
	var e *Error
	if !errors.As(err, &e) {
		return 0
	}
	if e.RetryAfter == 0 && e.Code == EUnavailable {
		return UnavailableRetryAfter
	}
	return e.RetryAfter
}

// UnavailableRetryAfter is the wait an EUnavailable answer asks for when it
// names none: long enough not to hammer a database that is restarting,
// short enough that a blip costs users a couple of seconds.
const UnavailableRetryAfter = 2 * time.Second

// Unavailable wraps a failure of something Parley depends on (the database
// unreachable, timing out or shutting down) that passes by itself: the
// caller may retry the same request later, and a request with a
// client_msg_id is stored at most once however often it is retried. Its
// details never reach users.
func Unavailable(err error, what string) *Error {
	return &Error{Code: EUnavailable, Message: "temporarily unavailable; try again in a moment",
		Err: fmt.Errorf("%s: %w", what, err), RetryAfter: UnavailableRetryAfter}
}

// Internal wraps an unexpected failure; its details never reach users.
func Internal(err error, what string) *Error {
	return &Error{Code: EInternal, Message: "internal error", Err: fmt.Errorf("%s: %w", what, err)}
}

// ErrorCode returns the code of err, EInternal for foreign errors and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// NotFound is the answer for anything missing or invisible to the caller:
// other tenants' things answer as nonexistent, never as forbidden.
func NotFound(what string) *Error { return Errorf(ENotFound, "%s not found", what) }
