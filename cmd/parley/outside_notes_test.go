package main

import (
	"fmt"
	"strings"
	"testing"
)

// Internal notes over the real HTTP API and WebSocket, on both engines:
// the handler writes a note over the socket and reads it over HTTP and
// live on note:<id>; the customer gets 404 from the notes API, not_found
// when subscribing to note:<id>, and never a frame carrying the note,
// though the handler's reply after it reaches them live.
func TestOutsideInternalNotes(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine string) {
		s := startOutside(t, engine, nil)
		var company struct{ ID int64 }
		s.admin.do("POST", "/api/v1/companies", map[string]any{"name": "Customer Oy"}).decode(t, &company)
		mk := func(email string, roles ...string) *client {
			id, c := s.user(email, roles...)
			expect(t, "company of "+email, s.admin.do("PATCH", fmt.Sprintf("/api/v1/users/%d", id),
				map[string]any{"company_ids": []int64{company.ID}}), 200, "", "")
			c.login(email, outsidePassword)
			return c
		}
		employee := mk("employee@example.com", "employee")
		handler := mk("handler@example.com", "message_handler")
		var category struct{ ID int64 }
		s.admin.do("POST", "/api/v1/categories", map[string]any{"name_en": "Payroll", "name_fi": "Palkat",
			"role_ids": []int64{s.roles["message_handler"]}}).decode(t, &category)
		var conv struct {
			ID  int64 `json:"id"`
			Can struct {
				Notes bool `json:"notes"`
			} `json:"can"`
		}
		res := employee.do("POST", "/api/v1/conversations", map[string]any{"subject": "Salary", "category_id": category.ID, "body": "When is payday?"})
		expect(t, "create conversation", res, 201, "", "")
		res.decode(t, &conv)
		if conv.Can.Notes {
			t.Fatal("the customer may read the notes")
		}
		expect(t, "take", handler.do("POST", fmt.Sprintf("/api/v1/conversations/%d/take", conv.ID), map[string]any{}), 200, "", "")
		handler.do("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), nil).decode(t, &conv)
		if !conv.Can.Notes {
			t.Fatal("the handler may not read the notes")
		}
		notesPath := fmt.Sprintf("/api/v1/conversations/%d/notes", conv.ID)
		noteCh, convCh := fmt.Sprintf("note:%d", conv.ID), fmt.Sprintf("conversation:%d", conv.ID)

		hs, es := dialSocket(t, handler), dialSocket(t, employee)
		hs.subscribe(noteCh, -1)
		es.subscribe(convCh, -1)
		if f := es.request(map[string]any{"type": "subscribe", "channel": noteCh}); f.Type != "error" || f.Code != "not_found" {
			t.Fatalf("customer subscribing to the notes: %+v", f)
		}
		if f := es.request(map[string]any{"type": "publish", "channel": noteCh, "body": "mine", "client_msg_id": "e-n"}); f.Type != "error" || f.Code != "not_found" {
			t.Fatalf("customer writing a note: %+v", f)
		}
		expect(t, "customer reads the notes", employee.do("GET", notesPath, nil), 404, "not_found", "")
		expect(t, "customer writes a note", employee.do("POST", notesPath, map[string]any{"body": "x"}), 404, "not_found", "")
		expect(t, "note with a mention", handler.do("POST", notesPath, map[string]any{"body": "x", "mentions": []int64{1}}), 400, "invalid", "cannot mention")

		secret := "zebranote: payday is late because of the audit"
		if ack := hs.request(map[string]any{"type": "publish", "channel": noteCh, "body": secret, "client_msg_id": "h-n1"}); ack.Type != "ack" {
			t.Fatalf("note publish: %+v", ack)
		}
		hs.waitEvents(noteCh, "message.new", 1)
		var notes struct {
			Items []struct {
				Body     string `json:"body"`
				Internal bool   `json:"internal"`
			} `json:"items"`
		}
		handler.do("GET", notesPath, nil).decode(t, &notes)
		if len(notes.Items) != 1 || notes.Items[0].Body != secret || !notes.Items[0].Internal {
			t.Fatalf("notes over HTTP: %+v", notes)
		}
		expect(t, "reply", handler.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID),
			map[string]any{"body": "It comes on Friday"}), 201, "", "")
		es.seen("the reply", func(f frame) bool {
			return f.Type == "event" && f.Channel == convCh && strings.Contains(string(f.Data), "It comes on Friday")
		})
		for _, f := range es.all() {
			if strings.Contains(string(f.Raw), "zebranote") || strings.Contains(string(f.Data), "zebranote") || f.Channel == noteCh && f.Type == "event" {
				t.Fatalf("the customer's socket got %+v", f)
			}
		}
		var thread struct {
			Items []struct {
				Body string `json:"body"`
			} `json:"items"`
		}
		employee.do("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), nil).decode(t, &thread)
		for _, m := range thread.Items {
			if strings.Contains(m.Body, "zebranote") {
				t.Fatal("the customer's thread carries the note")
			}
		}
	})
}
