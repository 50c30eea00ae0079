package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/hub"
)

// liveTopic is a server with a topic that the members can read and post
// in; members[0] manages it.
type liveTopic struct {
	*outsideServer
	channel  string
	topicID  int64
	members  []*client
	memberID []int64
}

func newLiveTopic(t *testing.T, engine string, members int) *liveTopic {
	t.Helper()
	return newLiveTopicHub(t, engine, members, nil)
}

// newLiveTopicHub is newLiveTopic on a hub configured by hubTweak.
func newLiveTopicHub(t *testing.T, engine string, members int, hubTweak func(*hub.Config)) *liveTopic {
	t.Helper()
	s := startOutsideHub(t, engine, nil, hubTweak)
	lt := &liveTopic{outsideServer: s}
	for i := range members {
		roles := []string{"employee"}
		if i == 0 {
			roles = append(roles, "messenger_manager")
		}
		id, c := s.user(fmt.Sprintf("member%d@example.com", i), roles...)
		lt.members, lt.memberID = append(lt.members, c), append(lt.memberID, id)
	}
	g := s.group("Live", lt.memberID...)
	lt.topicID = s.topic(lt.members[0], g, map[string]any{"name": "Live topic"})
	lt.channel = fmt.Sprintf("topic:%d", lt.topicID)
	return lt
}

// seqsOf returns the frame seqs of events.
func seqsOf(evs []frame) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

// wantSeqs fails unless seqs are exactly from..to in order.
func wantSeqs(t *testing.T, who string, seqs []int64, from, to int64) {
	t.Helper()
	if int64(len(seqs)) != to-from+1 {
		t.Fatalf("%s: %d events, want %d (seqs %v)", who, len(seqs), to-from+1, seqs)
	}
	for i, s := range seqs {
		if s != from+int64(i) {
			t.Fatalf("%s: event %d has seq %d, want %d (seqs %v)", who, i, s, from+int64(i), seqs)
		}
	}
}

func forEngines(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range engines {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// forEnginesSerial runs fn for each engine, one after the other.
func forEnginesSerial(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range engines {
		t.Run(e, func(t *testing.T) { fn(t, e) })
	}
}

// N clients each publish M messages over their sockets at once; every
// client gets all N*M, gap-free, in seq order, each author's in the order
// sent.
func TestOutsideFanOutInOrder(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		const n, perClient = 5, 30
		// The senders pipeline all their publishes, and the hub reads a
		// connection's frames one after the other, so a ping's pong waits
		// behind the unread ones. On a starved -race run that backlog can
		// outlast the pong deadline and the hub drops a healthy client;
		// pings are not under test here, so none is sent.
		lt := newLiveTopicHub(t, engine, n, func(c *hub.Config) { c.PingInterval = time.Hour })
		socks := make([]*socket, n)
		for i, c := range lt.members {
			socks[i] = dialSocket(t, c)
			if f := socks[i].subscribe(lt.channel, 0); f.LastSeq != 0 {
				t.Fatalf("last_seq of a new topic: %d", f.LastSeq)
			}
		}
		var wg sync.WaitGroup
		for i, s := range socks {
			wg.Go(func() {
				// Requests on one connection are answered in order, so the
				// sender fires them all and then collects the acks.
				for k := range perClient {
					s.send(map[string]any{"type": "publish", "id": fmt.Sprintf("p%d", k), "channel": lt.channel,
						"body": fmt.Sprintf("from %d number %d", i, k), "client_msg_id": fmt.Sprintf("c%d-%d", i, k)})
				}
			})
		}
		wg.Wait()
		for i, s := range socks {
			var last int64
			for k := range perClient {
				id := fmt.Sprintf("p%d", k)
				ack := s.next("ack "+id, func(f frame) bool { return f.ID == id })
				if ack.Type != "ack" || ack.Duplicate || ack.Seq <= last || ack.MessageID == 0 {
					t.Fatalf("client %d publish %d: %+v (previous seq %d)", i, k, ack, last)
				}
				if m := ack.message(t); m.ClientMsgID != fmt.Sprintf("c%d-%d", i, k) || m.Seq != ack.Seq {
					t.Fatalf("ack message %+v for %+v", m, ack)
				}
				last = ack.Seq
			}
		}
		total := int64(n * perClient)
		var reference []string
		for i, s := range socks {
			evs := s.waitEvents(lt.channel, "message.new", int(total))
			wantSeqs(t, fmt.Sprintf("client %d", i), seqsOf(evs), 1, total)
			next := make([]int, n) // per author: the next number expected
			var bodies []string
			for _, e := range evs {
				m := e.message(t)
				var from, num int
				if _, err := fmt.Sscanf(m.Body, "from %d number %d", &from, &num); err != nil || num != next[from] {
					t.Fatalf("client %d: %q out of order (expected number %d of author %d)", i, m.Body, next[from], from)
				}
				next[from]++
				if m.Seq != e.Seq {
					t.Fatalf("message seq %d in event seq %d", m.Seq, e.Seq)
				}
				bodies = append(bodies, m.Body)
			}
			if reference == nil {
				reference = bodies
			} else if strings.Join(bodies, "|") != strings.Join(reference, "|") {
				t.Fatalf("client %d saw another order than client 0", i)
			}
		}
		// Nothing more than the N*M arrives.
		for i, s := range socks {
			s.request(map[string]any{"type": "ping"})
			if evs := s.events(lt.channel, "message.new"); int64(len(evs)) != total {
				t.Fatalf("client %d got %d events, want %d", i, len(evs), total)
			}
		}
	})
}

