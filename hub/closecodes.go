package hub

import "github.com/coder/websocket"

// WebSocket close codes the hub uses, and what a client should do on each.
// This is the one place they are defined; docs/protocol.md repeats the table.
//
// Codes 4000-4999 are private to Parley (RFC 6455 leaves them to
// applications). A client reconnecting "with since" subscribes again with
// since = the last seq it saw on each persisted channel, so it misses
// nothing.
const (
	// CloseNormal: the client asked to close, or the hub closed a healthy
	// connection on purpose. Do not reconnect unless the user wants to.
	CloseNormal = websocket.StatusNormalClosure // 1000

	// CloseGoingAway: this node is shutting down (deploy, scale-in).
	// Reconnect at once (the load balancer picks another node) and
	// resubscribe with since.
	CloseGoingAway = websocket.StatusGoingAway // 1001

	// CloseMessageTooBig: a client message exceeded the read limit (sent by
	// the WebSocket library itself). The client has a bug; reconnect with
	// backoff and do not resend the same message.
	CloseMessageTooBig = websocket.StatusMessageTooBig // 1009

	// CloseInternal: an unexpected server failure. Reconnect with backoff
	// and since.
	CloseInternal = websocket.StatusInternalError // 1011

	// CloseTryAgainLater: the node cannot serve the connection right now
	// (e.g. the broker is unreachable). Reconnect with backoff (1 s, then
	// doubling up to 30 s, with jitter) and since.
	CloseTryAgainLater = websocket.StatusTryAgainLater // 1013

	// CloseSlowConsumer: the connection's outgoing queue overflowed because
	// the client did not read fast enough. Nothing acknowledged is lost:
	// reconnect after a short random delay and resubscribe with since.
	CloseSlowConsumer websocket.StatusCode = 4001

	// CloseProtocolError: the client kept sending frames the server cannot
	// understand (e.g. binary messages, an unsupported protocol version).
	// The client has a bug: do not reconnect automatically.
	CloseProtocolError websocket.StatusCode = 4002

	// CloseAuthRevoked: the session was revoked, expired, or the user lost
	// access. Do not reconnect: send the user to the login page.
	CloseAuthRevoked websocket.StatusCode = 4003

	// CloseRateLimited: the client kept sending frames after being told it
	// was rate limited. Reconnect only after a long backoff (at least 10 s).
	CloseRateLimited websocket.StatusCode = 4008

	// CloseTooManySockets: the user already has Config.MaxSocketsPerUser
	// sockets open on this node (too many tabs, or a client that leaks
	// sockets). Reconnect only after a long backoff (at least 30 s); a
	// client may tell the user to close other tabs.
	CloseTooManySockets websocket.StatusCode = 4009
)

// Close reasons sent with the codes (short and static, as RFC 6455 asks).
const (
	reasonShutdown     = "server shutting down"
	reasonSlowConsumer = "slow consumer"
	reasonRevoked      = "session revoked"
	reasonRateLimited  = "rate limit exceeded"
	reasonProtocol     = "protocol error"
	reasonUnavailable  = "try again later"
	reasonInternal     = "internal error"
	reasonTooMany      = "too many connections"
)
