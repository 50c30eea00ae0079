package hub

// Delivery without the broker. The broker (Redis pub/sub) is an
// accelerator, the database is the truth: while the broker is down, or a
// channel's broker subscription is not confirmed, the node
//
//   - delivers what it publishes itself to its own subscribers at once
//     (HandleLocal: the Redis broker hands every payload to its own node
//     before sending it on), and
//   - catches up every channel with local subscribers from the database
//     every Config.PollInterval, one query per tenant for up to
//     chat.MaxCursors channels (Service.CatchUpEvents), from each channel's
//     cursor.
//
// Both feed the channel's one ordering point (the cursor under ch.mu), as
// broker deliveries and gap fills do, so each event reaches a subscriber
// once and in order whichever path brings it first. When the broker is
// back, HandleReconnect reads every channel once more and the poll stops.
//
// A node cut off from the broker while the others reach it tells them
// through the database (checkOutages): they poll too until it is back.

import (
	"context"
	"time"

	"parley/chat"
)

// HandleLocal implements BrokerHandler. Sequenced events are delivered at
// once (the broker's echo is a duplicate by seq); live-only events only
// while the broker is down, since they have no seq to drop an echo by.
func (h *Hub) HandleLocal(channel string, payload []byte) {
	ev, ok := decodeEnvelope(payload)
	if !ok {
		return
	}
	h.mu.RLock()
	ch := h.channels[channel]
	h.mu.RUnlock()
	if ch == nil {
		return
	}
	if (ev.seq != 0 && ch.persisted) || h.brokerDown.Load() {
		ch.handle(ev)
	}
}

// HandleDisconnect implements BrokerHandler: the node delivers from the
// database until HandleReconnect.
func (h *Hub) HandleDisconnect() {
	if !h.brokerDown.Swap(true) {
		h.m.brokerUp.Set(0)
		h.log.Warn().Dur("poll_interval", h.cfg.PollInterval).
			Msg("broker down: delivering this node's own publishes directly and catching up the others from the database")
	}
}

// HandleConfirm implements BrokerHandler: a late broker subscription is
// active; one more read covers what was published before it.
func (h *Hub) HandleConfirm(channel string) {
	h.mu.RLock()
	ch := h.channels[channel]
	h.mu.RUnlock()
	if ch == nil {
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.unconfirmed {
		return
	}
	ch.unconfirmed = false
	if ch.known && len(ch.subs) > 0 {
		ch.startResync()
	}
}

// pollLoop catches up from the database while there is something to
// catch up: the broker is down, a subscription unconfirmed, or another
// node cut off from the broker.
func (h *Hub) pollLoop() {
	t := time.NewTicker(h.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-h.bgCtx.Done():
			h.withdrawOutage()
			return
		case <-t.C:
			h.checkOutages()
			h.poll()
		}
	}
}

// A node cut off from the broker while the others reach it publishes to
// nobody elsewhere, and the others, their broker up, would not poll. So
// every period the node writes its own outage to the database while its
// broker is down, and reads the others' while it is up: while any other
// node is cut off it polls as if its own broker were down. Cost while
// nothing is wrong: one query of a table of a few rows per node per
// period.

// outageState is what the poll loop knows of the outage records.
type outageState struct {
	reported bool // this node's record is in the database
	peers    bool // the last read found another node cut off
	failing  bool // the last report or read failed (logged once per run)
}

// outageTTL is how long a record lasts unrenewed: three periods and at
// least 3 s, so that a slow renewal (a busy database) does not stop the
// others' polling, while a node that died cut off stops costing them
// polls soon.
func (h *Hub) outageTTL() time.Duration { return max(3*h.cfg.PollInterval, 3*time.Second) }

// checkOutages reports this node's outage, or reads the others', and
// sets peersDown. It runs on the poll loop only.
func (h *Hub) checkOutages() {
	if h.cfg.NodeID == "" {
		return
	}
	o := &h.outage
	ctx, cancel := context.WithTimeout(h.bgCtx, min(h.cfg.RequestTimeout, h.outageTTL()))
	defer cancel()
	if h.brokerDown.Load() {
		// Polling anyway; the others need to know.
		err := h.svc.ReportBrokerDown(ctx, h.cfg.NodeID, h.outageTTL())
		h.outageErr(err, "reporting this node's broker outage")
		if err == nil && !o.reported {
			o.reported = true
			h.log.Info().Str("node", h.cfg.NodeID).Msg("broker outage recorded in the database: the other nodes catch up from it too")
		}
		return
	}
	if o.reported {
		err := h.svc.ReportBrokerUp(ctx, h.cfg.NodeID)
		h.outageErr(err, "clearing this node's broker outage")
		o.reported = err != nil
	}
	nodes, err := h.svc.BrokerOutages(ctx)
	h.outageErr(err, "reading the nodes' broker outages")
	if err != nil {
		return // as before: the poll covers the channels if it did
	}
	var others []string
	for _, n := range nodes {
		if n != h.cfg.NodeID {
			others = append(others, n)
		}
	}
	h.m.peerOutages.Set(float64(len(others)))
	cut := len(others) > 0
	switch {
	case cut && !o.peers:
		h.log.Warn().Strs("nodes", others).Msg("other nodes cannot reach the broker: catching up their publishes from the database")
	case !cut && o.peers:
		h.log.Info().Msg("no node is cut off from the broker any more")
	}
	// One more poll after the last outage ended: what the node published
	// between this node's previous poll and its return to the broker
	// reached nobody through it.
	h.peersDown.Store(cut || o.peers)
	o.peers = cut
}