// A client that drops its socket mid-stream and subscribes again with
// since misses nothing and sees nothing twice; since ahead of the channel
// gets reload.
func TestOutsideResumeWithSince(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		lt := newLiveTopic(t, engine, 2)
		pub := dialSocket(t, lt.members[0])
		publish := func(from, to int) {
			for k := from; k < to; k++ {
				ack := pub.request(map[string]any{"type": "publish", "channel": lt.channel, "body": fmt.Sprintf("m%d", k),
					"client_msg_id": fmt.Sprintf("m%d", k)})
				if ack.Type != "ack" {
					t.Errorf("publish %d: %+v", k, ack)
					return
				}
			}
		}
		reader := dialSocket(t, lt.members[1])
		reader.subscribe(lt.channel, -1)
		publish(0, 10)
		first := reader.waitEvents(lt.channel, "message.new", 10)
		wantSeqs(t, "before the drop", seqsOf(first), 1, 10)
		_ = reader.ws.Close(websocket.StatusNormalClosure, "")
		reader.closeStatus(60 * time.Second)

		publish(10, 20) // while the reader is away
		var wg sync.WaitGroup
		wg.Go(func() { publish(20, 30) }) // while it comes back
		again := dialSocket(t, lt.members[1])
		sub := again.subscribe(lt.channel, first[len(first)-1].Seq)
		if sub.LastSeq < 20 {
			t.Fatalf("subscribed last_seq %d, want at least 20", sub.LastSeq)
		}
		wg.Wait()
		rest := again.waitEvents(lt.channel, "message.new", 20)
		again.request(map[string]any{"type": "ping"})
		wantSeqs(t, "after resuming", seqsOf(again.events(lt.channel, "message.new")), 11, 30)
		for i, e := range rest {
			if m := e.message(t); m.Body != fmt.Sprintf("m%d", i+10) {
				t.Fatalf("resumed event %d is %q", i, m.Body)
			}
		}

		// A since ahead of the channel: reload first, then subscribed,
		// then live from last_seq.
		third := dialSocket(t, lt.members[1])
		id := "ahead"
		third.send(map[string]any{"type": "subscribe", "id": id, "channel": lt.channel, "since": 1000})
		reload := third.next("reload", func(f frame) bool {
			return (f.Type == "reload" && f.Channel == lt.channel) || (f.Type == "subscribed" && f.ID == id)
		})
		if reload.Type != "reload" || reload.Reason != "since_ahead" || reload.LastSeq != 30 {
			t.Fatalf("since ahead: %+v, want reload since_ahead with last_seq 30", reload)
		}
		third.next("subscribed", func(f frame) bool { return f.Type == "subscribed" && f.ID == id })
		publish(30, 31)
		wantSeqs(t, "live after reload", seqsOf(third.waitEvents(lt.channel, "message.new", 1)), 31, 31)
	})
}

