// Package hub is Parley's real-time edge: the WebSocket endpoint and its
// versioned frame protocol (docs/protocol.md), subscriptions and fan-out,
// the Broker that carries events between nodes (in-process or Redis
// pub/sub) and Presence (in-process or Redis).
//
// The path of one event: the domain commits a change and calls
// Hub.Publish, which encodes the event frame once and publishes the bytes
// to the broker; every node's hub receives them and enqueues the same
// bytes to each local subscriber without blocking. Sequenced events are
// delivered to each subscriber once and in order: duplicates are dropped
// and gaps filled from the database (Service.ResyncEvents), once per
// channel per node.
package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"parley/chat"
)

// Hub serves WebSocket connections and fans events out to them.
type Hub struct {
	cfg      Config
	svc      Service
	broker   Broker
	presence Presence
	log      zerolog.Logger
	m        *metrics

	mu       sync.RWMutex
	channels map[string]*channelState
	conns    map[*conn]struct{}
	closed   bool
	closing  atomic.Bool
	// brokerDown: the broker lost its connection (HandleDisconnect) and
	// has not reconnected; channels are caught up from the database.
	brokerDown atomic.Bool
	// peersDown: another node reports that it cannot reach the broker
	// (Config.NodeID), so this node catches up from the database too.
	peersDown atomic.Bool
	outage    outageState // the poll loop's own
	connWG    sync.WaitGroup
	perUser   *userConns

	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgMu     sync.Mutex
	bgClosed bool
	bg       sync.WaitGroup

	shutdownOnce sync.Once
	shutdownDone chan struct{}
}

var (
	_ chat.Publisher = (*Hub)(nil)
	_ BrokerHandler  = (*Hub)(nil)
	_ http.Handler   = (*Hub)(nil)
)

var errShuttingDown = chat.Errorf(chat.EUnavailable, "server is shutting down")

// New returns a Hub and installs it as cfg.Broker's handler. It panics when
// a required field is missing (a wiring bug).
func New(cfg Config) *Hub {
	if cfg.Service == nil || cfg.Broker == nil || cfg.Presence == nil || cfg.Authenticate == nil {
		panic("hub: Config needs Service, Broker, Presence and Authenticate")
	}
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg:          cfg,
		svc:          cfg.Service,
		broker:       cfg.Broker,
		presence:     cfg.Presence,
		log:          cfg.Logger.With().Str("component", "hub").Logger(),
		m:            newMetrics(cfg.Registerer),
		channels:     make(map[string]*channelState),
		conns:        make(map[*conn]struct{}),
		perUser:      newUserConns(cfg.MaxSocketsPerUser),
		bgCtx:        ctx,
		bgCancel:     cancel,
		shutdownDone: make(chan struct{}),
	}
	h.m.brokerUp.Set(1)
	h.broker.SetHandler(h)
	if cfg.SessionRecheck > 0 {
		h.spawn(h.recheckLoop)
	}
	if cfg.PollInterval > 0 {
		h.spawn(h.pollLoop)
	}
	return h
}

// track counts a background task Shutdown must wait for; false once the
// hub is shut down.
func (h *Hub) track() bool {
	h.bgMu.Lock()
	defer h.bgMu.Unlock()
	if h.bgClosed {
		return false
	}
	h.bg.Add(1)
	return true
}

// spawn runs fn as a tracked background task.
func (h *Hub) spawn(fn func()) bool {
	if !h.track() {
		return false
	}
	go func() {
		defer h.bg.Done()
		fn()
	}()
	return true
}

// sleep waits d unless the hub shuts down first.
func (h *Hub) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h.bgCtx.Done():
		return false
	}
}

// Publish encodes the event frame once and publishes it to every node,
// exactly as Publisher{Broker: b} does on the hub's broker b.
func (h *Hub) Publish(ctx context.Context, ev chat.Event) error {
	return Publisher{Broker: h.broker}.Publish(ctx, ev)
}

// Publisher is the chat.Publisher of the hubs on Broker. The chat services
// get it before the Hub (which needs them) exists; every Hub on
// the same broker delivers what it publishes.
type Publisher struct {
	Broker Broker
}

var _ chat.Publisher = Publisher{}

