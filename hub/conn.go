package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"parley/chat"
)

// conn is one WebSocket connection. Its reader runs in a goroutine of its
// own (the HTTP handler returns after the upgrade); its writer runs only
// while there is something to write: a frame queued when none is running
// starts one, and it ends when it finds the queue empty. An idle
// connection so holds one goroutine stack, not two. Both end on one
// cancel, and the reader's goroutine joins the writer before it ends.
type conn struct {
	h    *Hub
	id   string
	ws   *websocket.Conn
	sock *socket // the socket under ws, which the writer writes to (see socket)
	p    *chat.Principal

	ctx       context.Context
	cancelCtx context.CancelFunc // see cancel

	// The outgoing queue is bounded in bytes, counting frames queued and
	// frames taken by the writer until written.
	qmu     sync.Mutex
	queue   [][]byte
	qbytes  int
	qclosed bool
	// The writer, under qmu: writing while one runs (it clears it only
	// on finding the queue empty and no close asked, under qmu), wstate
	// whether one may start (see writerState). writers joins them.
	writing     bool
	wstate      writerState
	writers     sync.WaitGroup
	stopped     atomic.Bool   // ctx ended; read instead of ctx.Err, whose cold cache line cost 4 %
	closeAsked  atomic.Bool   // close was called
	space       chan struct{} // the writer wrote a batch while spaceWaiters > 0, or close was called
	spaceWaiter atomic.Int32

	// The heartbeat runs on its timer's goroutine, not the writer's:
	// waiting for a pong must not hold up deliveries. readProgress counts
	// frames the reader took in and handled, readBusy is set while it
	// handles one: a pong queued behind the client's own frames, or behind
	// a slow request, is late but proves the client alive.
	pingTimer    atomic.Pointer[time.Timer]
	readProgress atomic.Uint64
	readBusy     atomic.Bool

	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string

	smu  sync.Mutex
	subs []connSub // see subIndex

	// Reader-only state.
	limiter   tokenBucket
	strikes   int
	badFrames int
	typingAt  map[chat.Channel]time.Time
}

// enqueue adds an encoded frame without blocking. A full queue closes the
// connection as a slow consumer; the frame and the queue are dropped (the
// client resumes with since). It never does I/O, so it may be called under
// the hub's locks.
func (c *conn) enqueue(frame []byte) bool {
	if !c.enqueueUncounted(frame) {
		return false
	}
	c.h.m.messagesOut.Inc()
	return true
}

// enqueueUncounted is enqueue without counting the frame as sent, for
// fan-out, which counts once per event.
func (c *conn) enqueueUncounted(frame []byte) bool {
	c.qmu.Lock()
	if c.qclosed {
		c.qmu.Unlock()
		c.h.m.queueDrops.Inc()
		return false
	}
	if c.qbytes+len(frame) > c.h.cfg.SendQueueBytes {
		queued := c.qbytes
		c.qclosed = true
		c.queue = nil
		c.qmu.Unlock()
		c.h.m.queueDrops.Inc()
		c.h.m.slowConsumers.Inc()
		// Not on this goroutine: fan-out calls enqueue under the
		// channel's lock and does no I/O there.
		go c.logSlowConsumer(queued, len(frame), "send queue full")
		c.close(CloseSlowConsumer, reasonSlowConsumer)
		return false
	}
	c.appendUnlocking(frame)
	return true
}

// writerState says whether a writer may start.
type writerState uint8

const (
	writerNotYet  writerState = iota // frames queue up until serve starts writing
	writerAllowed                    // a frame or a close request starts one
	writerDone                       // the reader ended: none starts again
)

// claimWriterLocked reports whether the caller, holding qmu, is to start
// a writer (go c.writeLoop()): none runs and one may. It counts the
// writer in writers before qmu is released.
func (c *conn) claimWriterLocked() bool {
	if c.writing || c.wstate != writerAllowed || c.stopped.Load() {
		return false
	}
	c.writing = true
	c.writers.Add(1)
	return true
}

// unlockStartingWriter releases qmu, then starts the writer the caller
// claimed under it (claimWriterLocked), if it did.
func (c *conn) unlockStartingWriter(claimed bool) {
	c.qmu.Unlock()
	if claimed {
		go c.writeLoop()
	}
}

// appendUnlocking queues frame (the caller holds qmu), releases qmu and
// starts a writer unless one runs.
func (c *conn) appendUnlocking(frame []byte) {
	c.queue = append(c.queue, frame)
	c.qbytes += len(frame)
	c.unlockStartingWriter(c.claimWriterLocked())
}

// signal starts the writer unless one runs; it finds the queue and the
// close request as they are.
func (c *conn) signal() {
	c.qmu.Lock()
	c.unlockStartingWriter(c.claimWriterLocked())
}

