package hub

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"parley/chat"
)

// Bounds on request fields.
const (
	defaultHistoryLimit = 50
	maxHistoryLimit     = 200
	maxPresenceUsers    = 200
)

// handle answers one client frame. It runs in the reader goroutine, so a
// connection's requests are answered in order.
func (c *conn) handle(line []byte) {
	var f clientFrame
	if err := json.Unmarshal(line, &f); err != nil {
		c.protocolViolation(nil, "frame is not a JSON object of the protocol")
		return
	}
	if !validID(f.ID) {
		c.protocolViolation(nil, "id must be a string or a number of at most 64 bytes")
		return
	}
	ctx, cancel := context.WithTimeout(chat.WithPrincipal(c.ctx, c.p), c.h.cfg.RequestTimeout)
	defer cancel()

	switch f.Type {
	case framePing:
		c.reply(pongFrame{Type: "pong", ID: f.ID})
	case frameSubscribe:
		c.handleSubscribe(ctx, f)
	case frameUnsubscribe:
		c.handleUnsubscribe(f)
	case framePublish:
		c.handlePublish(ctx, f)
	case frameEdit:
		c.withMessage(f, func() (chat.Message, error) { return c.h.svc.EditMessage(ctx, f.MessageID, f.Body) })
	case frameDelete:
		c.withMessage(f, func() (chat.Message, error) { return c.h.svc.DeleteMessage(ctx, f.MessageID) })
	case frameReact:
		c.withMessage(f, func() (chat.Message, error) { return c.h.svc.React(ctx, f.MessageID, f.Emoji, !f.Remove) })
	case frameHistory:
		c.handleHistory(ctx, f)
	case frameTyping:
		c.handleTyping(ctx, f)
	case frameRead:
		c.handleRead(ctx, f)
	case framePresence:
		c.handlePresence(ctx, f)
	default:
		c.protocolViolation(f.ID, "unknown frame type")
		return
	}
	c.badFrames = 0
}

// channel parses the frame's channel, answering an error frame when it is
// missing or malformed.
func (c *conn) channel(f clientFrame) (chat.Channel, bool) {
	ch, err := chat.ParseChannel(f.Channel)
	if err != nil {
		c.sendError(f.ID, err)
		return chat.Channel{}, false
	}
	return ch, true
}

func (c *conn) handleSubscribe(ctx context.Context, f clientFrame) {
	name, ok := c.channel(f)
	if !ok {
		return
	}
	if !name.Persisted() {
		c.subscribeLive(ctx, f, name)
		return
	}
	// Register first (live events are buffered), then replay from the
	// database, then release the buffer without what was replayed.
	s, firstOfUser, err := c.h.attach(ctx, c, name)
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	if !c.replay(ctx, f, s) {
		return
	}
	if firstOfUser {
		c.h.publishPresence(ctx, name, c.p.UserID, true)
	}
}

// subscribeLive subscribes to a live-only channel: it carries no
// sequence, so only authorization matters.
func (c *conn) subscribeLive(ctx context.Context, f clientFrame, name chat.Channel) {
	if name != chat.UserChannel(c.p.UserID) {
		if err := c.h.svc.Authorize(ctx, name); err != nil {
			c.sendError(f.ID, err)
			return
		}
	}
	s, _, err := c.h.attach(ctx, c, name)
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	c.reply(subscribedFrame{Type: "subscribed", ID: f.ID, Channel: name})
	s.ch.release(s, 0)
}

// replay answers the subscribe frame and sends the events after its
// since, page by page, then releases the live events buffered meanwhile.
// A client without since gets only the last seq; one too far behind or
// ahead is told to reload. It reports false when s was ended instead.
func (c *conn) replay(ctx context.Context, f clientFrame, s *subscription) bool {
	h, name := c.h, s.ch.name
	page := h.cfg.ReplayPageSize
	since, limit := int64(0), page
	if f.Since == nil {
		limit = 1 // only the last seq is wanted
	} else if *f.Since > 0 {
		since = *f.Since
	}
	evs, last, err := h.svc.Events(ctx, name, since, limit)
	if err != nil {
		h.unsubscribe(s, "")
		c.sendError(f.ID, err)
		return false
	}
	cur := since
	switch {
	case f.Since == nil:
		cur, evs = last, nil
	case since > last:
		c.reply(reloadFrame{Type: "reload", Channel: name, Reason: reloadAhead, LastSeq: last})
		cur, evs = last, nil
	case last-since > h.cfg.MaxReplay:
		c.reply(reloadFrame{Type: "reload", Channel: name, Reason: reloadTooFar, LastSeq: last})
		cur, evs = last, nil
	}
	c.reply(subscribedFrame{Type: "subscribed", ID: f.ID, Channel: name, LastSeq: last})

	for {
		if cur, err = c.pushReplayed(s, evs, cur); err != nil {
			h.unsubscribe(s, "error")
			c.sendError(f.ID, err)
			return false
		}
		if len(evs) < limit || cur >= last {
			// Room for the buffered live events (at most half the queue).
			if err := c.waitSpace(c.ctx); err != nil {
				h.unsubscribe(s, "")
				return false
			}
			if s.ch.release(s, cur) {
				return true
			}
		}
		// No time limit on a replay: each page gets its own.
		pctx, cancel := context.WithTimeout(chat.WithPrincipal(c.ctx, c.p), h.cfg.RequestTimeout)
		evs, last, err = h.svc.Events(pctx, name, cur, page)
		cancel()
		limit = page
		if err != nil {
			h.unsubscribe(s, "error")
			c.sendError(f.ID, err)
			return false
		}
	}
}

