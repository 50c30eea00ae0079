package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"parley/chat"
)

// fakeService is an in-memory chat.Service stand-in: sessions, sequenced
// channels with idempotent publish, and publishing after "commit" through
// the hub. Pure logic, no storage.
type fakeService struct {
	mu       sync.Mutex
	sessions map[string]*chat.Principal
	channels map[chat.Channel]*fakeChannel
	byClient map[string]chat.Message // author/client_msg_id
	nextID   int64
	// denied lists channels every principal is refused.
	denied map[chat.Channel]bool
	// hidden lists users no principal may see the presence of.
	hidden map[int64]bool

	pub         chat.Publisher
	resyncCalls atomic.Int64
	eventsCalls atomic.Int64
}

type fakeChannel struct {
	events []chat.ChannelEvent // events[i].Seq == i+1
	msgs   map[int64]*chat.Message
}

func newFakeService() *fakeService {
	return &fakeService{
		sessions: make(map[string]*chat.Principal),
		channels: make(map[chat.Channel]*fakeChannel),
		byClient: make(map[string]chat.Message),
		denied:   make(map[chat.Channel]bool),
		hidden:   make(map[int64]bool),
	}
}

func (s *fakeService) addSession(sid string, tenantID, userID int64) *chat.Principal {
	p := &chat.Principal{TenantID: tenantID, UserID: userID, SessionID: sid, Name: "user"}
	s.mu.Lock()
	s.sessions[sid] = p
	s.mu.Unlock()
	return p
}

func (s *fakeService) revoke(sid string) {
	s.mu.Lock()
	delete(s.sessions, sid)
	s.mu.Unlock()
}

func (s *fakeService) deny(ch chat.Channel) {
	s.mu.Lock()
	s.denied[ch] = true
	s.mu.Unlock()
}

func (s *fakeService) channel(ch chat.Channel) *fakeChannel {
	c := s.channels[ch]
	if c == nil {
		c = &fakeChannel{msgs: make(map[int64]*chat.Message)}
		s.channels[ch] = c
	}
	return c
}

func (s *fakeService) lastSeq(ch chat.Channel) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.channel(ch).events))
}

// Authenticate finds a session's principal, for the hub's upgrade
// (Config.Authenticate).
func (s *fakeService) Authenticate(ctx context.Context, sessionID string) (*chat.Principal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.sessions[sessionID]
	if !ok {
		return nil, chat.Errorf(chat.EUnauthenticated, "session expired")
	}
	return p, nil
}