// A publish retried with the same client_msg_id (same socket, another
// socket, HTTP) is stored once: one history entry, one event.
func TestOutsideRetriedPublishStoredOnce(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		lt := newLiveTopic(t, engine, 2)
		watcher := dialSocket(t, lt.members[1])
		watcher.subscribe(lt.channel, 0)
		author := dialSocket(t, lt.members[0])
		req := map[string]any{"type": "publish", "channel": lt.channel, "body": "only once", "client_msg_id": "retry-1"}
		first := author.request(req)
		if first.Type != "ack" || first.Duplicate || first.Seq != 1 {
			t.Fatalf("first publish: %+v", first)
		}
		again := author.request(req)
		if again.Type != "ack" || !again.Duplicate || again.MessageID != first.MessageID || again.Seq != first.Seq {
			t.Fatalf("retry on the same socket: %+v, first %+v", again, first)
		}
		_ = author.ws.Close(websocket.StatusNormalClosure, "")
		author = dialSocket(t, lt.members[0])
		again = author.request(req)
		if !again.Duplicate || again.MessageID != first.MessageID {
			t.Fatalf("retry after reconnecting: %+v", again)
		}
		res := lt.members[0].do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", lt.topicID),
			map[string]any{"body": "only once", "client_msg_id": "retry-1"})
		var viaHTTP struct{ ID int64 }
		res.decode(t, &viaHTTP)
		if res.status/100 != 2 || viaHTTP.ID != first.MessageID {
			t.Fatalf("retry over HTTP: %d %s", res.status, res.body)
		}
		// Another author may use the same client id: it is per author.
		other := dialSocket(t, lt.members[1])
		if f := other.request(req); f.Duplicate || f.Seq != 2 {
			t.Fatalf("another author's same client id: %+v", f)
		}

		var hist struct {
			Items []struct {
				ID          int64
				ClientMsgID string `json:"client_msg_id"`
			}
		}
		lt.members[1].do("GET", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", lt.topicID), nil).decode(t, &hist)
		if len(hist.Items) != 2 || hist.Items[1].ID != first.MessageID {
			t.Fatalf("history after retries: %+v", hist.Items)
		}
		h := watcher.request(map[string]any{"type": "history", "channel": lt.channel})
		var msgs []wireMessage
		if err := json.Unmarshal(h.Messages, &msgs); err != nil || len(msgs) != 2 {
			t.Fatalf("socket history: %s (%v)", h.Messages, err)
		}
		wantSeqs(t, "watcher", seqsOf(watcher.waitEvents(lt.channel, "message.new", 2)), 1, 2)
		watcher.request(map[string]any{"type": "ping"})
		if n := len(watcher.events(lt.channel, "message.new")); n != 2 {
			t.Fatalf("watcher got %d message events, want 2", n)
		}
	})
}