// pushReplayed queues the events after cur and returns the new cursor.
func (c *conn) pushReplayed(s *subscription, evs []chat.ChannelEvent, cur int64) (int64, error) {
	for _, ev := range evs {
		if ev.Seq <= cur {
			continue
		}
		frame, err := encodeEvent(s.ch.name, ev.Type, ev.Seq, ev.Message)
		if err != nil {
			return cur, chat.Internal(err, "encoding a replayed event")
		}
		c.push(frame)
		cur = ev.Seq
	}
	return cur, nil
}

func (c *conn) handleUnsubscribe(f clientFrame) {
	name, ok := c.channel(f)
	if !ok {
		return
	}
	s := c.takeSub(name)
	if s == nil || name == chat.UserChannel(c.p.UserID) {
		if s != nil {
			_ = c.addSub(name, s) // the own user channel stays
		}
		c.sendError(f.ID, chat.Errorf(chat.ENotFound, "not subscribed to %s", name))
		return
	}
	c.h.unsubscribe(s, "")
	c.reply(unsubscribedFrame{Type: "unsubscribed", ID: f.ID, Channel: name, Reason: unsubClient})
}

func (c *conn) handlePublish(ctx context.Context, f clientFrame) {
	name, ok := c.channel(f)
	if !ok {
		return
	}
	in := chat.PublishInput{Channel: name, Body: f.Body, ClientMsgID: f.ClientMsgID,
		ReplyToID: f.ReplyToID, AttachmentIDs: f.AttachmentIDs, Mentions: f.Mentions}
	start := time.Now()
	msg, dup, err := c.h.svc.PublishDedup(ctx, in)
	c.h.m.publishLatency.Observe(time.Since(start).Seconds())
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	// Committed (and handed to the broker) but not acknowledged: a node
	// dying here leaves the client to retry with the same client_msg_id.
	failpoint("publish-after-commit")
	c.reply(ackFrame{Type: "ack", ID: f.ID, MessageID: msg.ID, Seq: msg.Seq, Duplicate: dup, Message: &msg})
}

func (c *conn) withMessage(f clientFrame, do func() (chat.Message, error)) {
	msg, err := do()
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	c.reply(ackFrame{Type: "ack", ID: f.ID, MessageID: msg.ID, Seq: msg.Seq, Message: &msg})
}

func (c *conn) handleHistory(ctx context.Context, f clientFrame) {
	name, ok := c.channel(f)
	if !ok {
		return
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultHistoryLimit
	}
	limit = min(limit, maxHistoryLimit)
	msgs, err := c.h.svc.History(ctx, name, f.BeforeSeq, limit)
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	if msgs == nil {
		msgs = []chat.Message{}
	}
	c.reply(historyFrame{Type: "history", ID: f.ID, Channel: name, Messages: msgs})
}

// handleTyping throttles typing frames (at most one per TypingInterval per
// channel and connection; extra ones are acknowledged and dropped) and lets
// the service authorize and publish the ephemeral typing event.
func (c *conn) handleTyping(ctx context.Context, f clientFrame) {
	name, ok := c.channel(f)
	if !ok {
		return
	}
	now := time.Now()
	if last, ok := c.typingAt[name]; ok && now.Sub(last) < c.h.cfg.TypingInterval {
		c.reply(ackFrame{Type: "ack", ID: f.ID})
		return
	}
	if err := c.h.svc.Typing(ctx, name); err != nil {
		c.sendError(f.ID, err)
		return
	}
	if c.typingAt == nil {
		c.typingAt = make(map[chat.Channel]time.Time)
	} else if len(c.typingAt) > 2*c.h.cfg.MaxSubscriptions {
		clear(c.typingAt)
	}
	c.typingAt[name] = now
	c.reply(ackFrame{Type: "ack", ID: f.ID})
}

func (c *conn) handleRead(ctx context.Context, f clientFrame) {
	name, ok := c.channel(f)
	if !ok {
		return
	}
	seq, err := c.h.svc.MarkRead(ctx, name, f.Seq)
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	c.reply(ackFrame{Type: "ack", ID: f.ID, Seq: seq})
}

func (c *conn) handlePresence(ctx context.Context, f clientFrame) {
	if len(f.UserIDs) == 0 || len(f.UserIDs) > maxPresenceUsers {
		c.sendError(f.ID, chat.Errorf(chat.EInvalid, "user_ids must list 1 to %d users", maxPresenceUsers))
		return
	}
	// Only users the caller may know about (the company rule) are looked
	// up; the others answer offline.
	visible, err := c.h.svc.VisibleUsers(ctx, f.UserIDs)
	if err != nil {
		c.sendError(f.ID, err)
		return
	}
	online := map[int64]bool{}
	if len(visible) > 0 {
		if online, err = c.h.presence.OnlineMany(ctx, c.p.TenantID, visible); err != nil {
			c.sendError(f.ID, err)
			return
		}
	}
	users := make([]presenceUser, 0, len(f.UserIDs))
	for _, id := range f.UserIDs {
		users = append(users, presenceUser{UserID: id, Online: online[id] && slices.Contains(visible, id)})
	}
	c.reply(presenceFrame{Type: "presence", ID: f.ID, Users: users})
}