// outageErr logs the first of a run of failures and the end of the run.
func (h *Hub) outageErr(err error, what string) {
	o := &h.outage
	switch {
	case err != nil && !o.failing && h.bgCtx.Err() == nil:
		h.log.Warn().Err(err).Msg(what + " failed; trying again next period")
		o.failing = true
	case err == nil && o.failing:
		h.log.Info().Msg("broker outage records work again")
		o.failing = false
	}
}

// withdrawOutage removes this node's record when the hub stops, so the
// others do not poll for its TTL.
func (h *Hub) withdrawOutage() {
	if !h.outage.reported {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := h.svc.ReportBrokerUp(ctx, h.cfg.NodeID); err != nil {
		h.log.Warn().Err(err).Msg("could not clear this node's broker outage record; it expires by itself")
	}
}

// pollTarget is a channel to catch up, from its cursor when listed.
type pollTarget struct {
	ch    *channelState
	after int64
}

// poll reads, for every channel with local subscribers that the broker
// does not serve now (or not from every node), the events after its
// cursor, and delivers them.
func (h *Hub) poll() {
	down := h.brokerDown.Load() || h.peersDown.Load()
	byTenant := map[int64][]pollTarget{}
	h.mu.RLock()
	for _, ch := range h.channels {
		if !ch.persisted {
			continue
		}
		ch.mu.Lock()
		// A channel being filled already (resyncing) reads the database
		// itself; one whose cursor is not fixed yet is being replayed.
		if (down || ch.unconfirmed) && ch.known && !ch.resyncing && !ch.closing && len(ch.subs) > 0 {
			byTenant[ch.tenantID] = append(byTenant[ch.tenantID], pollTarget{ch: ch, after: ch.cursor})
		}
		ch.mu.Unlock()
	}
	h.mu.RUnlock()
	n := 0
	for _, ts := range byTenant {
		n += len(ts)
	}
	h.m.pollChannels.Set(float64(n))
	if n == 0 {
		return
	}
	page := h.cfg.ReplayPageSize
	for tenantID, ts := range byTenant {
		for len(ts) > 0 {
			chunk := ts[:min(len(ts), chat.MaxCursors)]
			ts = ts[len(chunk):]
			cursors := make([]chat.ChannelCursor, len(chunk))
			for i, t := range chunk {
				cursors[i] = chat.ChannelCursor{Channel: t.ch.name, Seq: t.after}
			}
			start := time.Now()
			ctx, cancel := context.WithTimeout(h.bgCtx, h.cfg.RequestTimeout)
			evs, err := h.svc.CatchUpEvents(ctx, tenantID, cursors, page)
			cancel()
			h.m.polls.Inc()
			h.m.pollDuration.Observe(time.Since(start).Seconds())
			if err != nil {
				if h.bgCtx.Err() != nil {
					return
				}
				h.m.pollErrors.Inc()
				h.log.Warn().Err(err).Int("channels", len(chunk)).Msg("catch-up poll failed; trying again next period")
				continue
			}
			by := map[chat.Channel][]chat.ChannelEvent{}
			for _, ev := range evs {
				by[ev.Message.Channel] = append(by[ev.Message.Channel], ev)
			}
			for _, t := range chunk {
				if got := by[t.ch.name]; len(got) > 0 {
					h.m.pollEvents.Add(float64(t.ch.caughtUp(got, page)))
				}
			}
		}
	}
}

// caughtUp delivers events a poll read after the cursor and returns how
// many were new. A full page, or events that do not continue the cursor,
// hand the channel to a gap fill, which pages.
func (ch *channelState) caughtUp(evs []chat.ChannelEvent, page int) int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.resyncing || !ch.known {
		return 0
	}
	n := 0
	more := len(evs) >= page
	for _, ce := range evs {
		if ce.Seq <= ch.cursor {
			continue
		}
		if ce.Seq != ch.cursor+1 {
			more = true
			break
		}
		frame, err := encodeEvent(ch.name, ce.Type, ce.Seq, ce.Message)
		if err != nil {
			ch.h.log.Error().Err(err).Str("channel", ch.key).Msg("encoding a polled event")
			more = true
			break
		}
		ch.cursor = ce.Seq
		ch.fanout(wireEvent{seq: ce.Seq, typ: ce.Type, frame: frame})
		n++
	}
	ch.drainPending()
	if len(ch.pending) == 0 {
		ch.stopGapTimer()
	}
	if more {
		ch.startResync()
	}
	return n
}
