package hub

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/chat"
)

func TestHelloAndUserChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("s1", 1, 7)
	c := e.dial("s1")
	hello := c.nextType("hello")
	if hello.ConnID == "" {
		t.Fatalf("hello without conn id: %+v", hello)
	}
	sub := c.nextType("subscribed")
	if sub.Channel != "user:7" {
		t.Fatalf("auto subscription: %+v", sub)
	}
	c.send(map[string]any{"type": "ping", "id": 5})
	if f := c.nextType("pong"); string(f.ID) != "5" {
		t.Fatalf("pong id %s", f.ID)
	}
	// Events on the own user channel arrive.
	if err := e.hub.Publish(context.Background(), chat.Event{Channel: chat.UserChannel(7), Type: chat.EventNotification, Data: map[string]int{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	if f := c.nextType("event"); f.Channel != "user:7" || f.Event != "notification" || string(f.Data) != `{"n":1}` {
		t.Fatalf("user event: %+v", f)
	}
}

func TestUnauthenticatedIsRefusedBeforeUpgrade(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	_, resp, err := e.dialWith("nope", dialOptions{})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401, got %v %v", err, resp)
	}
}

func TestOriginIsChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.OriginPatterns = []string{"chat.example.com"} })
	e.svc.addSession("s1", 1, 1)
	_, resp, err := e.dialWith("s1", dialOptions{header: http.Header{"Origin": {"https://evil.example.org"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: want 403, got %v %v", err, resp)
	}
	c, _, err := e.dialWith("s1", dialOptions{header: http.Header{"Origin": {"https://chat.example.com"}}})
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	c.nextType("hello")
}

func TestUnsupportedVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("s1", 1, 1)
	resp, err := http.Get(e.srv.URL + "/ws?v=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("v=2: status %d", resp.StatusCode)
	}
}

// N clients x M messages: everyone gets everything, in order, once.
func TestFanoutEveryoneGetsEverythingInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	const n, m = 5, 40
	clients := e.subscribers(n, "topic:1")
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for j := range m {
				id := fmt.Sprintf("p%d", j)
				if f := c.publish(id, "topic:1", fmt.Sprintf("hello %d/%d", i, j), fmt.Sprintf("c%d-%d", i, j)); f.Type != "ack" {
					t.Errorf("publish: %+v", f)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, c := range clients {
		checkContiguous(t, fmt.Sprint("client ", i), c.messageSeqs("topic:1", n*m), 1, n*m)
	}
}

// A client reconnecting mid-stream with since misses nothing and sees
// nothing twice.
func TestReconnectWithSinceMissesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.ReplayPageSize = 7 })
	e.svc.addSession("pub", 1, 1)
	e.svc.addSession("sub", 1, 2)
	const total = 300
	publisher := e.dial("pub")
	reader := e.dial("sub")
	reader.subscribe("s", "topic:9", nil)

	done := publisher.publishInBackground("topic:9", total)
	first := reader.messageSeqs("topic:9", 60)
	checkContiguous(t, "before reconnect", first, 1, 60)
	reader.ws.Close(websocket.StatusNormalClosure, "")

	reader = e.dial("sub")
	f := reader.subscribe("s2", "topic:9", ptr(int64(60)))
	if f.LastSeq < 60 {
		t.Fatalf("subscribed last_seq %d", f.LastSeq)
	}
	rest := reader.messageSeqs("topic:9", total)
	checkContiguous(t, "after reconnect", rest, 61, total)
	<-done
}

func TestSubscribeWithSinceReplaysInPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.ReplayPageSize = 3 })
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	for j := range 10 {
		a.publish(fmt.Sprint("p", j), "topic:3", "x", "")
	}
	b := e.dial("a")
	if f := b.subscribe("s", "topic:3", ptr(int64(2))); f.LastSeq != 10 {
		t.Fatalf("last_seq %d", f.LastSeq)
	}
	checkContiguous(t, "replay", b.messageSeqs("topic:3", 10), 3, 10)
	// Live events continue after the replay.
	a.publish("p11", "topic:3", "x", "")
	checkContiguous(t, "live", b.messageSeqs("topic:3", 11), 11, 11)
}