// Publish implements chat.Publisher: the event frame is encoded once here
// and every subscriber on every node gets these same bytes.
func (p Publisher) Publish(ctx context.Context, ev chat.Event) error {
	if ev.Seq != 0 {
		// Committed, not yet published anywhere: a node dying here leaves
		// the event to the database and the client's retry.
		failpoint("publish-before-broker")
	}
	frame, err := encodeEvent(ev.Channel, ev.Type, ev.Seq, ev.Data)
	if err != nil {
		return chat.Internal(err, "encoding event")
	}
	payload := encodeEnvelope(wireEvent{seq: ev.Seq, typ: ev.Type, session: ev.SessionID, frame: frame})
	return p.Broker.Publish(ctx, ev.Channel.String(), payload)
}

// HandleMessage implements BrokerHandler. It never blocks.
func (h *Hub) HandleMessage(channel string, payload []byte) {
	ev, ok := decodeEnvelope(payload)
	if !ok {
		h.log.Error().Str("channel", channel).Msg("broker message is not an event envelope")
		return
	}
	h.mu.RLock()
	ch := h.channels[channel]
	h.mu.RUnlock()
	if ch != nil {
		ch.handle(ev)
	}
}

// HandleReconnect implements BrokerHandler: deliveries may have been lost,
// so every persisted channel is read again from its cursor.
func (h *Hub) HandleReconnect() {
	h.m.brokerReconnects.Inc()
	if h.brokerDown.Swap(false) {
		h.m.brokerUp.Set(1)
		h.log.Info().Msg("broker up again: live delivery through the broker, channels read once more from the database")
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, ch := range h.channels {
		if !ch.persisted {
			continue
		}
		ch.mu.Lock()
		ch.unconfirmed = false // every subscription was sent again
		switch {
		case len(ch.subs) == 0:
			// Nobody to owe anything; the next subscriber fixes the cursor.
			ch.known, ch.pending, ch.pendingBytes = false, nil, 0
		case !ch.known:
			ch.resyncAgain = true // acted on when the first replay fixes the cursor
		default:
			ch.startResync()
		}
		ch.mu.Unlock()
	}
}

// ServeHTTP serves the WebSocket endpoint (/ws).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("v"); v != "" && v != strconv.Itoa(ProtocolVersion) {
		http.Error(w, "unsupported protocol version", http.StatusBadRequest)
		return
	}
	p, err := h.cfg.Authenticate(r)
	if err == nil && (p == nil || p.UserID == 0) {
		err = chat.Errorf(chat.EUnauthenticated, "login required")
	}
	if err != nil {
		h.refuseUpgrade(w, err)
		return
	}
	if h.closing.Load() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	hj := &leanHijacker{ResponseWriter: w, writeTimeout: h.cfg.WriteTimeout}
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		OriginPatterns:  h.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		// Accept has answered (403 for a foreign origin, 400 otherwise).
		return
	}
	ws.SetReadLimit(h.cfg.ReadLimit)

	if !h.perUser.acquire(p.TenantID, p.UserID) {
		_ = ws.Close(CloseTooManySockets, reasonTooMany)
		return
	}
	c := h.newConn(ws, p)
	c.sock = hj.conn
	if !h.register(c) {
		h.perUser.release(p.TenantID, p.UserID)
		_ = ws.Close(CloseGoingAway, reasonShutdown)
		return
	}
	// The connection outlives this handler: once it returns, net/http lets
	// go of the request, its 8 KiB of buffers and this goroutine's stack,
	// which would otherwise be most of an idle connection's memory. The
	// connection's own goroutines are joined when it ends, and Shutdown
	// waits for them (connWG).
	go func() {
		defer h.connWG.Done()
		defer func() {
			// As net/http would for a handler: log, drop the connection,
			// keep the process.
			if v := recover(); v != nil {
				c.logger().Error().Interface("panic", v).Bytes("stack", debug.Stack()).Msg("connection panicked")
				c.cancel()
				_ = c.ws.CloseNow()
				c.stopWriting()
				if t := c.pingTimer.Load(); t != nil {
					t.Stop()
				}
				h.disconnect(c)
			}
		}()
		h.serve(c)
	}()
}

// refuseUpgrade answers a WebSocket upgrade whose session could not be
// accepted. 401 tells the client to log in, so it is sent only when the
// session is known to be invalid: a session that could not be checked
// (the database is down) answers 503 with Retry-After, and the client
// keeps its login and retries.
func (h *Hub) refuseUpgrade(w http.ResponseWriter, err error) {
	switch chat.ErrorCode(err) {
	case chat.EUnauthenticated:
		http.Error(w, "login required", http.StatusUnauthorized)
	case chat.EUnavailable:
		h.log.Warn().Err(err).Msg("session could not be checked")
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(chat.ErrorRetryAfter(err).Seconds()))))
		http.Error(w, "temporarily unavailable; try again in a moment", http.StatusServiceUnavailable)
	default:
		h.log.Error().Err(err).Msg("session could not be checked")
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

