package main

import (
	"encoding/json"
	"fmt"
	"testing"
)

// The tenant's messenger switch: off hides the messenger from the API and
// the socket (live subscribers are removed), on brings it back with its
// data.
func TestOutsideMessengerSwitch(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		lt := newLiveTopic(t, engine, 2)
		member := lt.members[1]
		topicPath := fmt.Sprintf("/api/v1/messenger/topics/%d", lt.topicID)
		for i := range 3 {
			expect(t, "post", lt.members[0].do("POST", topicPath+"/messages",
				map[string]any{"body": fmt.Sprintf("kept message %d", i), "client_msg_id": fmt.Sprintf("k%d", i)}), 201, "", "")
		}
		sock := dialSocket(t, member)
		sock.subscribe(lt.channel, 0)
		sock.waitEvents(lt.channel, "message.new", 3)

		lt.setMessenger(false)
		sock.seen("tenant.changed", func(f frame) bool {
			var d struct {
				MessengerEnabled *bool `json:"messenger_enabled"`
			}
			return f.Type == "event" && f.Event == "tenant.changed" && json.Unmarshal(f.Data, &d) == nil &&
				d.MessengerEnabled != nil && !*d.MessengerEnabled
		})
		sock.seen("unsubscribed (removed)", func(f frame) bool {
			return f.Type == "unsubscribed" && f.Channel == lt.channel && f.Reason == "removed"
		})
		var overview struct{ Groups []json.RawMessage }
		member.do("GET", "/api/v1/messenger", nil).decode(t, &overview)
		if len(overview.Groups) != 0 {
			t.Fatalf("messenger off, overview still lists %d groups", len(overview.Groups))
		}
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/messenger/groups", nil},
			{"GET", topicPath, nil},
			{"GET", topicPath + "/messages", nil},
			{"POST", topicPath + "/messages", map[string]any{"body": "while off", "client_msg_id": "off-1"}},
			{"POST", topicPath + "/read", nil},
		} {
			if res := member.do(req.method, req.path, req.body); res.status != 404 {
				t.Fatalf("messenger off: %s %s answered %d %s, want 404", req.method, req.path, res.status, res.body)
			}
		}
		var hits struct{ Items []json.RawMessage }
		member.do("GET", "/api/v1/search?q=kept", nil).decode(t, &hits)
		if len(hits.Items) != 0 {
			t.Fatalf("messenger off, search finds %d topic messages", len(hits.Items))
		}
		for _, req := range []map[string]any{
			{"type": "subscribe", "channel": lt.channel, "since": 0},
			{"type": "publish", "channel": lt.channel, "body": "while off", "client_msg_id": "off-2"},
			{"type": "history", "channel": lt.channel},
		} {
			if f := sock.request(req); f.Type != "error" || f.Code != "not_found" {
				t.Fatalf("messenger off, socket %v answered %+v, want not_found", req["type"], f)
			}
		}

		lt.setMessenger(true)
		member.do("GET", "/api/v1/messenger", nil).decode(t, &overview)
		if len(overview.Groups) != 1 {
			t.Fatalf("messenger back on, overview lists %d groups", len(overview.Groups))
		}
		var hist struct{ Items []wireMessage }
		member.do("GET", topicPath+"/messages", nil).decode(t, &hist)
		if len(hist.Items) != 3 || hist.Items[2].Body != "kept message 0" {
			t.Fatalf("messenger back on, history %+v", hist.Items)
		}
		member.do("GET", "/api/v1/search?q=kept", nil).decode(t, &hits)
		if len(hits.Items) != 3 {
			t.Fatalf("messenger back on, search finds %d", len(hits.Items))
		}
		again := dialSocket(t, member)
		if f := again.subscribe(lt.channel, 0); f.LastSeq != 3 {
			t.Fatalf("messenger back on, last_seq %d", f.LastSeq)
		}
		wantSeqs(t, "replay after switching back on", seqsOf(again.waitEvents(lt.channel, "message.new", 3)), 1, 3)
		expect(t, "post after switching back on", lt.members[0].do("POST", topicPath+"/messages",
			map[string]any{"body": "back", "client_msg_id": "back-1"}), 201, "", "")
		wantSeqs(t, "live after switching back on", seqsOf(again.waitEvents(lt.channel, "message.new", 4)), 1, 4)
	})
}

// conversationView is the conversation shape of docs/api.md.
type conversationView struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	HandlerID *int64 `json:"handler_id"`
	LastSeq   int64  `json:"last_seq"`
}

