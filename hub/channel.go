package hub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"parley/chat"
)

// channelState is a channel with local subscribers (or within its
// unsubscribe grace period) on this node.
//
// Ordering: for a persisted channel the node keeps a cursor, the last seq
// it delivered in order. A broker delivery at cursor+1 is fanned out; one
// at or below is a duplicate and dropped; one beyond opens a gap, filled
// once for the channel from Service.ResyncEvents while later deliveries
// wait in pending. Every subscriber additionally drops what it already got
// (its own lastSeq), which makes replays and live deliveries meet exactly.
type channelState struct {
	h         *Hub
	name      chat.Channel
	key       string
	persisted bool

	ready    chan struct{} // closed when the broker subscription settled
	readyErr error
	done     chan struct{} // closed when the state left the index

	mu         sync.Mutex
	subs       map[*subscription]struct{}
	users      map[int64]int // subscriptions per user, for presence events
	closing    bool          // grace expired; being unsubscribed (also read under h.mu)
	dead       bool          // the broker subscription failed; never reused
	graceTimer *time.Timer
	graceGen   int

	tenantID     int64 // set with the cursor, from an authorized subscriber
	known        bool  // cursor is valid
	cursor       int64 // last seq delivered in order
	pending      []wireEvent
	pendingBytes int
	resyncing    bool
	resyncAgain  bool        // read the database once more before declaring the gap filled
	gapTimer     *time.Timer // a gap waits GapWait for a late delivery before it is filled
	unconfirmed  bool        // the broker has not confirmed the subscription: polled
}

// subscription is one connection's subscription to one channel. Its fields
// are guarded by ch.mu.
type subscription struct {
	c  *conn
	ch *channelState

	lastSeq   int64
	replaying bool // live deliveries go to buf until the replay is released
	buf       []wireEvent
	bufBytes  int
	bufFrom   int64 // buf holds every delivery after this seq; -1: not yet known
	removed   bool
}

// attach subscribes c to name on this node: it registers a buffering
// subscription and returns once the broker subscription is active.
func (h *Hub) attach(ctx context.Context, c *conn, name chat.Channel) (*subscription, bool, error) {
	s := &subscription{c: c, replaying: true, bufFrom: -1}
	if err := c.addSub(name, s); err != nil {
		return nil, false, err
	}
	for {
		ch, creator, first, closing, err := h.join(s, name)
		if err != nil {
			c.takeSub(name)
			return nil, false, err
		}
		if closing != nil {
			select {
			case <-closing:
				continue
			case <-ctx.Done():
				c.takeSub(name)
				return nil, false, chat.Internal(ctx.Err(), "waiting for a channel to close")
			}
		}
		h.m.subscriptions.Inc()
		if creator {
			h.subscribeBroker(ch)
		}
		if err := h.awaitReady(ctx, s, ch); err != nil {
			return nil, false, err
		}
		return s, first, nil
	}
}

// join adds s to the channel's state, creating it (creator) when it is
// the channel's first subscription on this node. A channel still closing
// is not joined: its done channel is returned to wait on. first reports
// whether s is the user's first subscription to the channel here.
func (h *Hub) join(s *subscription, name chat.Channel) (ch *channelState, creator, first bool, closing <-chan struct{}, err error) {
	key := name.String()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false, false, nil, errShuttingDown
	}
	ch = h.channels[key]
	if ch != nil && ch.closing {
		return nil, false, false, ch.done, nil
	}
	creator = ch == nil
	if creator {
		ch = &channelState{
			h: h, name: name, key: key, persisted: name.Persisted(),
			ready: make(chan struct{}), done: make(chan struct{}),
			subs: make(map[*subscription]struct{}), users: make(map[int64]int),
			unconfirmed: true, // until the broker confirms (HandleConfirm may come first)
		}
		h.channels[key] = ch
	}
	s.ch = ch
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.subs[s] = struct{}{}
	ch.users[s.c.p.UserID]++
	first = ch.users[s.c.p.UserID] == 1
	if ch.graceTimer != nil {
		ch.graceTimer.Stop()
		ch.graceTimer = nil
	}
	ch.graceGen++
	if ch.known {
		s.bufFrom = ch.cursor
	}
	return ch, creator, first, nil, nil
}