func (h *Hub) newConn(ws *websocket.Conn, p *chat.Principal) *conn {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		h:         h,
		id:        id,
		ws:        ws,
		p:         p,
		ctx:       ctx,
		cancelCtx: cancel,
		space:     make(chan struct{}, 1),
		limiter:   newTokenBucket(h.cfg.RateLimit, h.cfg.RateBurst),
	}
	return c
}

func (h *Hub) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	h.connWG.Add(1)
	h.m.connections.Inc()
	return true
}

// serve runs a registered connection to its end.
func (h *Hub) serve(c *conn) {
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		h.m.connections.Dec()
		h.perUser.release(c.p.TenantID, c.p.UserID)
	}()
	defer c.cancel()

	userCh := chat.UserChannel(c.p.UserID)
	var (
		s   *subscription
		err error
	)
	onFreshStack(func() {
		if err := h.presence.Add(c.ctx, c.p.TenantID, c.p.UserID); err != nil {
			c.logger().Warn().Err(err).Msg("presence add failed")
		}
		s, _, err = h.attach(c.ctx, c, userCh)
	})
	if err != nil {
		c.logger().Warn().Err(err).Msg("subscribing the user channel failed")
		h.disconnect(c)
		code, reason := CloseTryAgainLater, reasonUnavailable
		if errors.Is(err, errShuttingDown) {
			code, reason = CloseGoingAway, reasonShutdown
		}
		_ = c.ws.Close(code, reason)
		return
	}
	c.send(helloFrame{Type: "hello", V: ProtocolVersion, ConnID: c.id, UserID: c.p.UserID,
		UserChannel: userCh, PingIntervalMS: h.cfg.PingInterval.Milliseconds()})
	c.send(subscribedFrame{Type: "subscribed", Channel: userCh})
	s.ch.release(s, 0)

	// The heartbeat runs on its timer's goroutine; it is armed only once
	// stored, since heartbeat re-arms it through the pointer.
	ping := time.AfterFunc(time.Hour, c.heartbeat)
	ping.Stop()
	c.pingTimer.Store(ping)
	ping.Reset(h.cfg.PingInterval)
	c.startWriting()
	c.readLoop()
	c.stopWriting()
	ping.Stop()
	_ = c.ws.CloseNow()
	h.disconnect(c)
}