func (s *fakeService) SessionsAlive(ctx context.Context, ids []string) (map[string]int64, error) {
	if len(ids) > SessionBatch {
		return nil, chat.Errorf(chat.EInvalid, "at most %d sessions per call", SessionBatch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	alive := make(map[string]int64, len(ids))
	for _, id := range ids {
		if p, ok := s.sessions[id]; ok {
			alive[id] = p.UserID
		}
	}
	return alive, nil
}

func (s *fakeService) Authorize(ctx context.Context, ch chat.Channel) error {
	p := chat.PrincipalFrom(ctx)
	if p == nil {
		return chat.Errorf(chat.EUnauthenticated, "login required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.denied[ch] || (ch.Kind == chat.KindUser && ch.ID != p.UserID) {
		return chat.NotFound("channel")
	}
	return nil
}

// PublishDedup stores the message under the lock (the "transaction"),
// then publishes after it, like the real service; a retried ClientMsgID
// gets the original message back as a duplicate.
func (s *fakeService) PublishDedup(ctx context.Context, in chat.PublishInput) (chat.Message, bool, error) {
	if err := s.Authorize(ctx, in.Channel); err != nil {
		return chat.Message{}, false, err
	}
	if in.Body == "" {
		return chat.Message{}, false, chat.Errorf(chat.EInvalid, "body is required")
	}
	p := chat.PrincipalFrom(ctx)
	key := fmt.Sprintf("%d/%s", p.UserID, in.ClientMsgID)
	s.mu.Lock()
	if m, ok := s.byClient[key]; ok && in.ClientMsgID != "" {
		s.mu.Unlock()
		return m, true, nil
	}
	c := s.channel(in.Channel)
	s.nextID++
	m := chat.Message{ID: s.nextID, TenantID: p.TenantID, Channel: in.Channel, Seq: int64(len(c.events) + 1),
		AuthorID: p.UserID, ClientMsgID: in.ClientMsgID, Kind: chat.MessageText, Body: in.Body,
		CreatedAt: time.Now()}
	c.events = append(c.events, chat.ChannelEvent{Seq: m.Seq, Type: chat.EventMessageNew, Message: m})
	c.msgs[m.ID] = &m
	if in.ClientMsgID != "" {
		s.byClient[key] = m
	}
	pub := s.pub
	s.mu.Unlock()
	if pub != nil {
		_ = pub.Publish(context.WithoutCancel(ctx), chat.Event{Channel: m.Channel, Type: chat.EventMessageNew, Seq: m.Seq, Data: m})
	}
	return m, false, nil
}

func (s *fakeService) change(ctx context.Context, id int64, typ chat.EventType, body string) (chat.Message, error) {
	s.mu.Lock()
	var found *chat.Message
	var fc *fakeChannel
	for _, c := range s.channels {
		if m, ok := c.msgs[id]; ok {
			found, fc = m, c
		}
	}
	if found == nil {
		s.mu.Unlock()
		return chat.Message{}, chat.NotFound("message")
	}
	found.Body = body
	m := *found
	seq := int64(len(fc.events) + 1)
	fc.events = append(fc.events, chat.ChannelEvent{Seq: seq, Type: typ, Message: m})
	pub := s.pub
	s.mu.Unlock()
	if pub != nil {
		_ = pub.Publish(context.WithoutCancel(ctx), chat.Event{Channel: m.Channel, Type: typ, Seq: seq, Data: m})
	}
	return m, nil
}

func (s *fakeService) EditMessage(ctx context.Context, id int64, body string) (chat.Message, error) {
	return s.change(ctx, id, chat.EventMessageEdited, body)
}

func (s *fakeService) DeleteMessage(ctx context.Context, id int64) (chat.Message, error) {
	return s.change(ctx, id, chat.EventMessageDeleted, "")
}

func (s *fakeService) React(ctx context.Context, id int64, emoji string, add bool) (chat.Message, error) {
	s.mu.Lock()
	var body string
	for _, c := range s.channels {
		if m, ok := c.msgs[id]; ok {
			body = m.Body
		}
	}
	s.mu.Unlock()
	return s.change(ctx, id, chat.EventMessageReacted, body)
}

func (s *fakeService) Events(ctx context.Context, ch chat.Channel, since int64, limit int) ([]chat.ChannelEvent, int64, error) {
	s.eventsCalls.Add(1)
	if err := s.Authorize(ctx, ch); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channel(ch)
	return s.since(c, since, limit), int64(len(c.events)), nil
}

func (s *fakeService) since(c *fakeChannel, since int64, limit int) []chat.ChannelEvent {
	since = max(since, 0)
	if since >= int64(len(c.events)) {
		return nil
	}
	end := min(int64(len(c.events)), since+int64(limit))
	return append([]chat.ChannelEvent(nil), c.events[since:end]...)
}

func (s *fakeService) ResyncEvents(ctx context.Context, tenantID int64, ch chat.Channel, since int64, limit int) ([]chat.ChannelEvent, error) {
	s.resyncCalls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.since(s.channel(ch), since, limit), nil
}

func (s *fakeService) CatchUpEvents(ctx context.Context, tenantID int64, cursors []chat.ChannelCursor, limit int) ([]chat.ChannelEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chat.ChannelEvent
	for _, c := range cursors {
		out = append(out, s.since(s.channel(c.Channel), c.Seq, limit)...)
	}
	return out, nil
}

// The fake has no other nodes: nobody is ever cut off from the broker.
func (s *fakeService) ReportBrokerDown(context.Context, string, time.Duration) error { return nil }
func (s *fakeService) ReportBrokerUp(context.Context, string) error                  { return nil }
func (s *fakeService) BrokerOutages(context.Context) ([]string, error)               { return nil, nil }

func (s *fakeService) History(ctx context.Context, ch chat.Channel, beforeSeq int64, limit int) ([]chat.Message, error) {
	if err := s.Authorize(ctx, ch); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channel(ch)
	var out []chat.Message
	for i := len(c.events) - 1; i >= 0 && len(out) < limit; i-- {
		ev := c.events[i]
		if ev.Type == chat.EventMessageNew && (beforeSeq == 0 || ev.Seq < beforeSeq) {
			out = append(out, *c.msgs[ev.Message.ID])
		}
	}
	return out, nil
}

func (s *fakeService) MarkRead(ctx context.Context, ch chat.Channel, seq int64) (int64, error) {
	if err := s.Authorize(ctx, ch); err != nil {
		return 0, err
	}
	p := chat.PrincipalFrom(ctx)
	stored := min(seq, s.lastSeq(ch))
	if s.pub != nil {
		_ = s.pub.Publish(ctx, chat.Event{Channel: chat.UserChannel(p.UserID), Type: chat.EventRead,
			Data: chat.ReadState{Channel: ch, UserID: p.UserID, Seq: stored}})
	}
	return stored, nil
}

func (s *fakeService) Typing(ctx context.Context, ch chat.Channel) error {
	if err := s.Authorize(ctx, ch); err != nil {
		return err
	}
	p := chat.PrincipalFrom(ctx)
	return s.pub.Publish(ctx, chat.Event{Channel: ch, Type: chat.EventTyping,
		Data: map[string]any{"channel": ch, "user_id": p.UserID, "name": p.Name}})
}

func (s *fakeService) hide(userID int64) {
	s.mu.Lock()
	s.hidden[userID] = true
	s.mu.Unlock()
}

func (s *fakeService) VisibleUsers(ctx context.Context, ids []int64) ([]int64, error) {
	if chat.PrincipalFrom(ctx) == nil {
		return nil, chat.Errorf(chat.EUnauthenticated, "login required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, id := range ids {
		if !s.hidden[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