// subscribeBroker subscribes the node to a new channel and then releases
// everyone waiting on ch.ready. It runs on the hub's context, not the
// connection's: other subscribers wait on it. A broker that cannot
// confirm in BrokerWait keeps the subscription; the poll serves the
// channel meanwhile. Any other failure makes the channel dead.
func (h *Hub) subscribeBroker(ch *channelState) {
	bctx, cancel := context.WithTimeout(h.bgCtx, h.cfg.BrokerWait)
	err := h.broker.Subscribe(bctx, ch.key)
	cancel()
	switch {
	case err == nil:
		ch.mu.Lock()
		ch.unconfirmed = false
		ch.mu.Unlock()
	case errors.Is(err, ErrUnconfirmed):
		h.log.Debug().Str("channel", ch.key).Msg("broker subscription not confirmed yet; the channel is polled")
	default:
		ch.readyErr = &chat.Error{Code: chat.EUnavailable, Message: "try again later", Err: err}
		ch.mu.Lock()
		ch.dead = true
		ch.mu.Unlock()
		h.mu.Lock()
		if h.channels[ch.key] == ch {
			delete(h.channels, ch.key)
		}
		h.mu.Unlock()
		close(ch.done)
	}
	close(ch.ready)
}

// awaitReady waits until the channel's broker subscription is settled;
// on failure or a cancelled ctx, s is removed again.
func (h *Hub) awaitReady(ctx context.Context, s *subscription, ch *channelState) error {
	select {
	case <-ch.ready:
	case <-ctx.Done():
		h.unsubscribe(s, "")
		return chat.Internal(ctx.Err(), "waiting for the broker")
	}
	if ch.readyErr != nil {
		h.unsubscribe(s, "")
		return ch.readyErr
	}
	return nil
}

// unsubscribe ends s. With a reason the client is told by an unsubscribed
// frame. It reports whether s was the user's last subscription to the
// channel on this node.
func (h *Hub) unsubscribe(s *subscription, reason string) (lastOfUser bool) {
	ch := s.ch
	c := s.c
	c.dropSub(s)
	ch.mu.Lock()
	if s.removed {
		ch.mu.Unlock()
		return false
	}
	s.removed = true
	s.buf = nil
	delete(ch.subs, s)
	ch.users[c.p.UserID]--
	if ch.users[c.p.UserID] <= 0 {
		delete(ch.users, c.p.UserID)
		lastOfUser = true
	}
	if len(ch.subs) == 0 && !ch.dead && !h.closing.Load() {
		ch.graceGen++
		gen := ch.graceGen
		ch.graceTimer = time.AfterFunc(h.cfg.UnsubscribeGrace, func() { h.expire(ch, gen) })
	}
	ch.mu.Unlock()
	h.m.subscriptions.Dec()
	if reason != "" {
		c.send(unsubscribedFrame{Type: "unsubscribed", Channel: ch.name, Reason: reason})
	}
	return lastOfUser
}

// expire drops the broker subscription of a channel whose grace period
// passed without a new subscriber.
func (h *Hub) expire(ch *channelState, gen int) {
	if !h.track() {
		return
	}
	defer h.bg.Done()
	h.mu.Lock()
	if h.closed || h.channels[ch.key] != ch {
		h.mu.Unlock()
		return
	}
	ch.mu.Lock()
	if len(ch.subs) > 0 || ch.graceGen != gen {
		ch.mu.Unlock()
		h.mu.Unlock()
		return
	}
	ch.closing = true
	ch.graceTimer = nil
	ch.mu.Unlock()
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(h.bgCtx, h.cfg.RequestTimeout)
	if err := h.broker.Unsubscribe(ctx, ch.key); err != nil {
		h.log.Warn().Err(err).Str("channel", ch.key).Msg("broker unsubscribe failed")
	}
	cancel()
	h.mu.Lock()
	delete(h.channels, ch.key)
	h.mu.Unlock()
	close(ch.done)
}

// handle receives one event from the broker.
func (ch *channelState) handle(ev wireEvent) {
	ch.mu.Lock()
	if ev.seq == 0 || !ch.persisted {
		ch.fanout(ev)
	} else {
		ch.sequenced(ev)
	}
	var subs []*subscription
	if isControl(ch.name, ev.typ) {
		for s := range ch.subs {
			if ev.session == "" || s.c.p.SessionID == ev.session {
				subs = append(subs, s)
			}
		}
	}
	ch.mu.Unlock()
	if len(subs) > 0 {
		ch.h.control(ch, ev, subs)
	}
}

func isControl(ch chat.Channel, typ chat.EventType) bool {
	switch typ {
	case chat.EventTopicRemoved:
		return ch.Kind == chat.KindTopic
	case chat.EventAccessRevoked, chat.EventRevoked:
		return ch.Kind == chat.KindUser
	}
	return false
}

