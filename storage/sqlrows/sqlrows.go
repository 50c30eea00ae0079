// Package sqlrows is the Go both engines wrap around their sqlc queries,
// written once: turning what a query answers into chat's values (each
// engine converts its own row types, conv, and translates its own driver
// errors, fail) and chat's values into query parameters.
package sqlrows

import "parley/chat"

// Map converts each row with conv, in order; no rows give an empty,
// non-nil slice.
func Map[R, T any](rows []R, conv func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out
}

// List is for a query that answers rows: list(q.XList(ctx, ...)) gives
// the rows converted with conv, or the query's failure passed through
// fail.
func List[R, T any](fail func(error) error, conv func(R) T) func(rows []R, err error) ([]T, error) {
	return func(rows []R, err error) ([]T, error) {
		if err != nil {
			return nil, fail(err)
		}
		return Map(rows, conv), nil
	}
}

// One is List for a query that answers one row: a failure (no row
// included) gives the zero value and the failure passed through fail.
func One[R, T any](fail func(error) error, conv func(R) T) func(row R, err error) (T, error) {
	return func(row R, err error) (T, error) {
		if err != nil {
			var zero T
			return zero, fail(err)
		}
		return conv(row), nil
	}
}

// TryMap is Map for a conversion that can fail (a stored value it cannot
// decode): the first failure ends it and passes unchanged.
func TryMap[R, T any](rows []R, conv func(R) (T, error)) ([]T, error) {
	out := make([]T, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = conv(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TryList is List with TryMap's conversion.
func TryList[R, T any](fail func(error) error, conv func(R) (T, error)) func(rows []R, err error) ([]T, error) {
	return func(rows []R, err error) ([]T, error) {
		if err != nil {
			return nil, fail(err)
		}
		return TryMap(rows, conv)
	}
}

// ChannelIDs splits channels into the topic, conversation and note id
// lists queries take (never nil: PostgreSQL's array parameters are NOT
// NULL); user channels keep no messages and match nothing.
func ChannelIDs(chs []chat.Channel) (topics, conversations, notes []int64) {
	topics, conversations, notes = []int64{}, []int64{}, []int64{}
	for _, ch := range chs {
		switch ch.Kind {
		case chat.KindTopic:
			topics = append(topics, ch.ID)
		case chat.KindConversation:
			conversations = append(conversations, ch.ID)
		case chat.KindNote:
			notes = append(notes, ch.ID)
		}
	}
	return topics, conversations, notes
}

// Via is how a notification job or decision stores its channel; ""
// (older callers) is email.
func Via(v chat.NotifyVia) string {
	if v == "" {
		return string(chat.ViaEmail)
	}
	return string(v)
}

// Persisted refuses a channel that keeps no history (no seqs, no
// messages) with EInvalid.
func Persisted(ch chat.Channel) error {
	if !ch.Persisted() {
		return chat.Errorf(chat.EInvalid, "channel %s keeps no history", ch)
	}
	return nil
}
