package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/hub"
)

// Every client frame of docs/protocol.md, sent exactly as documented, gets
// the documented answer; and the documented refusals happen.
func TestOutsideProtocolAsDocumented(t *testing.T) {
	t.Parallel()
	lt := newLiveTopic(t, "sqlite", 2)
	a, b := lt.members[0], lt.members[1]

	// Connecting: 401 without a session, 400 for another version.
	wsURL := "ws" + strings.TrimPrefix(lt.base, "http") + "/ws"
	if _, res, err := websocket.Dial(t.Context(), wsURL, nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no session: %v %v", res, err)
	}
	ck := a.cookie()
	h := http.Header{"Cookie": {ck.Name + "=" + ck.Value}}
	if _, res, err := websocket.Dial(t.Context(), wsURL+"?v=2", &websocket.DialOptions{HTTPHeader: h}); err == nil || res == nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("v=2: %v %v", res, err)
	}

	// hello, then the own user channel's subscribed.
	sa := dialSocket(t, a)
	hello := sa.all()[0]
	var hd struct {
		V              int    `json:"v"`
		ConnID         string `json:"conn_id"`
		UserID         int64  `json:"user_id"`
		UserChannel    string `json:"user_channel"`
		PingIntervalMS int    `json:"ping_interval_ms"`
	}
	if err := json.Unmarshal(hello.Raw, &hd); err != nil || hello.Type != "hello" || hd.V != 1 || hd.ConnID == "" ||
		hd.UserID != lt.memberID[0] || hd.UserChannel != fmt.Sprintf("user:%d", lt.memberID[0]) || hd.PingIntervalMS <= 0 {
		t.Fatalf("hello %s", hello.Raw)
	}
	sa.next("own user channel subscribed", func(f frame) bool {
		return f.Type == "subscribed" && f.Channel == hd.UserChannel && f.LastSeq == 0
	})

	// subscribe, twice, and foreign channels.
	sa.subscribe(lt.channel, 0)
	if f := sa.request(map[string]any{"type": "subscribe", "channel": lt.channel}); f.Type != "error" || f.Code != "conflict" {
		t.Fatalf("second subscribe: %+v", f)
	}
	for ch, code := range map[string]string{fmt.Sprintf("user:%d", lt.memberID[1]): "not_found", "topic:99999": "not_found",
		"conversation:99999": "not_found", "nonsense": "invalid"} {
		if f := sa.request(map[string]any{"type": "subscribe", "channel": ch}); f.Type != "error" || f.Code != code {
			t.Fatalf("subscribe %s: %+v, want %s", ch, f, code)
		}
	}
	sb := dialSocket(t, b)
	sb.subscribe(lt.channel, -1)

	// publish with every documented field, edit, delete.
	first := sa.request(map[string]any{"type": "publish", "channel": lt.channel, "body": "Hello @b", "client_msg_id": "doc-1",
		"mentions": []int64{lt.memberID[1]}})
	if first.Type != "ack" || first.MessageID == 0 || first.Seq != 1 {
		t.Fatalf("publish ack %+v", first)
	}
	reply := sa.request(map[string]any{"type": "publish", "channel": lt.channel, "body": "a reply", "client_msg_id": "doc-2",
		"reply_to_id": first.MessageID})
	if reply.Type != "ack" || reply.Seq != 2 {
		t.Fatalf("reply ack %+v", reply)
	}
	if f := sb.request(map[string]any{"type": "edit", "message_id": first.MessageID, "body": "not mine"}); f.Type != "error" || f.Code != "forbidden" {
		t.Fatalf("editing another's message: %+v", f)
	}
	edit := sa.request(map[string]any{"type": "edit", "message_id": first.MessageID, "body": "Hello, world"})
	if edit.Type != "ack" || edit.MessageID != first.MessageID {
		t.Fatalf("edit ack %+v", edit)
	}
	del := sa.request(map[string]any{"type": "delete", "message_id": reply.MessageID})
	if del.Type != "ack" || del.MessageID != reply.MessageID {
		t.Fatalf("delete ack %+v", del)
	}
	evs := sb.waitEvents(lt.channel, "message.new", 2)
	edited := sb.waitEvents(lt.channel, "message.edited", 1)
	deleted := sb.waitEvents(lt.channel, "message.deleted", 1)
	if edited[0].Seq != 3 || deleted[0].Seq != 4 || evs[1].Seq != 2 {
		t.Fatalf("event seqs new %v edited %d deleted %d, want 1 2 / 3 / 4", seqsOf(evs), edited[0].Seq, deleted[0].Seq)
	}
	if m := edited[0].message(t); m.Body != "Hello, world" || m.Seq != 1 {
		t.Fatalf("edited event data %+v", m)
	}
	if m := deleted[0].message(t); m.Body != "" {
		t.Fatalf("deleted event keeps the body %q", m.Body)
	}

	// history, typing, read, presence, ping, unsubscribe.
	hist := sb.request(map[string]any{"type": "history", "channel": lt.channel, "before_seq": 0, "limit": 50})
	var msgs []wireMessage
	if hist.Type != "history" || json.Unmarshal(hist.Messages, &msgs) != nil || len(msgs) != 2 || msgs[0].Seq != 2 {
		t.Fatalf("history %+v", hist)
	}
	if f := sb.request(map[string]any{"type": "typing", "channel": lt.channel}); f.Type != "ack" {
		t.Fatalf("typing: %+v", f)
	}
	sa.seen("typing event", func(f frame) bool { return f.Type == "event" && f.Event == "typing" && f.Channel == lt.channel })
	if f := sb.request(map[string]any{"type": "read", "channel": lt.channel, "seq": 2}); f.Type != "ack" || f.Seq != 2 {
		t.Fatalf("read: %+v", f)
	}
	pres := sa.request(map[string]any{"type": "presence", "user_ids": []int64{lt.memberID[1]}})
	var users struct {
		Users []struct {
			UserID int64 `json:"user_id"`
			Online bool  `json:"online"`
		} `json:"users"`
	}
	if pres.Type != "presence" || json.Unmarshal(pres.Raw, &users) != nil || len(users.Users) != 1 || !users.Users[0].Online {
		t.Fatalf("presence %s", pres.Raw)
	}
	if f := sa.request(map[string]any{"type": "ping"}); f.Type != "pong" {
		t.Fatalf("ping: %+v", f)
	}
	if f := sa.request(map[string]any{"type": "unsubscribe", "channel": lt.channel}); f.Type != "unsubscribed" || f.Reason != "client" {
		t.Fatalf("unsubscribe: %+v", f)
	}
	if f := sa.request(map[string]any{"type": "unsubscribe", "channel": hd.UserChannel}); f.Type != "error" {
		t.Fatalf("unsubscribing the own user channel: %+v", f)
	}
	if f := sa.request(map[string]any{"type": "frobnicate"}); f.Type != "error" || f.Code != "bad_frame" {
		t.Fatalf("unknown type: %+v", f)
	}
	if f := sa.request(map[string]any{"type": "publish", "channel": lt.channel, "body": strings.Repeat("x", 17<<10), "client_msg_id": "big"}); f.Type != "error" || (f.Code != "too_large" && f.Code != "invalid") {
		t.Fatalf("oversized body: %+v", f)
	}
	// Several frames in one message, newline-delimited, answered in order.
	if err := sa.ws.Write(t.Context(), websocket.MessageText, []byte(`{"type":"ping","id":"x1"}`+"\n"+`{"type":"ping","id":"x2"}`)); err != nil {
		t.Fatal(err)
	}
	sa.next("pong x1", func(f frame) bool { return f.ID == "x1" })
	sa.next("pong x2", func(f frame) bool { return f.ID == "x2" })
	// A client message over 64 KiB closes with 1009.
	_ = sa.ws.Write(t.Context(), websocket.MessageText, []byte(`{"type":"ping","pad":"`+strings.Repeat("x", 70<<10)+`"}`))
	if code := sa.closeStatus(60 * time.Second); code != hub.CloseMessageTooBig {
		t.Fatalf("oversized client message closed with %v", code)
	}
}
