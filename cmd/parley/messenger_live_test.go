package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/chat"
)

// msgrFrame is any server frame, with the fields these tests look at.
type msgrFrame struct {
	Type    string          `json:"type"`
	Channel string          `json:"channel"`
	Event   string          `json:"event"`
	Reason  string          `json:"reason"`
	Code    string          `json:"code"`
	Data    json.RawMessage `json:"data"`
}

// msgrSocket is a logged-in websocket whose frames arrive on a channel.
type msgrSocket struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan msgrFrame
}

func msgrDial(t *testing.T, m *Main, c *client) *msgrSocket {
	t.Helper()
	u, _ := url.Parse(c.base)
	h := http.Header{}
	for _, ck := range c.http.Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	s := &msgrSocket{t: t, ws: ws, frames: make(chan msgrFrame, 256)}
	stop := make(chan struct{})
	var done sync.WaitGroup
	done.Go(func() {
		defer close(s.frames)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			// The server may batch frames in one message, one per line.
			for line := range strings.SplitSeq(string(b), "\n") {
				var f msgrFrame
				if json.Unmarshal([]byte(line), &f) != nil {
					continue
				}
				select {
				case s.frames <- f:
				case <-stop:
					return
				}
			}
		}
	})
	t.Cleanup(func() {
		close(stop)
		_ = ws.CloseNow()
		done.Wait()
	})
	s.await("hello", liveWait, func(f msgrFrame) bool { return f.Type == "hello" })
	return s
}

func (s *msgrSocket) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	if err := s.ws.Write(s.t.Context(), websocket.MessageText, b); err != nil {
		s.t.Fatalf("websocket write: %v", err)
	}
}

// liveWait bounds each wait for a frame. What arrives in milliseconds on
// a quiet machine may take seconds when CI runs every package at once
// under -race on two cores; only a frame that never comes fails.
const liveWait = 30 * time.Second

// await returns the first frame matching ok within d, skipping others.
func (s *msgrSocket) await(what string, d time.Duration, ok func(msgrFrame) bool) msgrFrame {
	s.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		select {
		case f, open := <-s.frames:
			if !open {
				s.t.Fatalf("socket closed while waiting for %s", what)
			}
			if ok(f) {
				return f
			}
		case <-deadline.C:
			s.t.Fatalf("no %s within %v", what, d)
		}
	}
}

// TestMessengerLive runs the messenger through the real server and socket:
// deactivating a topic removes it from a connected member within a second
// and rejects further posts; a new member sees the group's topics without
// reconnecting.
func TestMessengerLive(t *testing.T) {
	t.Parallel()
	const pw = "messenger live password"
	cfg := testConfig(t)
	cfg.AdminPassword = pw
	m := NewMain(cfg, testLogger(t), &output{changed: make(chan struct{})})
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	ctx := t.Context()
	op := chat.OperatorContext(ctx)
	admin, _, err := m.store.UserByEmail(ctx, cfg.AdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.Directory.TenantUpdate(op, admin.TenantID, chat.TenantPatch{Settings: &chat.TenantSettings{MessengerEnabled: true}}); err != nil {
		t.Fatal(err)
	}
	roles, err := m.svc.Directory.RoleList(op, admin.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	roleIDs := map[chat.RoleKey]int64{}
	for _, r := range roles {
		roleIDs[r.Key] = r.ID
	}
	user := func(email string, keys ...chat.RoleKey) chat.User {
		t.Helper()
		in := chat.UserInput{Email: email, Name: email, Password: pw}
		for _, k := range keys {
			in.RoleIDs = append(in.RoleIDs, roleIDs[k])
		}
		u, err := m.svc.Directory.UserCreate(op, admin.TenantID, in)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mgr := user("mgr@example.com", chat.RoleMessengerManager, chat.RoleEmployee)
	member := user("member@example.com", chat.RoleEmployee)
	newcomer := user("newcomer@example.com", chat.RoleEmployee)
	as := func(u chat.User) context.Context {
		t.Helper()
		sess, _, err := m.svc.Sessions.Login(ctx, u.Email, pw, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.svc.Sessions.Authenticate(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		return chat.WithPrincipal(ctx, p)
	}
	adminCtx, mgrCtx := as(admin), as(mgr)
	g, err := m.svc.Messenger.CreateGroup(adminCtx, chat.GroupInput{Name: "Payroll", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.Messenger.SetGroupMembers(adminCtx, g.ID, []int64{mgr.ID, member.ID}); err != nil {
		t.Fatal(err)
	}
	closing, err := m.svc.Messenger.CreateTopic(mgrCtx, g.ID, chat.TopicInput{Name: "Closing soon", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	staying, err := m.svc.Messenger.CreateTopic(mgrCtx, g.ID, chat.TopicInput{Name: "Staying", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	closingCh := chat.TopicChannel(closing.ID).String()

	base := "http://" + m.Addr()
	mc, nc := newClient(t, base), newClient(t, base)
	mc.login(member.Email, pw)
	nc.login(newcomer.Email, pw)
	ms, ns := msgrDial(t, m, mc), msgrDial(t, m, nc)

	ms.send(map[string]any{"type": "subscribe", "id": 1, "channel": closingCh})
	ms.await("subscribed", liveWait, func(f msgrFrame) bool { return f.Type == "subscribed" && f.Channel == closingCh })
	ns.send(map[string]any{"type": "subscribe", "id": 1, "channel": closingCh})
	ns.await("not_found for an outsider", liveWait, func(f msgrFrame) bool { return f.Type == "error" && f.Code == chat.ENotFound })

	// Deactivation reaches the connected member live (the issue asks for
	// within a second; it takes milliseconds, logged below). The deadline
	// is wider so that a CPU-starved -race run does not fail on timing.
	deactivated := time.Now()
	if _, err := m.svc.Messenger.UpdateTopic(mgrCtx, closing.ID, chat.TopicInput{Name: closing.Name, Active: false}); err != nil {
		t.Fatal(err)
	}
	ms.await("unsubscribed (removed)", liveWait, func(f msgrFrame) bool {
		return f.Type == "unsubscribed" && f.Channel == closingCh && f.Reason == "removed"
	})
	t.Logf("deactivation reached the member after %v", time.Since(deactivated))
	ms.send(map[string]any{"type": "publish", "id": 2, "channel": closingCh, "body": "still there?", "client_msg_id": "late"})
	ms.await("publish refused", liveWait, func(f msgrFrame) bool { return f.Type == "error" && f.Code == chat.ENotFound })

	// A new member learns of the group on the open socket and subscribes
	// to its topics without reconnecting.
	if _, err := m.svc.Messenger.SetGroupMembers(adminCtx, g.ID, []int64{mgr.ID, member.ID, newcomer.ID}); err != nil {
		t.Fatal(err)
	}
	ns.await("group.changed", liveWait, func(f msgrFrame) bool { return f.Type == "event" && f.Event == string(chat.EventGroup) })
	stayingCh := chat.TopicChannel(staying.ID).String()
	ns.send(map[string]any{"type": "subscribe", "id": 2, "channel": stayingCh})
	ns.await("subscribed", liveWait, func(f msgrFrame) bool { return f.Type == "subscribed" && f.Channel == stayingCh })
	if _, err := m.svc.Messages.Publish(mgrCtx, chat.PublishInput{Channel: chat.TopicChannel(staying.ID), Body: "welcome"}); err != nil {
		t.Fatal(err)
	}
	ns.await("message.new", liveWait, func(f msgrFrame) bool {
		return f.Type == "event" && f.Channel == stayingCh && f.Event == string(chat.EventMessageNew)
	})
}