// sequenced delivers a sequenced event in order (ch.mu held).
func (ch *channelState) sequenced(ev wireEvent) {
	if !ch.known || ch.resyncing {
		if len(ch.subs) > 0 {
			ch.addPending(ev)
		}
		return
	}
	switch {
	case ev.seq <= ch.cursor: // duplicate
	case ev.seq == ch.cursor+1:
		ch.cursor = ev.seq
		ch.fanout(ev)
		if len(ch.pending) > 0 {
			ch.drainPending()
			if len(ch.pending) == 0 {
				ch.stopGapTimer()
			}
		}
	case len(ch.subs) == 0:
		// Nobody is owed the gap; a new subscriber replays from the database.
		ch.cursor = ev.seq
	default:
		// Concurrent publishers reach the broker (and local delivery) in
		// any order: a gap is most often the next event arriving late, so
		// it waits GapWait before it is read from the database.
		ch.addPending(ev)
		if ch.gapTimer == nil {
			ch.gapTimer = time.AfterFunc(ch.h.cfg.GapWait, ch.gapExpired)
		}
	}
}

// gapExpired fills a gap the late delivery did not close.
func (ch *channelState) gapExpired() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.gapTimer = nil
	if ch.resyncing || !ch.known {
		return
	}
	ch.drainPending()
	if len(ch.pending) > 0 || ch.resyncAgain {
		ch.startResync()
	}
}

// stopGapTimer cancels a gap wait whose gap closed (ch.mu held).
func (ch *channelState) stopGapTimer() {
	if ch.gapTimer != nil {
		ch.gapTimer.Stop()
		ch.gapTimer = nil
	}
}

// addPending keeps an event that must wait for a gap to be filled. Past the
// bound it is dropped: the database has it, and one more read will fetch it.
func (ch *channelState) addPending(ev wireEvent) {
	if ch.pendingBytes+len(ev.frame) > ch.h.cfg.SendQueueBytes {
		ch.resyncAgain = true
		return
	}
	ch.pending = append(ch.pending, ev)
	ch.pendingBytes += len(ev.frame)
}

// drainPending delivers pending events that continue the cursor and drops
// duplicates; what remains waits behind a gap (ch.mu held).
func (ch *channelState) drainPending() {
	if len(ch.pending) == 0 {
		return
	}
	slices.SortStableFunc(ch.pending, bySeq)
	i := 0
	for ; i < len(ch.pending); i++ {
		ev := ch.pending[i]
		if ev.seq <= ch.cursor {
			continue
		}
		if ev.seq != ch.cursor+1 {
			break
		}
		ch.cursor = ev.seq
		ch.fanout(ev)
	}
	rest := ch.pending[i:]
	ch.pending = slices.Clone(rest)
	ch.pendingBytes = 0
	for _, ev := range ch.pending {
		ch.pendingBytes += len(ev.frame)
	}
}

func bySeq(a, b wireEvent) int { return cmp.Compare(a.seq, b.seq) }

// fanout hands ev to every subscriber without blocking (ch.mu held).
func (ch *channelState) fanout(ev wireEvent) {
	// A replaying subscriber buffers at most half a queue, so that its
	// release fits in the other half.
	limit := ch.h.cfg.SendQueueBytes / 2
	sent := 0
	defer func() { ch.h.m.messagesOut.Add(float64(sent)) }()
	for s := range ch.subs {
		if ev.session != "" && s.c.p.SessionID != ev.session {
			continue
		}
		if s.replaying {
			if s.bufBytes+len(ev.frame) > limit {
				// Forget the buffer; the replay reads further from the
				// database instead.
				s.buf, s.bufBytes, s.bufFrom = nil, 0, ch.cursor
				if ev.seq == 0 {
					s.bufFrom = -1
				}
				continue
			}
			s.buf = append(s.buf, ev)
			s.bufBytes += len(ev.frame)
			continue
		}
		if ev.seq != 0 {
			if ev.seq <= s.lastSeq {
				continue
			}
			s.lastSeq = ev.seq
		}
		if s.c.enqueueUncounted(ev.frame) {
			sent++
		}
	}
}

// release ends the replay of s at lastSeq and sends what was buffered
// meanwhile. It returns false when a hole remains between the replay and
// the buffer: the caller reads further from the database and tries again.
func (ch *channelState) release(s *subscription, lastSeq int64) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if s.removed {
		return true
	}
	s.lastSeq = lastSeq
	if ch.persisted {
		if !ch.known {
			// The first replay to finish fixes the cursor: it read the
			// database after the broker subscription became active. Its
			// principal was authorized for the channel, so its tenant is
			// the channel's (gap fills read as that tenant).
			ch.known, ch.cursor = true, lastSeq
			ch.tenantID = s.c.p.TenantID
			for o := range ch.subs {
				if o.replaying && o.bufFrom < 0 {
					o.bufFrom = ch.cursor
				}
			}
			ch.drainPending()
			if len(ch.pending) > 0 || ch.resyncAgain {
				ch.startResync()
			}
		}
		if s.bufFrom < 0 || lastSeq < s.bufFrom {
			return false
		}
	}
	s.replaying = false
	for _, ev := range s.buf {
		if ev.seq != 0 {
			if ev.seq <= s.lastSeq {
				continue
			}
			s.lastSeq = ev.seq
		}
		s.c.enqueue(ev.frame)
	}
	s.buf, s.bufBytes = nil, 0
	return true
}