// disconnect drops a finished connection's subscriptions and presence, and
// tells the channels it was in when its user is now offline everywhere.
func (h *Hub) disconnect(c *conn) {
	var left []chat.Channel
	for _, s := range c.allSubs() {
		if h.unsubscribe(s, "") && s.ch.persisted {
			left = append(left, s.ch.name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.RequestTimeout)
	defer cancel()
	if err := h.presence.Remove(ctx, c.p.TenantID, c.p.UserID); err != nil {
		c.logger().Warn().Err(err).Msg("presence remove failed")
		return
	}
	if len(left) == 0 {
		return
	}
	online, err := h.presence.Online(ctx, c.p.TenantID, c.p.UserID)
	if err != nil || online {
		return
	}
	for _, ch := range left {
		h.publishPresence(ctx, ch, c.p.UserID, false)
	}
}

func (h *Hub) publishPresence(ctx context.Context, ch chat.Channel, userID int64, online bool) {
	err := h.Publish(ctx, chat.Event{Channel: ch, Type: chat.EventPresence, Data: presenceData{UserID: userID, Online: online}})
	if err != nil {
		h.log.Debug().Err(err).Str("channel", ch.String()).Msg("presence event not published")
	}
}

// recheckLoop revalidates every connected session periodically, so that a
// revoked session's sockets close even if the revocation event was lost.
func (h *Hub) recheckLoop() {
	t := time.NewTicker(h.cfg.SessionRecheck)
	defer t.Stop()
	for {
		select {
		case <-h.bgCtx.Done():
			return
		case <-t.C:
			h.recheck()
		}
	}
}

func (h *Hub) recheck() {
	bySession := make(map[string][]*conn)
	h.mu.RLock()
	for c := range h.conns {
		if c.p.SessionID != "" { // principals without a session are not revocable here
			bySession[c.p.SessionID] = append(bySession[c.p.SessionID], c)
		}
	}
	h.mu.RUnlock()
	ids := make([]string, 0, len(bySession))
	for sid := range bySession {
		ids = append(ids, sid)
	}
	for batch := range slices.Chunk(ids, SessionBatch) {
		ctx, cancel := context.WithTimeout(h.bgCtx, h.cfg.RequestTimeout)
		alive, err := h.svc.SessionsAlive(ctx, batch)
		cancel()
		if err != nil {
			if h.bgCtx.Err() != nil {
				return
			}
			// The store is unavailable: keep the sockets, try again later.
			h.log.Warn().Err(err).Msg("session recheck failed")
			continue
		}
		for _, sid := range batch {
			conns := bySession[sid]
			if userID, ok := alive[sid]; ok && userID == conns[0].p.UserID {
				continue
			}
			for _, c := range conns {
				c.close(CloseAuthRevoked, reasonRevoked)
			}
		}
	}
}

// Shutdown stops accepting connections and closes every socket with
// CloseGoingAway: every connection's writer sends its close frame at
// once (after what was queued for it), then Shutdown waits for the close
// handshakes for at most Config.CloseDrain and drops the sockets still
// open. When ctx ends first, they are dropped then. It returns once every
// connection has ended, and may be called more than once.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.shutdownOnce.Do(func() {
		defer close(h.shutdownDone)
		h.closing.Store(true)
		h.mu.Lock()
		h.closed = true
		conns := make([]*conn, 0, len(h.conns))
		for c := range h.conns {
			conns = append(conns, c)
		}
		for _, ch := range h.channels {
			ch.mu.Lock()
			if ch.graceTimer != nil {
				ch.graceTimer.Stop()
				ch.graceTimer = nil
			}
			ch.stopGapTimer()
			ch.mu.Unlock()
		}
		h.mu.Unlock()

		for _, c := range conns {
			c.close(CloseGoingAway, reasonShutdown)
		}
		done := make(chan struct{})
		go func() {
			h.connWG.Wait()
			close(done)
		}()
		drain := time.NewTimer(h.cfg.CloseDrain)
		defer drain.Stop()
		select {
		case <-done:
		case <-drain.C:
			h.dropAnswerless(ctx, conns, done)
		case <-ctx.Done():
			h.dropAll(conns)
		}
		<-done

		h.bgMu.Lock()
		h.bgClosed = true
		h.bgMu.Unlock()
		h.bgCancel()
		h.bg.Wait()
	})
	select {
	case <-h.shutdownDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dropAnswerless runs once the drain is over: it drops every socket whose
// close frame is out (its client had the drain to answer), and keeps
// doing so for the sockets whose writer had not got to the frame yet (a
// busy machine), so that every client gets 1001 before its socket goes.
// When ctx ends first, whatever is left is dropped.
func (h *Hub) dropAnswerless(ctx context.Context, conns []*conn, done <-chan struct{}) {
	dropped := make([]bool, len(conns))
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		for i, c := range conns {
			if !dropped[i] && (c.sock == nil || c.sock.closeFrameSent()) {
				dropped[i] = true
				if h.drop(c) {
					n++
				}
			}
		}
		select {
		case <-done:
		case <-tick.C:
			continue
		case <-ctx.Done():
			h.dropAll(conns)
		}
		break
	}
	if n > 0 {
		h.log.Info().Int("sockets", n).Dur("drain", h.cfg.CloseDrain).Msg("dropped the sockets whose clients had not answered the close")
	}
}

// closeFrameSent reports whether a close frame went out on the socket;
// false while a write holds it.
func (s *socket) closeFrameSent() bool {
	if !s.mu.TryLock() {
		return false
	}
	defer s.mu.Unlock()
	return s.closeSent
}

// drop closes one connection's socket without a handshake and reports
// whether it was still open.
func (h *Hub) drop(c *conn) bool {
	c.stop()
	if c.sock != nil {
		return c.sock.Conn.Close() == nil
	}
	_ = c.ws.CloseNow()
	return false
}

// dropAll closes the sockets of connections still open without a
// handshake. The socket itself is closed: coder/websocket's CloseNow does
// nothing to a connection whose Close is waiting for the handshake.
func (h *Hub) dropAll(conns []*conn) {
	n := 0
	for _, c := range conns {
		if h.drop(c) {
			n++
		}
	}
	if n > 0 {
		h.log.Warn().Int("sockets", n).Msg("shutdown timeout: dropped the sockets still open")
	}
}

// Close shuts the hub down, waiting for connections to close; it tolerates
// repeated calls.
func (h *Hub) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return h.Shutdown(ctx)
}