// A client that reads too slowly is cut off with 4001 while the others
// get every message; it then resumes without loss.
//
// It pushes megabytes through the race detector, so it runs on its own,
// not beside the package's parallel tests, and its engines one after the
// other. What it proves must not depend on how fast the machine is: the
// slow reader is slower than any server, the publishers never run ahead
// of the server, and no deadline of the server's can expire merely
// because a loaded machine starves the test's clients.
func TestOutsideSlowReaderCutOff(t *testing.T) {
	forEnginesSerial(t, func(t *testing.T, engine string) {
		// The write timeout (which also bounds each ping's wait for its
		// pong) is not under test: the slow reader's socket may stay full
		// for many seconds before the cut on a starved machine, and the
		// close code can reach it only if the server is still writing.
		lt := newLiveTopicHub(t, engine, 3, func(c *hub.Config) { c.WriteTimeout = 2 * time.Minute })
		fast := []*socket{dialSocket(t, lt.members[0]), dialSocket(t, lt.members[1])}
		for _, s := range fast {
			s.subscribe(lt.channel, 0)
		}
		// The slow client reads 4 KiB every 250 ms (16 KiB/s, slower than
		// even a starved -race server publishes): it keeps reading, so the
		// server can still tell it why it is cut off.
		// A small receive buffer keeps the backlog in the server's queue,
		// not in the kernel, so the cut comes after a few hundred KiB.
		slow := dialRawBuffered(t, lt.members[2], 16<<10)
		// Live from now: a subscriber that is still replaying from the
		// database is paced by its reads instead.
		subscribe := fmt.Sprintf(`{"type":"subscribe","id":"s","channel":%q}`, lt.channel)
		if err := slow.Write(t.Context(), websocket.MessageText, []byte(subscribe)); err != nil {
			t.Fatal(err)
		}
		for subscribed := false; !subscribed; {
			_, b, err := slow.Read(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			subscribed = strings.Contains(string(b), `"type":"subscribed","id":"s"`)
		}
		slowEnd := make(chan error, 1)
		var drain atomic.Bool // set once the server has cut it off
		go func() {
			chunk := make([]byte, 4<<10)
			for {
				_, r, err := slow.Reader(context.Background())
				for err == nil {
					if !drain.Load() {
						time.Sleep(250 * time.Millisecond) // the slowness under test
					}
					_, err = io.ReadFull(r, chunk)
				}
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					slowEnd <- err
					return
				}
			}
		}()
		t.Cleanup(func() { _ = slow.CloseNow() })

		// Publishers post big messages over their own sockets (each within
		// the per-connection rate limit) until the slow client is cut off.
		// Each waits for its ack before the next publish: the server reads
		// a connection's frames one after the other, and a backlog of
		// publishes it has not read yet would delay the pong behind them
		// until the server drops the publisher as unresponsive.
		body := strings.Repeat("x", 15<<10)
		const publishers, limit = 6, 2000
		var (
			wg     sync.WaitGroup
			cut    = make(chan struct{})
			endErr error
			acked  [publishers]int
			failed [publishers]error
		)
		// The server counts the disconnect at once; the client learns of
		// it only after reading what the kernel still buffers, so once
		// counted it reads at full speed.
		go func() {
			defer close(cut)
			for metric(t, lt.admin, "parley_hub_slow_consumer_disconnects_total") < 1 {
				select {
				case <-t.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
			drain.Store(true)
		}()
		pubs := make([]*socket, publishers)
		for i := range pubs {
			pubs[i] = dialSocket(t, lt.members[0])
		}
		for i, p := range pubs {
			wg.Go(func() {
				tick := time.NewTicker(60 * time.Millisecond)
				defer tick.Stop()
				for k := 0; k < limit/publishers; k++ {
					select {
					case <-cut:
						return
					case <-tick.C:
					}
					id := fmt.Sprintf("big-%d", k)
					if err := p.trySend(map[string]any{"type": "publish", "id": id, "channel": lt.channel,
						"body": body, "client_msg_id": fmt.Sprintf("big-%d-%d", i, k)}); err != nil {
						failed[i] = err
						return
					}
					ack, err := p.tryNext("ack "+id, func(f frame) bool { return f.ID == id })
					if err == nil && ack.Type != "ack" {
						err = fmt.Errorf("publish %d: %+v", k, ack)
					}
					if err != nil {
						failed[i] = err
						return
					}
					acked[i]++
				}
			})
		}
		wg.Wait()
		for i, err := range failed {
			if err != nil {
				t.Fatalf("publisher %d: %v", i, err)
			}
		}
		select {
		case <-cut:
		default:
			t.Fatalf("the slow reader was not cut off after %v messages of 15 KiB", acked)
		}
		select {
		case endErr = <-slowEnd:
		case <-time.After(60 * time.Second):
			t.Fatal("the slow reader's socket is still open after it was cut off")
		}
		posted := 0
		for _, n := range acked {
			posted += n
		}
		if code := websocket.CloseStatus(endErr); code != hub.CloseSlowConsumer {
			t.Fatalf("slow reader ended with %v (%v), want close %d", code, endErr, hub.CloseSlowConsumer)
		}
		if n := metric(t, lt.admin, "parley_hub_slow_consumer_disconnects_total"); n < 1 {
			t.Fatalf("slow consumer disconnects metric: %v", n)
		}
		t.Logf("cut off after %d messages of 15 KiB", posted)
		total := int64(posted)
		for i, s := range fast {
			wantSeqs(t, fmt.Sprintf("fast reader %d", i), seqsOf(s.waitEvents(lt.channel, "message.new", posted)), 1, total)
		}
		// It resumes with since and misses nothing.
		back := dialSocket(t, lt.members[2])
		back.subscribe(lt.channel, 0)
		wantSeqs(t, "slow reader after resuming", seqsOf(back.waitEvents(lt.channel, "message.new", posted)), 1, total)
	})
}

// Revoked sessions lose their sockets at once with 4003: logout of that
// session (other devices stay), logout everywhere, deactivation, a new
// password; the old cookie cannot connect again.
func TestOutsideRevokedSessionSocket(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		// Without the periodic session recheck (a backstop for lost
		// revocation events) only the live path can close the sockets, so
		// the deadline below can be generous without proving less.
		s := startOutsideHub(t, engine, nil, func(c *hub.Config) { c.SessionRecheck = -1 })
		uid, phone := s.user("revoked@example.com", "employee")
		laptop := newClient(t, s.base)
		laptop.login("revoked@example.com", outsidePassword)
		phoneSock, laptopSock := dialSocket(t, phone), dialSocket(t, laptop)

		const within = 60 * time.Second
		expect(t, "logout", phone.do("DELETE", "/api/v1/session", nil), 204, "", "")
		if code := phoneSock.closeStatus(within); code != hub.CloseAuthRevoked {
			t.Fatalf("socket of the logged-out session closed with %v, want %d", code, hub.CloseAuthRevoked)
		}
		if f := laptopSock.request(map[string]any{"type": "ping"}); f.Type != "pong" {
			t.Fatalf("the other device's socket: %+v", f)
		}
		stale := phone.cookie()
		if stale != nil {
			t.Fatalf("logout left the cookie %v", stale)
		}

		// Logout everywhere closes every socket of the user.
		phone.login("revoked@example.com", outsidePassword)
		phoneSock = dialSocket(t, phone)
		expect(t, "logout everywhere", laptop.do("DELETE", "/api/v1/sessions", nil), 204, "", "")
		for name, sock := range map[string]*socket{"laptop": laptopSock, "phone": phoneSock} {
			if code := sock.closeStatus(within); code != hub.CloseAuthRevoked {
				t.Fatalf("%s after logout everywhere: %v", name, code)
			}
		}

		// Deactivation by an admin.
		phone.login("revoked@example.com", outsidePassword)
		phoneSock = dialSocket(t, phone)
		cookie := phone.cookie()
		expect(t, "deactivate", s.admin.do("PATCH", fmt.Sprintf("/api/v1/users/%d", uid), map[string]any{"active": false}), 200, "", "")
		if code := phoneSock.closeStatus(within); code != hub.CloseAuthRevoked {
			t.Fatalf("socket of a deactivated user closed with %v", code)
		}
		h := http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}, "Origin": {s.base}}
		_, res, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(s.base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
		if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("reconnecting with the revoked cookie: %v %v", res, err)
		}

		// A password reset by an admin ends the sessions too.
		expect(t, "reactivate", s.admin.do("PATCH", fmt.Sprintf("/api/v1/users/%d", uid), map[string]any{"active": true}), 200, "", "")
		phone.login("revoked@example.com", outsidePassword)
		phoneSock = dialSocket(t, phone)
		expect(t, "reset password", s.admin.do("POST", fmt.Sprintf("/api/v1/users/%d/password", uid),
			map[string]any{"password": "a brand new password"}), 204, "", "")
		if code := phoneSock.closeStatus(within); code != hub.CloseAuthRevoked {
			t.Fatalf("socket after a password reset closed with %v", code)
		}
	})
}