// startResync fills the gap after the cursor from the database in the
// background, once per channel (ch.mu held).
func (ch *channelState) startResync() {
	if ch.resyncing {
		ch.resyncAgain = true
		return
	}
	if !ch.h.spawn(ch.resync) {
		return
	}
	ch.stopGapTimer()
	ch.resyncing = true
	ch.h.m.resyncs.Inc()
}

// resync reads events after the cursor until the pending events continue
// it. Events are committed before they are published, so a read made after
// an event arrived always contains it.
func (ch *channelState) resync() {
	h := ch.h
	page := h.cfg.ReplayPageSize
	failures, stalls := 0, 0
	for {
		ch.mu.Lock()
		from, tenantID := ch.cursor, ch.tenantID
		ch.resyncAgain = false
		ch.mu.Unlock()

		ctx, cancel := context.WithTimeout(h.bgCtx, h.cfg.RequestTimeout)
		evs, err := h.svc.ResyncEvents(ctx, tenantID, ch.name, from, page)
		cancel()
		if err != nil {
			if h.bgCtx.Err() != nil {
				return
			}
			failures++
			h.log.Warn().Err(err).Str("channel", ch.key).Int("failures", failures).Msg("gap fill failed")
			if failures < 5 && h.sleep(time.Duration(failures)*200*time.Millisecond) {
				continue
			}
			ch.mu.Lock()
			ch.giveUp()
			ch.mu.Unlock()
			return
		}
		failures = 0

		ch.mu.Lock()
		progressed := false
		for _, ce := range evs {
			if ce.Seq <= ch.cursor {
				continue
			}
			if ce.Seq != ch.cursor+1 {
				break // the database has a hole: give up below if it stays
			}
			frame, err := encodeEvent(ch.name, ce.Type, ce.Seq, ce.Message)
			if err != nil {
				h.log.Error().Err(err).Str("channel", ch.key).Msg("encoding a replayed event")
				break
			}
			ch.cursor = ce.Seq
			ch.fanout(wireEvent{seq: ce.Seq, typ: ce.Type, frame: frame})
			progressed = true
		}
		if len(evs) >= page && progressed {
			ch.mu.Unlock()
			continue
		}
		ch.drainPending()
		if len(ch.pending) == 0 && !ch.resyncAgain {
			ch.resyncing = false
			ch.mu.Unlock()
			return
		}
		if progressed {
			stalls = 0
		} else if stalls++; stalls >= 3 {
			ch.giveUp()
			ch.mu.Unlock()
			return
		}
		ch.mu.Unlock()
	}
}

// giveUp skips an unfillable gap: subscribers get a reload frame, then the
// events that wait behind the gap (ch.mu held).
func (ch *channelState) giveUp() {
	h := ch.h
	h.log.Error().Str("channel", ch.key).Int64("cursor", ch.cursor).Msg("gap could not be filled; clients told to reload")
	if len(ch.pending) > 0 {
		slices.SortStableFunc(ch.pending, bySeq)
		ch.cursor = ch.pending[0].seq - 1
	}
	frame := mustMarshal(reloadFrame{Type: "reload", Channel: ch.name, Reason: reloadUnfilled, LastSeq: ch.cursor})
	ch.fanout(wireEvent{frame: frame})
	ch.drainPending()
	ch.pending, ch.pendingBytes = nil, 0
	ch.resyncing, ch.resyncAgain = false, false
}

// control applies a control event to the subscriptions it targets, after
// the event itself was delivered to them.
func (h *Hub) control(ch *channelState, ev wireEvent, subs []*subscription) {
	switch ev.typ {
	case chat.EventTopicRemoved:
		for _, s := range subs {
			h.unsubscribe(s, unsubRemoved)
		}
	case chat.EventRevoked:
		for _, s := range subs {
			s.c.close(CloseAuthRevoked, reasonRevoked)
		}
	case chat.EventAccessRevoked:
		var f struct {
			Data accessRevokedData `json:"data"`
		}
		if err := json.Unmarshal(ev.frame, &f); err != nil {
			h.log.Error().Err(err).Msg("access.revoked event without a channel list")
			return
		}
		for _, s := range subs {
			for _, name := range f.Data.Channels {
				if other := s.c.takeSub(name); other != nil {
					h.unsubscribe(other, unsubRevoked)
				}
			}
		}
	}
}
