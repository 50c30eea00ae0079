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
// catch up: the broker is down or a subscription unconfirmed.
func (h *Hub) pollLoop() {
	t := time.NewTicker(h.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-h.bgCtx.Done():
			return
		case <-t.C:
			h.poll()
		}
	}
}

// pollTarget is a channel to catch up, from its cursor when listed.
type pollTarget struct {
	ch    *channelState
	after int64
}

// poll reads, for every channel with local subscribers that the broker
// does not serve now, the events after its cursor, and delivers them.
func (h *Hub) poll() {
	down := h.brokerDown.Load()
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
