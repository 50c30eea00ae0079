package hub

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// socket is a connection's TCP socket as the hub and coder/websocket share
// it. The writer writes its text messages here itself, as whole frames, in
// one write each: through coder/websocket every message took two of its
// write locks and a buffered copy, which cost a third as much as the
// write system call at one frame per write (docs/performance.md,
// scenario 2). coder/websocket keeps writing the control frames (pongs
// and close frames from its reader, the writer's pings and close) through
// Write. A control frame is at most 127 bytes and coder/websocket flushes
// its buffered writer, which holds socketWriteBuffer bytes, after every
// frame, so each of its frames reaches Write whole, in one call; the
// mutex makes every frame atomic on the wire. Write refuses anything
// else (errNotOneControlFrame), so a library change that breaks this
// fails the connection instead of interleaving bytes of two frames.
//
// This depends on coder/websocket's internals, so go.mod holds it at
// exactly v1.8.15 and TestWebSocketLibraryVersion fails on any other
// version. Before changing it, re-check in its write.go and close.go that
// (1) the server side writes every frame through the bufio.Writer that
// Hijack returns, header and payload, and Flushes after every final
// frame; (2) it writes only control frames when the hub never calls
// Conn.Write or Conn.Writer (pongs, close replies, Ping, Close); (3)
// a control frame still fits socketWriteBuffer; (4) it needs no state of
// its own updated by data frames (it keeps none for unfragmented
// messages without compression, which the hub disables). Then run
// TestWireInterleavingIndependentClient under -race.
//
// Every write is bounded by a write deadline, which is moved only when
// less than timeout of it remains, to timeout*3/2 from now: a write has
// between timeout and timeout*3/2 to finish, and a busy socket resets its
// deadline timer once per timeout/2 instead of twice per message. The
// deadline is never in the past when a write starts, so a pong or close
// frame written after a quiet spell is not failed by a stale deadline.
type socket struct {
	net.Conn
	timeout time.Duration

	mu        sync.Mutex
	deadline  time.Time
	closeSent bool // a close frame went out: no data frame may follow
}

// maxFrameHeader is the longest header of an unmasked server frame.
const maxFrameHeader = 10

// errNotOneControlFrame is Write's answer to bytes that are not exactly
// one whole control frame.
var errNotOneControlFrame = errors.New("hub: coder/websocket wrote something other than one whole control frame (see socket)")

// Write writes one of coder/websocket's frames.
func (s *socket) Write(p []byte) (int, error) {
	if !oneControlFrame(p) {
		return 0, errNotOneControlFrame
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refreshDeadline(); err != nil {
		return 0, err
	}
	if p[0]&0x0f == 0x8 {
		s.closeSent = true
	}
	return s.Conn.Write(p)
}

// oneControlFrame reports whether p is exactly one final, unmasked
// close, ping or pong frame.
func oneControlFrame(p []byte) bool {
	if len(p) < 2 || p[0]&0xf0 != 0x80 || p[1]&0x80 != 0 {
		return false
	}
	switch p[0] & 0x0f {
	case 0x8, 0x9, 0xA:
	default:
		return false
	}
	n := int(p[1] & 0x7f)
	return n <= 125 && n == len(p)-2 // a control frame has no extended length
}

// writeText writes one unfragmented text message whose payload is
// b[maxFrameHeader:]; the header goes into the room before it.
func (s *socket) writeText(b []byte) error {
	payload := len(b) - maxFrameHeader
	var start int
	switch {
	case payload <= 125:
		start = maxFrameHeader - 2
		b[start+1] = byte(payload)
	case payload <= 0xffff:
		start = maxFrameHeader - 4
		b[start+1] = 126
		binary.BigEndian.PutUint16(b[start+2:], uint16(payload))
	default:
		start = 0
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(payload))
	}
	b[start] = 0x81 // FIN, text
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeSent {
		return net.ErrClosed
	}
	if err := s.refreshDeadline(); err != nil {
		return err
	}
	_, err := s.Conn.Write(b[start:])
	return err
}

func (s *socket) refreshDeadline() error {
	now := time.Now()
	if s.deadline.Sub(now) >= s.timeout {
		return nil
	}
	s.deadline = now.Add(s.timeout + s.timeout/2)
	return s.Conn.SetWriteDeadline(s.deadline)
}