func TestReloadWhenSinceAheadOrTooFar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.MaxReplay = 5 })
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	for j := range 10 {
		a.publish(fmt.Sprint("p", j), "topic:4", "x", "")
	}
	b := e.dial("a")
	b.send(map[string]any{"type": "subscribe", "id": "s", "channel": "topic:4", "since": 50})
	if f := b.nextType("reload"); f.Reason != reloadAhead || f.LastSeq != 10 || f.Channel != "topic:4" {
		t.Fatalf("reload: %+v", f)
	}
	b.answer("s")
	c := e.dial("a")
	c.send(map[string]any{"type": "subscribe", "id": "s", "channel": "topic:4", "since": 1})
	if f := c.nextType("reload"); f.Reason != reloadTooFar {
		t.Fatalf("reload: %+v", f)
	}
	// Still subscribed live from the last seq.
	a.publish("p11", "topic:4", "x", "")
	checkContiguous(t, "live after reload", c.messageSeqs("topic:4", 11), 11, 11)
}

func TestRetriedPublishAcksTheSameMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.subscribe("s", "topic:5", nil)
	first := a.publish("1", "topic:5", "hi", "client-1")
	second := a.publish("2", "topic:5", "hi", "client-1")
	if first.Type != "ack" || second.Type != "ack" || first.MessageID != second.MessageID || first.Seq != second.Seq {
		t.Fatalf("acks differ: %+v / %+v", first, second)
	}
	if first.Duplicate || !second.Duplicate {
		t.Fatalf("duplicate flags: first %v second %v", first.Duplicate, second.Duplicate)
	}
	a.publish("3", "topic:5", "next", "client-2")
	checkContiguous(t, "one event per message", a.messageSeqs("topic:5", 2), 1, 2)
}