// A support conversation from creation to Solved over HTTP and the
// socket: the employee creates it, the handler sees it arrive live,
// takes it, replies and asks (Waiting), the customer answers over the
// socket (Open again), the handler solves it; both watch every step live.
func TestOutsideSupportConversationFlow(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		s := startOutside(t, engine, nil)
		var company struct{ ID int64 }
		s.admin.do("POST", "/api/v1/companies", map[string]any{"name": "Customer Oy"}).decode(t, &company)
		mk := func(email string, roles ...string) (int64, *client) {
			id, c := s.user(email, roles...)
			expect(t, "company of "+email, s.admin.do("PATCH", fmt.Sprintf("/api/v1/users/%d", id),
				map[string]any{"company_ids": []int64{company.ID}}), 200, "", "")
			c.login(email, outsidePassword) // role and company changes end sessions
			return id, c
		}
		employeeID, employee := mk("employee@example.com", "employee")
		handlerID, handler := mk("handler@example.com", "message_handler")
		var category struct{ ID int64 }
		res := s.admin.do("POST", "/api/v1/categories", map[string]any{"name_en": "Payroll", "name_fi": "Palkat",
			"role_ids": []int64{s.roles["message_handler"]}})
		expect(t, "create category", res, 201, "", "")
		res.decode(t, &category)

		hs := dialSocket(t, handler)
		es := dialSocket(t, employee)
		var preview struct {
			Receivers []struct {
				UserID int64 `json:"user_id"`
			}
		}
		body := map[string]any{"subject": "Salary question", "category_id": category.ID, "body": "When is **payday**?", "client_msg_id": "conv-1"}
		employee.do("POST", "/api/v1/conversations/preview", body).decode(t, &preview)
		found := false
		for _, r := range preview.Receivers {
			found = found || r.UserID == handlerID
		}
		if !found {
			t.Fatalf("preview %+v lacks the handler %d", preview, handlerID)
		}
		res = employee.do("POST", "/api/v1/conversations", body)
		expect(t, "create conversation", res, 201, "", "")
		var conv conversationView
		res.decode(t, &conv)
		if conv.Status != "new" {
			t.Fatalf("new conversation: %+v", conv)
		}
		// A retry of the same create returns the same conversation.
		var retry conversationView
		employee.do("POST", "/api/v1/conversations", body).decode(t, &retry)
		if retry.ID != conv.ID {
			t.Fatalf("retried create made conversation %d, first %d", retry.ID, conv.ID)
		}
		channel := fmt.Sprintf("conversation:%d", conv.ID)
		userEvent := func(sock *socket, who, status string) {
			t.Helper()
			sock.next(who+": conversation.changed "+status, func(f frame) bool {
				var c conversationView
				return f.Type == "event" && f.Event == "conversation.changed" && json.Unmarshal(f.Data, &c) == nil &&
					c.ID == conv.ID && c.Status == status
			})
		}
		userEvent(hs, "handler", "new")
		hs.subscribe(channel, 0)
		es.subscribe(channel, 0)

		path := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
		expect(t, "employee cannot take", employee.do("POST", path+"/take", nil), 403, "forbidden", "")
		expect(t, "take", handler.do("POST", path+"/take", nil), 200, "", "")
		userEvent(es, "employee", "open")
		expect(t, "reply", handler.do("POST", path+"/messages", map[string]any{"body": "Friday, see the attached rules", "client_msg_id": "h-1"}), 201, "", "")
		expect(t, "employee cannot set status", employee.do("PUT", path+"/status", map[string]any{"status": "solved"}), 403, "forbidden", "")
		expect(t, "waiting", handler.do("PUT", path+"/status", map[string]any{"status": "waiting"}), 200, "", "")
		userEvent(es, "employee", "waiting")

		// The customer answers over the socket: the conversation opens again.
		ack := es.request(map[string]any{"type": "publish", "channel": channel, "body": "Thanks, and the holiday pay?", "client_msg_id": "e-1"})
		if ack.Type != "ack" || ack.Seq == 0 {
			t.Fatalf("customer publish: %+v", ack)
		}
		userEvent(hs, "handler", "open")
		expect(t, "solved", handler.do("PUT", path+"/status", map[string]any{"status": "solved"}), 200, "", "")
		userEvent(es, "employee", "solved")

		var final conversationView
		employee.do("GET", path, nil).decode(t, &final)
		if final.Status != "solved" || final.HandlerID == nil || *final.HandlerID != handlerID {
			t.Fatalf("final conversation %+v", final)
		}
		// The thread has every step, with who, and both sockets saw all of
		// it live in order.
		type entry struct {
			Seq      int64 `json:"seq"`
			Kind     string
			AuthorID int64 `json:"author_id"`
			Body     string
			Change   *struct{ What, From, To string }
		}
		var thread struct{ Items []entry }
		employee.do("GET", path+"/messages?limit=200", nil).decode(t, &thread)
		var steps []string
		for i := len(thread.Items) - 1; i >= 0; i-- {
			e := thread.Items[i]
			switch {
			case e.Kind == "text":
				steps = append(steps, fmt.Sprintf("text by %d", e.AuthorID))
			case e.Change != nil && e.Change.What == "status":
				steps = append(steps, fmt.Sprintf("%s->%s by %d", e.Change.From, e.Change.To, e.AuthorID))
			case e.Change != nil:
				steps = append(steps, fmt.Sprintf("%s by %d", e.Change.What, e.AuthorID))
			}
		}
		want := []string{
			fmt.Sprintf("text by %d", employeeID),
			fmt.Sprintf("handler by %d", handlerID),
			fmt.Sprintf("new->open by %d", handlerID),
			fmt.Sprintf("text by %d", handlerID),
			fmt.Sprintf("open->waiting by %d", handlerID),
			fmt.Sprintf("text by %d", employeeID),
			fmt.Sprintf("waiting->open by %d", employeeID),
			fmt.Sprintf("open->solved by %d", handlerID),
		}
		if fmt.Sprint(steps) != fmt.Sprint(want) {
			t.Fatalf("thread steps\n got %v\nwant %v", steps, want)
		}
		last := thread.Items[0].Seq
		for name, sock := range map[string]*socket{"handler": hs, "employee": es} {
			wantSeqs(t, name, seqsOf(sock.waitEvents(channel, "message.new", int(last))), 1, last)
		}
		if final.LastSeq != last {
			t.Fatalf("conversation last_seq %d, thread ends at %d", final.LastSeq, last)
		}
	})
}
