// Package sqlerr turns a driver error, once its engine has said what
// kind of failure it is, into the chat error that both engines answer.
// The codes and messages live here once, so a failure reads the same on
// PostgreSQL and SQLite (storetest's "errors" area checks that they do).
package sqlerr

import (
	"errors"

	"parley/chat"
)

// Violation is the kind of constraint a statement broke.
type Violation int

const (
	None            Violation = iota
	Unique                    // a unique key already taken
	MissingRef                // a reference to a row that does not exist (or is another tenant's)
	StillReferenced           // a row others still refer to was deleted or re-keyed
	BadValue                  // not null, check, length, range or encoding
)

// The unique keys whose violation has a message of its own; each engine
// maps its constraint or column names to these.
const (
	KeyEmail       = "email"
	KeyRoleKey     = "role key"
	KeyClientMsgID = "client message id"
	KeySeq         = "seq"
	KeySession     = "session id"
)

var uniqueMessages = map[string]string{
	KeyEmail:       "email is already in use",
	KeyRoleKey:     "a role with this key already exists",
	KeyClientMsgID: "a message with this client message id already exists",
	KeySeq:         "sequence number already taken",
	KeySession:     "session already exists",
}

// Engine is what one engine knows about its driver's errors.
type Engine struct {
	NoRows func(error) bool // the query returned no row
	Outage func(error) bool // the database cannot be used right now
	// Violation classifies a constraint failure; key is one of the Key*
	// constants for Unique (or "" when none fits).
	Violation func(error) (v Violation, key string)
}

// Translate turns err, from a statement on what ("user", "message"),
// into chat's vocabulary. ref names what the statement's reference
// points at ("group"), when the caller knows; a missing reference then
// answers "<ref> not found" on both engines. Errors already in chat's
// vocabulary pass unchanged.
func (e Engine) Translate(err error, what, ref string) error {
	if err == nil {
		return nil
	}
	var ce *chat.Error
	if errors.As(err, &ce) {
		return err
	}
	if e.NoRows(err) {
		return chat.NotFound(what)
	}
	if e.Outage(err) {
		return chat.Unavailable(err, what)
	}
	v, key := e.Violation(err)
	switch v {
	case Unique:
		return Duplicate(err, what, key)
	case MissingRef:
		if ref == "" {
			return &chat.Error{Code: chat.ENotFound, Message: what + " refers to something that does not exist", Err: err}
		}
		return &chat.Error{Code: chat.ENotFound, Message: ref + " not found", Err: err}
	case StillReferenced:
		return &chat.Error{Code: chat.EConflict, Message: what + " is still in use", Err: err}
	case BadValue:
		return &chat.Error{Code: chat.EInvalid, Message: "invalid " + what, Err: err}
	}
	return chat.Internal(err, what)
}

// Duplicate is the conflict of a unique key of what already taken; err
// may be nil where a statement reports the conflict by returning no row.
func Duplicate(err error, what, key string) error {
	msg, ok := uniqueMessages[key]
	if !ok {
		msg = what + " already exists"
	}
	return &chat.Error{Code: chat.EConflict, Message: msg, Err: err}
}

// MustAffect turns "no row changed" into not found, and a driver error
// into chat's vocabulary: return e.MustAffect("user")(q.UserUpdate(...)).
func (e Engine) MustAffect(what string) func(n int64, err error) error {
	return func(n int64, err error) error {
		if err != nil {
			return e.Translate(err, what, "")
		}
		if n == 0 {
			return chat.NotFound(what)
		}
		return nil
	}
}
