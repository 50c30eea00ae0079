package frontend_test

import (
	"fmt"
	"net/http"
	"testing"

	"parley/chat"
)

// The list is newest first and pages backwards, so a user with many
// notifications sees the latest ones; ?after= still catches up oldest first.
func TestNotificationListNewestFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.EnsureNotificationRoutes()
	var ids []int64
	for i := range 5 {
		n := chat.Notification{TenantID: e.tenant.ID, UserID: e.employee.ID, Kind: string(chat.ReasonMention),
			Channel: chat.TopicChannel(1), Title: fmt.Sprint("n", i)}
		if err := e.store.NotificationCreate(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	emp := e.client()
	emp.as(e.employee)
	type page = listOf[struct{ ID int64 }]
	get := func(query string) page {
		t.Helper()
		var p page
		res := emp.do("GET", "/api/v1/notifications"+query, nil)
		want(t, query, res, http.StatusOK, "")
		res.json(t, &p)
		return p
	}
	gotIDs := func(p page) []int64 {
		var out []int64
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		return out
	}
	first := get("?limit=2")
	if fmt.Sprint(gotIDs(first)) != fmt.Sprint([]int64{ids[4], ids[3]}) || first.Next != itoa(ids[3]) {
		t.Fatalf("first page %v next %q", gotIDs(first), first.Next)
	}
	second := get("?limit=2&before=" + first.Next)
	if fmt.Sprint(gotIDs(second)) != fmt.Sprint([]int64{ids[2], ids[1]}) {
		t.Fatalf("second page %v", gotIDs(second))
	}
	last := get("?limit=2&before=" + second.Next)
	if fmt.Sprint(gotIDs(last)) != fmt.Sprint([]int64{ids[0]}) || last.Next != "" {
		t.Fatalf("last page %v next %q", gotIDs(last), last.Next)
	}
	if catchUp := get("?after=" + itoa(ids[2])); fmt.Sprint(gotIDs(catchUp)) != fmt.Sprint([]int64{ids[3], ids[4]}) {
		t.Fatalf("after page %v", gotIDs(catchUp))
	}
	want(t, "bad before", emp.do("GET", "/api/v1/notifications?before=x", nil), http.StatusBadRequest, chat.EInvalid)
	want(t, "both cursors", emp.do("GET", "/api/v1/notifications?before=3&after=1", nil), http.StatusBadRequest, chat.EInvalid)
	// Another user sees none of them.
	other := e.client()
	other.as(e.admin)
	var others page
	res := other.do("GET", "/api/v1/notifications", nil)
	want(t, "admin's list", res, http.StatusOK, "")
	if res.json(t, &others); len(others.Items) != 0 {
		t.Fatalf("admin sees %v", gotIDs(others))
	}

	// Mark all read up to the newest shown: one that came later stays unread.
	later := chat.Notification{TenantID: e.tenant.ID, UserID: e.employee.ID, Kind: string(chat.ReasonMention),
		Channel: chat.TopicChannel(1), Title: "later"}
	if err := e.store.NotificationCreate(t.Context(), &later); err != nil {
		t.Fatal(err)
	}
	var unread struct{ Unread int64 }
	res = emp.do("POST", "/api/v1/notifications/read-all", map[string]int64{"up_to": ids[4]})
	want(t, "read all", res, http.StatusOK, "")
	if res.json(t, &unread); unread.Unread != 1 {
		t.Fatalf("unread after read-all up to %d: %d, want 1", ids[4], unread.Unread)
	}
	res = emp.do("POST", "/api/v1/notifications/read-all", nil)
	want(t, "read all without body", res, http.StatusOK, "")
	if res.json(t, &unread); unread.Unread != 0 {
		t.Fatalf("unread after read-all: %d", unread.Unread)
	}
	want(t, "read all, bad body", emp.do("POST", "/api/v1/notifications/read-all", map[string]any{"up_to": "x"}), http.StatusBadRequest, chat.EInvalid)
	want(t, "read all anonymous", e.client().do("POST", "/api/v1/notifications/read-all", nil), http.StatusUnauthorized, chat.EUnauthenticated)
}
