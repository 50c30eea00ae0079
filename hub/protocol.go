package hub

import (
	"bytes"
	"encoding/json"
	"strconv"

	"parley/chat"
)

// ProtocolVersion is the version of the frame protocol in docs/protocol.md.
// Clients may ask for it with ?v=1 on the socket URL; any other version is
// refused before the upgrade.
const ProtocolVersion = 1

// Client frame types.
const (
	frameSubscribe   = "subscribe"
	frameUnsubscribe = "unsubscribe"
	framePublish     = "publish"
	frameEdit        = "edit"
	frameDelete      = "delete"
	frameReact       = "react"
	frameHistory     = "history"
	frameTyping      = "typing"
	frameRead        = "read"
	framePresence    = "presence"
	framePing        = "ping"
)

// Protocol error codes, next to the chat error codes (chat/errors.go) that
// error frames also carry.
const (
	codeBadFrame     = "bad_frame" // not JSON, unknown type, missing field
	codeRateLimited  = chat.ERateLimited
	codeSlowConsumer = "slow_consumer" // close reason only
)

// clientFrame is every client frame; each type reads the fields it needs.
type clientFrame struct {
	// ID is any short JSON string or number, echoed in the answer.
	ID            json.RawMessage `json:"id,omitempty"`
	Type          string          `json:"type"`
	Channel       string          `json:"channel,omitempty"`
	Since         *int64          `json:"since,omitempty"`
	Body          string          `json:"body,omitempty"`
	ClientMsgID   string          `json:"client_msg_id,omitempty"`
	ReplyToID     *int64          `json:"reply_to_id,omitempty"`
	AttachmentIDs []int64         `json:"attachment_ids,omitempty"`
	Mentions      []int64         `json:"mentions,omitempty"`
	MessageID     int64           `json:"message_id,omitempty"`
	BeforeSeq     int64           `json:"before_seq,omitempty"`
	Limit         int             `json:"limit,omitempty"`
	Seq           int64           `json:"seq,omitempty"`
	UserIDs       []int64         `json:"user_ids,omitempty"`
	Emoji         string          `json:"emoji,omitempty"`
	Remove        bool            `json:"remove,omitempty"`
}

const maxIDLen = 64

// validID accepts a JSON string or number of bounded length.
func validID(id json.RawMessage) bool {
	if len(id) == 0 {
		return true
	}
	if len(id) > maxIDLen {
		return false
	}
	switch c := id[0]; {
	case c == '"':
		var s string
		return json.Unmarshal(id, &s) == nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		return json.Unmarshal(id, &n) == nil
	}
	return false
}

// Server frames.

type helloFrame struct {
	Type           string       `json:"type"` // "hello"
	V              int          `json:"v"`
	ConnID         string       `json:"conn_id"`
	UserID         int64        `json:"user_id"`
	UserChannel    chat.Channel `json:"user_channel"`
	PingIntervalMS int64        `json:"ping_interval_ms"`
}

type eventFrame struct {
	Type    string         `json:"type"` // "event"
	Channel chat.Channel   `json:"channel"`
	Event   chat.EventType `json:"event"`
	Seq     int64          `json:"seq,omitempty"`
	Data    any            `json:"data"`
}

type ackFrame struct {
	Type      string          `json:"type"` // "ack"
	ID        json.RawMessage `json:"id,omitempty"`
	MessageID int64           `json:"message_id,omitempty"`
	Seq       int64           `json:"seq,omitempty"`
	Duplicate bool            `json:"duplicate,omitempty"`
	Message   *chat.Message   `json:"message,omitempty"`
}