func TestServiceErrorsBecomeErrorFrames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	e.svc.deny(chat.TopicChannel(66))
	a := e.dial("a")
	a.send(map[string]any{"type": "subscribe", "id": "1", "channel": "topic:66"})
	if f := a.answer("1"); f.Type != "error" || f.Code != chat.ENotFound {
		t.Fatalf("denied subscribe: %+v", f)
	}
	a.send(map[string]any{"type": "subscribe", "id": "2", "channel": "nonsense"})
	if f := a.answer("2"); f.Type != "error" || f.Code != chat.EInvalid {
		t.Fatalf("bad channel: %+v", f)
	}
	a.send(map[string]any{"type": "publish", "id": "3", "channel": "topic:1", "body": ""})
	if f := a.answer("3"); f.Type != "error" || f.Code != chat.EInvalid {
		t.Fatalf("empty body: %+v", f)
	}
	a.send(map[string]any{"type": "subscribe", "id": "4", "channel": "user:2"})
	if f := a.answer("4"); f.Type != "error" || f.Code != chat.ENotFound {
		t.Fatalf("other user's channel: %+v", f)
	}
	a.send(map[string]any{"type": "launch", "id": "5"})
	if f := a.answer("5"); f.Type != "error" || f.Code != codeBadFrame {
		t.Fatalf("unknown type: %+v", f)
	}
	a.sendRaw([]byte(`{not json`))
	if f := a.nextType("error"); f.Code != codeBadFrame {
		t.Fatalf("bad json: %+v", f)
	}
	a.subscribe("6", "topic:1", nil)
	a.send(map[string]any{"type": "subscribe", "id": "7", "channel": "topic:1"})
	if f := a.answer("7"); f.Type != "error" || f.Code != chat.EConflict {
		t.Fatalf("double subscribe: %+v", f)
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.subscribe("s", "topic:8", nil)
	ack := a.publish("p", "topic:8", "first", "c1")
	a.publish("p2", "topic:8", "second", "c2")

	a.send(map[string]any{"type": "edit", "id": "e", "message_id": ack.MessageID, "body": "edited"})
	if f := a.answer("e"); f.Type != "ack" || f.MessageID != ack.MessageID {
		t.Fatalf("edit: %+v", f)
	}
	if f := a.next("edited event", func(f frame) bool { return f.Event == "message.edited" }); f.Seq != 3 {
		t.Fatalf("edited event: %+v", f)
	}
	a.send(map[string]any{"type": "delete", "id": "d", "message_id": ack.MessageID})
	if f := a.answer("d"); f.Type != "ack" {
		t.Fatalf("delete: %+v", f)
	}
	a.send(map[string]any{"type": "history", "id": "h", "channel": "topic:8", "limit": 10})
	if f := a.answer("h"); f.Type != "history" || len(f.Messages) != 2 || f.Messages[0].Body != "second" {
		t.Fatalf("history: %+v", f)
	}
	a.send(map[string]any{"type": "read", "id": "r", "channel": "topic:8", "seq": 2})
	if f := a.answer("r"); f.Type != "ack" || f.Seq != 2 {
		t.Fatalf("read: %+v", f)
	}
	if f := a.next("read event", func(f frame) bool { return f.Event == "read" }); f.Channel != "user:1" {
		t.Fatalf("read event: %+v", f)
	}
	a.send(map[string]any{"type": "typing", "id": "t", "channel": "topic:8"})
	if f := a.answer("t"); f.Type != "ack" {
		t.Fatalf("typing: %+v", f)
	}
	if f := a.next("typing event", func(f frame) bool { return f.Event == "typing" }); f.Seq != 0 {
		t.Fatalf("typing event: %+v", f)
	}
	a.send(map[string]any{"type": "presence", "id": "o", "user_ids": []int64{1, 2}})
	if f := a.answer("o"); f.Type != "presence" || len(f.Users) != 2 || !f.Users[0].Online || f.Users[1].Online {
		t.Fatalf("presence: %+v", f)
	}
	a.send(map[string]any{"type": "unsubscribe", "id": "u", "channel": "topic:8"})
	if f := a.answer("u"); f.Type != "unsubscribed" || f.Reason != unsubClient {
		t.Fatalf("unsubscribe: %+v", f)
	}
	a.send(map[string]any{"type": "unsubscribe", "id": "u2", "channel": "topic:8"})
	if f := a.answer("u2"); f.Type != "error" || f.Code != chat.ENotFound {
		t.Fatalf("unsubscribe again: %+v", f)
	}
}

// The presence frame answers only through the service's VisibleUsers: a
// user the caller may not know about (another company under the company
// rule) answers offline even when connected.
func TestPresenceFrameHidesInvisibleUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	e.svc.addSession("b", 1, 2)
	e.svc.addSession("c", 1, 3)
	a := e.dial("a")
	e.dial("b")
	e.dial("c")
	eventually(t, "users 2 and 3 online", func() bool {
		on, _ := e.hub.presence.OnlineMany(context.Background(), 1, []int64{2, 3})
		return on[2] && on[3]
	})
	e.svc.hide(3)
	a.send(map[string]any{"type": "presence", "id": "p", "user_ids": []int64{2, 3}})
	f := a.answer("p")
	if f.Type != "presence" || len(f.Users) != 2 || !f.Users[0].Online || f.Users[1].Online {
		t.Fatalf("presence: %+v", f)
	}
}

func TestPresenceFollowsConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	e.svc.addSession("b", 1, 2)
	watcher := e.dial("a")
	watcher.subscribe("s", "topic:1", nil)
	b := e.dial("b")
	b.subscribe("s", "topic:1", nil)
	if f := watcher.next("online event", func(f frame) bool { return f.Event == "presence" && !strings.Contains(string(f.Data), `"user_id":1,`) }); string(f.Data) != `{"user_id":2,"online":true}` {
		t.Fatalf("online: %s", f.Data)
	}
	if ok, _ := e.hub.presence.Online(context.Background(), 1, 2); !ok {
		t.Fatal("user 2 should be online")
	}
	b.ws.Close(websocket.StatusNormalClosure, "")
	if f := watcher.next("offline event", func(f frame) bool { return f.Event == "presence" && !strings.Contains(string(f.Data), `"user_id":1,`) }); string(f.Data) != `{"user_id":2,"online":false}` {
		t.Fatalf("offline: %s", f.Data)
	}
	if ok, _ := e.hub.presence.Online(context.Background(), 1, 2); ok {
		t.Fatal("user 2 should be offline")
	}
}

// A slow reader is cut off as a slow consumer without slowing the others.
func TestSlowConsumerIsCutOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) {
		c.SendQueueBytes = 32 << 10
		// Long enough that a starved -race run still has the client
		// reading before the blocked write gives up.
		c.WriteTimeout = 20 * time.Second
	})
	e.svc.addSession("fast", 1, 1)
	e.svc.addSession("slow", 1, 2)
	fast := e.dial("fast")
	fast.subscribe("s", "topic:1", nil)
	slow, _, err := e.dialWith("slow", dialOptions{rcvBuf: 4096, noReader: true})
	if err != nil {
		t.Fatal(err)
	}
	// The slow client subscribes and then reads nothing until it is cut off.
	slow.send(map[string]any{"type": "subscribe", "channel": "topic:1"})
	eventually(t, "slow subscription", func() bool { return metricValue(e.hub.m.subscriptions) == 4 })

	body := strings.Repeat("x", 4000)
	published := int64(0)
	for metricValue(e.hub.m.slowConsumers) == 0 {
		if published > 5000 {
			t.Fatal("slow consumer never cut off")
		}
		published++
		if f := fast.publish(fmt.Sprint("p", published), "topic:1", body, ""); f.Type != "ack" {
			t.Fatalf("publish: %+v", f)
		}
	}
	// Reading now, the slow client finds the close code after its backlog.
	// It must start at once: the server's write of the backlog is still
	// blocked on the full socket, and if it times out first the socket is
	// dropped without a close frame (the code can only reach a client that
	// reads eventually).
	slowEnd := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		for {
			if _, _, err := slow.ws.Read(ctx); err != nil {
				slowEnd <- err
				return
			}
		}
	}()
	fast.publish("last", "topic:1", "after", "")
	published++
	checkContiguous(t, "fast reader", fast.messageSeqs("topic:1", published), 1, published)
	if err := <-slowEnd; websocket.CloseStatus(err) != CloseSlowConsumer {
		t.Fatalf("slow client: close code %d (%v), want %d", websocket.CloseStatus(err), err, CloseSlowConsumer)
	}
}

func TestSessionRevokedEventClosesOnlyThatSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("s1", 1, 1)
	e.svc.addSession("s2", 1, 1)
	c1 := e.dial("s1")
	c2 := e.dial("s2")
	c1.nextType("subscribed")
	c2.nextType("subscribed")
	e.svc.revoke("s1")
	if err := e.hub.Publish(context.Background(), chat.Event{Channel: chat.UserChannel(1), Type: chat.EventRevoked, SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if f := c1.nextType("event"); f.Event != string(chat.EventRevoked) {
		t.Fatalf("c1 got %+v", f)
	}
	if code := c1.closed(); code != CloseAuthRevoked {
		t.Fatalf("close code %d, want %d", code, CloseAuthRevoked)
	}
	c2.send(map[string]any{"type": "ping", "id": "x"})
	c2.nextType("pong")
	// Without a session id every socket of the user closes.
	if err := e.hub.Publish(context.Background(), chat.Event{Channel: chat.UserChannel(1), Type: chat.EventRevoked}); err != nil {
		t.Fatal(err)
	}
	if code := c2.closed(); code != CloseAuthRevoked {
		t.Fatalf("close code %d, want %d", code, CloseAuthRevoked)
	}
}

func TestSessionRecheckClosesRevokedSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.SessionRecheck = 20 * time.Millisecond })
	e.svc.addSession("s1", 1, 1)
	c := e.dial("s1")
	c.nextType("subscribed")
	e.svc.revoke("s1") // and the revocation event is lost
	if code := c.closed(); code != CloseAuthRevoked {
		t.Fatalf("close code %d, want %d", code, CloseAuthRevoked)
	}
}

func TestAccessRevokedAndTopicRemovedUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.subscribe("1", "topic:1", nil)
	a.subscribe("2", "topic:2", nil)
	ctx := context.Background()
	if err := e.hub.Publish(ctx, chat.Event{Channel: chat.UserChannel(1), Type: chat.EventAccessRevoked,
		Data: map[string]any{"channels": []chat.Channel{chat.TopicChannel(1)}}}); err != nil {
		t.Fatal(err)
	}
	if f := a.nextType("unsubscribed"); f.Channel != "topic:1" || f.Reason != unsubRevoked {
		t.Fatalf("access revoked: %+v", f)
	}
	if err := e.hub.Publish(ctx, chat.Event{Channel: chat.TopicChannel(2), Type: chat.EventTopicRemoved, Data: map[string]int{"id": 2}}); err != nil {
		t.Fatal(err)
	}
	a.next("topic removed event", func(f frame) bool { return f.Event == string(chat.EventTopicRemoved) && f.Channel == "topic:2" })
	if f := a.nextType("unsubscribed"); f.Channel != "topic:2" || f.Reason != unsubRemoved {
		t.Fatalf("topic removed: %+v", f)
	}
	// No longer subscribed to either: new messages do not arrive.
	e.svc.addSession("b", 1, 2)
	b := e.dial("b")
	b.publish("x", "topic:1", "hidden", "")
	a.send(map[string]any{"type": "ping", "id": "p"})
	if f := a.next("pong", func(f frame) bool { return f.Type == "pong" || f.Event == "message.new" }); f.Type != "pong" {
		t.Fatalf("after unsubscribe got %+v", f)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// A token comes back every 1000 s: however slowly a loaded machine
	// handles the batches, no refill lets a frame through or resets the
	// strikes between them.
	e := newEnv(t, nil, nil, func(c *Config) {
		c.RateLimit, c.RateBurst, c.RateLimitStrikes = 0.001, 3, 10
	})
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.nextType("subscribed")
	var batch []string
	for i := range 5 {
		batch = append(batch, fmt.Sprintf(`{"type":"ping","id":%d}`, i))
	}
	a.sendRaw([]byte(strings.Join(batch, "\n")))
	if f := a.nextType("error"); f.Code != codeRateLimited {
		t.Fatalf("want rate_limited, got %+v", f)
	}
	batch = batch[:0]
	for i := range 20 {
		batch = append(batch, fmt.Sprintf(`{"type":"ping","id":%d}`, i))
	}
	a.sendRaw([]byte(strings.Join(batch, "\n")))
	if code := a.closed(); code != CloseRateLimited {
		t.Fatalf("close code %d, want %d", code, CloseRateLimited)
	}
}

func TestReadLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.ReadLimit = 1024 })
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.nextType("subscribed")
	a.send(map[string]any{"type": "publish", "channel": "topic:1", "body": strings.Repeat("x", 2000)})
	if code := a.closed(); code != CloseMessageTooBig {
		t.Fatalf("close code %d, want %d", code, CloseMessageTooBig)
	}
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.subscribe("s", "topic:1", nil)
	if err := e.hub.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := a.closed(); code != CloseGoingAway {
		t.Fatalf("close code %d, want %d", code, CloseGoingAway)
	}
	if metricValue(e.hub.m.connections) != 0 || metricValue(e.hub.m.subscriptions) != 0 {
		t.Fatal("gauges not back to zero")
	}
	_, resp, err := e.dialWith("a", dialOptions{})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v %v", err, resp)
	}
	if err := e.hub.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