// startWriting lets writers start, and starts one for what was queued or
// asked before (serve's first frames).
func (c *conn) startWriting() {
	c.qmu.Lock()
	c.wstate = writerAllowed
	c.unlockStartingWriter((len(c.queue) > 0 || c.closing()) && c.claimWriterLocked())
}

// stopWriting keeps writers from starting again and waits for the one
// running, if any. The reader's goroutine calls it once the reader ended
// (and ctx with it).
func (c *conn) stopWriting() {
	c.qmu.Lock()
	c.wstate = writerDone
	c.qmu.Unlock()
	c.writers.Wait()
}

// writerIdle reports, under qmu, that the queue is empty and no close
// was asked, and then marks the writer as gone: the next frame or close
// request starts another. close stores closeAsked before it takes qmu,
// so a close is either seen here or starts the next writer.
func (c *conn) writerIdle() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if len(c.queue) > 0 || c.closing() {
		return false
	}
	c.writing = false
	return true
}

// send enqueues a server frame without blocking (fan-out and control).
func (c *conn) send(v any) { c.enqueue(mustMarshal(v)) }

// reply enqueues the answer to a client request; see push.
func (c *conn) reply(v any) { c.push(mustMarshal(v)) }

// push enqueues a frame produced by the reader (answers, replays). Unlike
// fan-out, the reader may wait: it waits for room up to WriteTimeout, and
// a frame bigger than the whole queue (a large history page) is accepted
// once the queue is empty. A client that does not read meanwhile is a
// slow consumer.
func (c *conn) push(frame []byte) {
	var timeout <-chan time.Time
	for {
		c.qmu.Lock()
		if c.qclosed {
			c.qmu.Unlock()
			c.h.m.queueDrops.Inc()
			return
		}
		if c.qbytes == 0 || c.qbytes+len(frame) <= c.h.cfg.SendQueueBytes {
			c.appendUnlocking(frame)
			c.h.m.messagesOut.Inc()
			return
		}
		c.qmu.Unlock()
		if timeout == nil {
			t := time.NewTimer(c.h.cfg.WriteTimeout)
			defer t.Stop()
			timeout = t.C
			// Counted before the queue is looked at again, so the
			// writer's next batch signals space (see flush).
			c.spaceWaiter.Add(1)
			defer c.spaceWaiter.Add(-1)
			continue
		}
		if c.closing() {
			return
		}
		select {
		case <-c.space: // room, or a close request (see close)
			if c.closing() {
				return
			}
		case <-c.ctx.Done():
			return
		case <-timeout:
			c.qmu.Lock()
			queued := c.qbytes
			c.qclosed, c.queue = true, nil
			c.qmu.Unlock()
			c.h.m.queueDrops.Inc()
			c.h.m.slowConsumers.Inc()
			c.logSlowConsumer(queued, len(frame), "no room in the send queue in time")
			c.close(CloseSlowConsumer, reasonSlowConsumer)
			return
		}
	}
}

func (c *conn) queuedBytes() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.qbytes
}

// waitSpace blocks the reader (never fan-out) until the queue is at most
// half full, so a long replay cannot overflow it on a healthy client.
func (c *conn) waitSpace(ctx context.Context) error {
	if c.queuedBytes() <= c.h.cfg.SendQueueBytes/2 {
		return nil
	}
	c.spaceWaiter.Add(1)
	defer c.spaceWaiter.Add(-1)
	for c.queuedBytes() > c.h.cfg.SendQueueBytes/2 {
		if c.closing() {
			return errClosing
		}
		select {
		case <-c.space: // room, or a close request (see close)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

var errClosing = errors.New("connection closing")

// close asks the writer to close the socket with code; the first call
// wins. It does no I/O. A reader waiting for room in the queue (push,
// waitSpace) is woken through space and sees closing: it looks at
// closing before every wait and after every wake-up, and the token sent
// here, or one already buffered, wakes it after closeAsked is set.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		c.closeAsked.Store(true)
		select {
		case c.space <- struct{}{}:
		default:
		}
		c.signal() // after closeAsked: see writerIdle
	})
}

// closing reports whether a close was requested.
func (c *conn) closing() bool { return c.closeAsked.Load() }

// writeLoop is the connection's writer, started by claimWriterLocked: it
// drains the queue in batches and performs the close the hub or the
// reader asked for. It ends when it finds the queue empty (idle), or with
// the connection: at the end of ctx, or after a close or a write error,
// which cancel the connection.
func (c *conn) writeLoop() {
	defer c.writers.Done()
	for {
		switch {
		case c.stopped.Load():
			return
		case c.closing():
			c.finish()
			c.cancel()
			return
		}
		if err := c.flush(true); err != nil {
			if !errors.Is(err, errClosing) {
				c.logWriteError(err)
				c.cancel()
				return
			}
			continue // handle the close at the top
		}
		if c.writerIdle() {
			return
		}
	}
}