type errorFrame struct {
	Type    string          `json:"type"` // "error"
	ID      json.RawMessage `json:"id,omitempty"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
}

type subscribedFrame struct {
	Type    string          `json:"type"` // "subscribed"
	ID      json.RawMessage `json:"id,omitempty"`
	Channel chat.Channel    `json:"channel"`
	LastSeq int64           `json:"last_seq"`
}

type unsubscribedFrame struct {
	Type    string          `json:"type"` // "unsubscribed"
	ID      json.RawMessage `json:"id,omitempty"`
	Channel chat.Channel    `json:"channel"`
	Reason  string          `json:"reason"`
}

// Reasons of unsubscribed frames.
const (
	unsubClient  = "client"         // the client asked
	unsubRemoved = "removed"        // topic.removed
	unsubRevoked = "access_revoked" // access.revoked on the user channel
)

type reloadFrame struct {
	Type    string       `json:"type"` // "reload"
	Channel chat.Channel `json:"channel"`
	Reason  string       `json:"reason"`
	LastSeq int64        `json:"last_seq"`
}

// Reasons of reload frames.
const (
	reloadAhead    = "since_ahead"    // since > the channel's last seq
	reloadTooFar   = "gap_too_large"  // more than MaxReplay events behind
	reloadUnfilled = "gap_unfillable" // the server could not fill a gap
)

type historyFrame struct {
	Type     string          `json:"type"` // "history"
	ID       json.RawMessage `json:"id,omitempty"`
	Channel  chat.Channel    `json:"channel"`
	Messages []chat.Message  `json:"messages"`
}

type presenceUser struct {
	UserID int64 `json:"user_id"`
	Online bool  `json:"online"`
}

type presenceFrame struct {
	Type  string          `json:"type"` // "presence"
	ID    json.RawMessage `json:"id,omitempty"`
	Users []presenceUser  `json:"users"`
}

type pongFrame struct {
	Type string          `json:"type"` // "pong"
	ID   json.RawMessage `json:"id,omitempty"`
}

// presenceData is the data of the presence events the hub publishes.
type presenceData struct {
	UserID int64 `json:"user_id"`
	Online bool  `json:"online"`
}

// accessRevokedData is the data of chat.EventAccessRevoked.
type accessRevokedData struct {
	Channels []chat.Channel `json:"channels"`
}

// mustMarshal encodes a server frame; the frame types above always encode.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("hub: encoding a frame: " + err.Error())
	}
	return b
}

// encodeEvent encodes an event frame once, for every subscriber.
func encodeEvent(ch chat.Channel, typ chat.EventType, seq int64, data any) ([]byte, error) {
	return json.Marshal(eventFrame{Type: "event", Channel: ch, Event: typ, Seq: seq, Data: data})
}

// wireEvent is an encoded event frame with what the hub needs to route it
// without decoding the frame.
type wireEvent struct {
	seq     int64
	typ     chat.EventType
	session string // limits delivery to one session's sockets
	frame   []byte
}

// The broker payload is a one-line text header and the frame:
//
//	P1 <seq> <type> <session or -> \n <frame JSON>
const envelopeMagic = "P1 "

func encodeEnvelope(ev wireEvent) []byte {
	session := ev.session
	if session == "" {
		session = "-"
	}
	b := make([]byte, 0, len(envelopeMagic)+24+len(ev.typ)+len(session)+len(ev.frame))
	b = append(b, envelopeMagic...)
	b = strconv.AppendInt(b, ev.seq, 10)
	b = append(b, ' ')
	b = append(b, ev.typ...)
	b = append(b, ' ')
	b = append(b, session...)
	b = append(b, '\n')
	return append(b, ev.frame...)
}

func decodeEnvelope(p []byte) (wireEvent, bool) {
	if !bytes.HasPrefix(p, []byte(envelopeMagic)) {
		return wireEvent{}, false
	}
	header, frame, ok := bytes.Cut(p[len(envelopeMagic):], []byte{'\n'})
	if !ok {
		return wireEvent{}, false
	}
	seqField, rest, ok1 := bytes.Cut(header, []byte{' '})
	typField, session, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || len(typField) == 0 || len(session) == 0 {
		return wireEvent{}, false
	}
	var seq int64
	for _, d := range seqField {
		if d < '0' || d > '9' || seq > (1<<62)/10 {
			return wireEvent{}, false
		}
		seq = seq*10 + int64(d-'0')
	}
	if len(seqField) == 0 {
		return wireEvent{}, false
	}
	ev := wireEvent{seq: seq, typ: internType(typField), frame: frame}
	if string(session) != "-" {
		ev.session = string(session)
	}
	return ev, true
}

// internType returns the constant for a known event type, so that decoding
// the hot ones does not allocate.
func internType(b []byte) chat.EventType {
	switch string(b) {
	case string(chat.EventMessageNew):
		return chat.EventMessageNew
	case string(chat.EventMessageEdited):
		return chat.EventMessageEdited
	case string(chat.EventMessageDeleted):
		return chat.EventMessageDeleted
	case string(chat.EventMessageReacted):
		return chat.EventMessageReacted
	case string(chat.EventTyping):
		return chat.EventTyping
	case string(chat.EventPresence):
		return chat.EventPresence
	case string(chat.EventRead):
		return chat.EventRead
	}
	return chat.EventType(b)
}
