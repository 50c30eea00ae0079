package frontend_test

import (
	"net/http"
	"strings"
	"testing"

	"parley/chat"
)

// TestHelpdeskAPI: canned replies, queue counts and lists, and the
// messenger users page over HTTP: status codes, authorization and shapes.
func TestHelpdeskAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, emp := e.client(), e.client()
	admin.as(e.admin)
	emp.as(e.employee)

	// Canned replies: the admin keeps shared ones, the employee none.
	res := admin.do("POST", "/api/v1/canned-replies", map[string]any{"shared": true, "locale": "fi", "title": "Kiitos", "body": "Hei {asiakkaan_nimi}"})
	want(t, "create shared", res, http.StatusCreated, "")
	var r struct {
		ID      int64 `json:"id"`
		Shared  bool  `json:"shared"`
		CanEdit bool  `json:"can_edit"`
	}
	res.json(t, &r)
	if !r.Shared || !r.CanEdit || res.header.Get("Location") == "" {
		t.Fatalf("created %s (Location %q)", res.body, res.header.Get("Location"))
	}
	want(t, "unknown placeholder", admin.do("POST", "/api/v1/canned-replies", map[string]any{"title": "x", "body": "{foo}"}), http.StatusBadRequest, chat.EInvalid)
	want(t, "too long", admin.do("POST", "/api/v1/canned-replies", map[string]any{"title": "x", "body": strings.Repeat("x", chat.MaxCannedBody+1)}), http.StatusRequestEntityTooLarge, chat.ETooLarge)
	want(t, "employee lists", emp.do("GET", "/api/v1/canned-replies", nil), http.StatusForbidden, chat.EForbidden)
	want(t, "employee creates", emp.do("POST", "/api/v1/canned-replies", map[string]any{"title": "x", "body": "y"}), http.StatusForbidden, chat.EForbidden)
	res = admin.do("GET", "/api/v1/canned-replies?q=hei", nil)
	want(t, "list", res, http.StatusOK, "")
	var l struct{ Items []map[string]any }
	res.json(t, &l)
	if len(l.Items) != 1 {
		t.Fatalf("list %s", res.body)
	}
	want(t, "update", admin.do("PUT", "/api/v1/canned-replies/"+itoa(r.ID), map[string]any{"locale": "en", "title": "Thanks", "body": "Hi {customer_name}"}), http.StatusOK, "")
	want(t, "expand without conversation", admin.do("POST", "/api/v1/canned-replies/"+itoa(r.ID)+"/expand", map[string]any{}), http.StatusBadRequest, chat.EInvalid)
	want(t, "expand unknown conversation", admin.do("POST", "/api/v1/canned-replies/"+itoa(r.ID)+"/expand", map[string]any{"conversation_id": 999}), http.StatusNotFound, chat.ENotFound)
	want(t, "bad id", admin.do("DELETE", "/api/v1/canned-replies/x", nil), http.StatusNotFound, chat.ENotFound)
	want(t, "delete", admin.do("DELETE", "/api/v1/canned-replies/"+itoa(r.ID), nil), http.StatusNoContent, "")
	want(t, "deleted", admin.do("DELETE", "/api/v1/canned-replies/"+itoa(r.ID), nil), http.StatusNotFound, chat.ENotFound)

	// Queues: for the handler side.
	res = admin.do("GET", "/api/v1/conversations/queues", nil)
	want(t, "queues", res, http.StatusOK, "")
	var q chat.QueueCounts
	res.json(t, &q)
	if q.StaleHours != chat.DefaultStaleHours || q.Categories == nil {
		t.Fatalf("queues %s", res.body)
	}
	want(t, "employee queues", emp.do("GET", "/api/v1/conversations/queues", nil), http.StatusForbidden, chat.EForbidden)
	want(t, "queue list", admin.do("GET", "/api/v1/conversations?queue=stale", nil), http.StatusOK, "")
	want(t, "unknown queue", admin.do("GET", "/api/v1/conversations?queue=soon", nil), http.StatusBadRequest, chat.EInvalid)
	want(t, "employee queue list", emp.do("GET", "/api/v1/conversations?queue=new", nil), http.StatusForbidden, chat.EForbidden)

	// The status labels in the caller's language, one for every status.
	res = emp.do("GET", "/api/v1/conversations/status-labels", nil)
	want(t, "status labels", res, http.StatusOK, "")
	var labels map[chat.ConversationStatus]string
	res.json(t, &labels)
	if len(labels) != 4 || labels[chat.StatusNew] == "" || labels[chat.StatusSolved] == "" {
		t.Fatalf("status labels %s", res.body)
	}

	// The caller's drafts: none yet, as an empty list.
	res = emp.do("GET", "/api/v1/drafts", nil)
	want(t, "drafts", res, http.StatusOK, "")
	if strings.TrimSpace(string(res.body)) != `{"items":[],"next":""}` {
		t.Fatalf("drafts before any: %s", res.body)
	}

	// The messenger users page, messenger off: empty.
	res = emp.do("GET", "/api/v1/messenger/users", nil)
	want(t, "messenger users", res, http.StatusOK, "")
	if strings.TrimSpace(string(res.body)) != `{"items":[],"next":""}` {
		t.Fatalf("messenger users with the messenger off: %s", res.body)
	}
}