// heartbeat pings the client, on the ping timer's own goroutine, and
// ends the connection when neither a pong nor anything else came from the
// client within WriteTimeout while the reader was idle.
func (c *conn) heartbeat() {
	if c.stopped.Load() || c.closing() {
		return
	}
	progress := c.readProgress.Load()
	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.WriteTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if c.stopped.Load() {
		return
	}
	if err != nil && c.readProgress.Load() == progress && !c.readBusy.Load() {
		c.logWriteError(err)
		c.cancel()
		return
	}
	c.pingTimer.Load().Reset(c.h.cfg.PingInterval)
}

// batchPool holds the buffers the writer builds messages in, header room
// first. Pooled rather than kept per connection: an idle connection then
// holds none.
var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledBatch is the largest buffer returned to batchPool; a bigger one
// (a large history page) is left to the GC.
const maxPooledBatch = 128 << 10

// flush writes queued frames until the queue is empty, several frames per
// WebSocket message (newline-delimited). With yield it stops early when a
// close was requested.
func (c *conn) flush(yield bool) error {
	for {
		if yield && c.closing() {
			return errClosing
		}
		c.qmu.Lock()
		if len(c.queue) == 0 {
			c.qmu.Unlock()
			return nil
		}
		n, size := 0, 0
		for n < len(c.queue) && (n == 0 || size+len(c.queue[n])+1 <= c.h.cfg.MaxBatchBytes) {
			size += len(c.queue[n])
			n++
		}
		bp := batchPool.Get().(*[]byte)
		b := append((*bp)[:0], make([]byte, maxFrameHeader)...)
		for i := range n {
			if i > 0 {
				b = append(b, '\n')
			}
			b = append(b, c.queue[i]...)
		}
		clear(c.queue[:n])
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil
		}
		c.qmu.Unlock()

		err := c.write(b)
		if cap(b) <= maxPooledBatch {
			*bp = b
			batchPool.Put(bp)
		}

		c.qmu.Lock()
		c.qbytes -= size
		c.qmu.Unlock()
		// Only push and waitSpace wait for room, rarely: the wake-up is
		// skipped otherwise. A waiter counts itself before it looks at
		// qbytes under qmu, so it either sees this batch's room or is
		// counted here.
		if c.spaceWaiter.Load() > 0 {
			select {
			case c.space <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return err
		}
	}
}

// write writes one message, its payload after maxFrameHeader bytes of b.
// The writer frames it itself and the socket's write deadline bounds it
// (see socket); the socket still closes at once when the connection's
// context ends (the reader's Read watches it). This is the only way data
// reaches a client, in production and in tests.
func (c *conn) write(b []byte) error { return c.sock.writeText(b) }

// finish sends what is queued (except to a slow consumer, whose queue is
// gone) and closes the socket with the requested code.
func (c *conn) finish() {
	// No frame is accepted from now on, so the final flush ends.
	c.qmu.Lock()
	c.qclosed = true
	c.qmu.Unlock()
	if c.closeCode != CloseSlowConsumer {
		if err := c.flush(false); err != nil {
			c.logWriteError(err)
			_ = c.ws.CloseNow()
			return
		}
	}
	_ = c.ws.Close(c.closeCode, c.closeReason)
}

// logger is the connection's logger, made when something is logged (one
// kept per connection would cost every idle connection its memory).
func (c *conn) logger() *zerolog.Logger {
	l := c.h.log.With().Str("conn", c.id).Int64("tenant", c.p.TenantID).Int64("user", c.p.UserID).Logger()
	return &l
}

// logSlowConsumer records a slow-consumer disconnect: who, and how much
// was queued; never what.
func (c *conn) logSlowConsumer(queued, frame int, why string) {
	c.logger().Warn().Int("queued_bytes", queued).Int("frame_bytes", frame).
		Int("limit_bytes", c.h.cfg.SendQueueBytes).Str("reason", why).Msg("slow consumer disconnected")
}

func (c *conn) logWriteError(err error) {
	if c.ctx.Err() != nil || isNormalClose(err) {
		return
	}
	c.logger().Debug().Err(err).Msg("write failed")
}

// isNormalClose reports errors that end a connection in the ordinary way,
// which are not logged.
func isNormalClose(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return true
	}
	return false
}

// stop ends the connection's context; a running writer sees it before
// its next batch, and none starts after it.
func (c *conn) stop() {
	c.stopped.Store(true)
	c.cancelCtx()
}

// cancel is the one cancel that ends a connection: it stops it and closes
// the socket, which ends the reader's Read. (The reader reads with a
// context that never ends: coder/websocket would register a context.AfterFunc
// on c.ctx for every Read, which an idle connection holds for as long as
// it idles; closing the socket is what that callback did.) The reader,
// ending by itself, only stops (see readLoop).
func (c *conn) cancel() {
	c.stop()
	if c.ws != nil {
		_ = c.ws.CloseNow()
	}
}

// readLoop is the connection's reader: it rate-limits every frame before
// anything else and handles them one by one. It ends on a read error,
// which cancel causes by closing the socket.
func (c *conn) readLoop() {
	defer c.stop()
	for {
		typ, data, err := c.ws.Read(context.Background())
		c.readProgress.Add(1)
		if err != nil {
			if !isNormalClose(err) && c.ctx.Err() == nil && websocket.CloseStatus(err) == -1 {
				c.logger().Debug().Err(err).Msg("read failed")
			}
			return
		}
		if typ != websocket.MessageText {
			c.protocolViolation(nil, "frames are JSON text messages")
			continue
		}
		if c.closing() {
			continue // closing: read on until the close handshake ends
		}
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			c.h.m.messagesIn.Inc()
			if !c.limiter.allow(time.Now()) {
				c.strikes++
				if c.strikes == 1 {
					c.reply(errorFrame{Type: "error", Code: codeRateLimited, Message: "too many frames; slow down"})
				}
				if c.strikes >= c.h.cfg.RateLimitStrikes {
					c.close(CloseRateLimited, reasonRateLimited)
				}
				continue
			}
			c.strikes = 0
			c.readBusy.Store(true)
			onFreshStack(func() { c.handle(line) })
			c.readBusy.Store(false)
			c.readProgress.Add(1)
		}
	}
}

// maxBadFrames is how many malformed frames in a row close the connection.
const maxBadFrames = 20

func (c *conn) protocolViolation(id json.RawMessage, msg string) {
	c.badFrames++
	c.reply(errorFrame{Type: "error", ID: id, Code: codeBadFrame, Message: msg})
	if c.badFrames >= maxBadFrames {
		c.close(CloseProtocolError, reasonProtocol)
	}
}

// sendError answers a request with an error frame: this is the one place
// service errors become frames. Internal details go to the log only.
func (c *conn) sendError(id json.RawMessage, err error) {
	code := chat.ErrorCode(err)
	c.h.m.errorFrames.WithLabelValues(code).Inc()
	if code == chat.EInternal || code == chat.EUnavailable {
		c.logger().Error().Err(err).Msg("request failed")
	}
	c.reply(errorFrame{Type: "error", ID: id, Code: code, Message: chat.ErrorMessage(err)})
}

// connSub is one entry of a connection's subscriptions.
type connSub struct {
	name chat.Channel
	s    *subscription
}

// subIndex returns the index of the subscription to name in c.subs, or
// -1. Under smu. A slice searched linearly, not a map: every connection
// holds one or a few subscriptions (its user channel and what it
// subscribed to), and a map's first group costs an idle connection a
// few hundred bytes more than a small slice.
func (c *conn) subIndex(name chat.Channel) int {
	for i := range c.subs {
		if c.subs[i].name == name {
			return i
		}
	}
	return -1
}

// removeSubAt removes c.subs[i]. Under smu.
func (c *conn) removeSubAt(i int) {
	last := len(c.subs) - 1
	c.subs[i] = c.subs[last]
	c.subs[last] = connSub{}
	c.subs = c.subs[:last]
}

// addSub records s as the subscription to name unless there is one, or
// the connection already has too many.
func (c *conn) addSub(name chat.Channel, s *subscription) error {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.subIndex(name) >= 0 {
		return chat.Errorf(chat.EConflict, "already subscribed to %s", name)
	}
	if len(c.subs) >= c.h.cfg.MaxSubscriptions {
		return chat.Errorf(chat.ETooLarge, "at most %d subscriptions per connection", c.h.cfg.MaxSubscriptions)
	}
	c.subs = append(c.subs, connSub{name: name, s: s})
	return nil
}

// takeSub removes and returns the subscription to ch, if any.
func (c *conn) takeSub(ch chat.Channel) *subscription {
	c.smu.Lock()
	defer c.smu.Unlock()
	i := c.subIndex(ch)
	if i < 0 {
		return nil
	}
	s := c.subs[i].s
	c.removeSubAt(i)
	return s
}

// dropSub forgets s if it is still the subscription to its channel.
func (c *conn) dropSub(s *subscription) bool {
	c.smu.Lock()
	defer c.smu.Unlock()
	i := c.subIndex(s.ch.name)
	if i < 0 || c.subs[i].s != s {
		return false
	}
	c.removeSubAt(i)
	return true
}

func (c *conn) allSubs() []*subscription {
	c.smu.Lock()
	defer c.smu.Unlock()
	out := make([]*subscription, 0, len(c.subs))
	for _, e := range c.subs {
		out = append(out, e.s)
	}
	c.subs = nil
	return out
}
