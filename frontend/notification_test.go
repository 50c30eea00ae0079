package frontend_test

import (
	"net/http"
	"testing"

	"parley/chat"
)

func TestNotificationRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.EnsureNotificationRoutes()
	ctx := t.Context()

	// A topic the employee can read, and a notification about it.
	e.tenant.Settings.MessengerEnabled = true
	if err := e.store.TenantUpdate(ctx, e.tenant); err != nil {
		t.Fatal(err)
	}
	g := chat.Group{TenantID: e.tenant.ID, Name: "Payroll", Active: true}
	if err := e.store.GroupCreate(ctx, &g); err != nil {
		t.Fatal(err)
	}
	if err := e.store.GroupSetMembers(ctx, e.tenant.ID, g.ID, []int64{e.employee.ID}); err != nil {
		t.Fatal(err)
	}
	topic := chat.Topic{TenantID: e.tenant.ID, GroupID: g.ID, Name: "Payments", Active: true}
	if err := e.store.TopicCreate(ctx, &topic); err != nil {
		t.Fatal(err)
	}
	ch := chat.TopicChannel(topic.ID)
	n := chat.Notification{TenantID: e.tenant.ID, UserID: e.employee.ID, Kind: string(chat.ReasonMention), Channel: ch, Title: "Payments"}
	if err := e.store.NotificationCreate(ctx, &n); err != nil {
		t.Fatal(err)
	}

	emp := e.client()
	want(t, "anonymous", emp.do("GET", "/api/v1/notifications", nil), http.StatusUnauthorized, chat.EUnauthenticated)
	emp.as(e.employee)
	var list listOf[struct {
		ID      int64
		Kind    string
		Channel string
		Title   string
		Link    string
	}]
	res := emp.do("GET", "/api/v1/notifications", nil)
	want(t, "list", res, http.StatusOK, "")
	res.json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Channel != ch.String() || list.Items[0].Link != "/#/topic/"+itoa(topic.ID) {
		t.Fatalf("list %s", res.body)
	}
	var unread struct{ Unread int64 }
	emp.do("GET", "/api/v1/notifications/unread", nil).json(t, &unread)
	if unread.Unread != 1 {
		t.Fatalf("unread %d", unread.Unread)
	}
	res = emp.do("POST", "/api/v1/notifications/"+itoa(n.ID)+"/read", nil)
	want(t, "read", res, http.StatusOK, "")
	if res.json(t, &unread); unread.Unread != 0 {
		t.Fatalf("unread after read %d", unread.Unread)
	}
	want(t, "read unknown", emp.do("POST", "/api/v1/notifications/999999/read", nil), http.StatusNotFound, chat.ENotFound)
	other := e.client()
	other.as(e.admin)
	want(t, "someone else's", other.do("POST", "/api/v1/notifications/"+itoa(n.ID)+"/read", nil), http.StatusNotFound, chat.ENotFound)

	// Preferences.
	var prefs struct {
		EmailNotifications bool `json:"email_notifications"`
	}
	res = emp.do("PUT", "/api/v1/notifications/preferences", map[string]bool{"email_notifications": false})
	want(t, "prefs off", res, http.StatusOK, "")
	emp.do("GET", "/api/v1/notifications/preferences", nil).json(t, &prefs)
	if prefs.EmailNotifications {
		t.Fatal("email notifications still on")
	}
	want(t, "prefs empty", emp.do("PUT", "/api/v1/notifications/preferences", map[string]any{}), http.StatusBadRequest, chat.EInvalid)

	// Mutes.
	var mute struct {
		Channel string
		Muted   bool
	}
	want(t, "mute", emp.do("PUT", "/api/v1/notifications/mutes/"+ch.String(), map[string]bool{"muted": true}), http.StatusOK, "")
	emp.do("GET", "/api/v1/notifications/mutes/"+ch.String(), nil).json(t, &mute)
	if !mute.Muted || mute.Channel != ch.String() {
		t.Fatalf("mute %+v", mute)
	}
	want(t, "mute invisible", other.do("PUT", "/api/v1/notifications/mutes/"+ch.String(), map[string]bool{"muted": true}), http.StatusNotFound, chat.ENotFound)
	want(t, "mute garbage", emp.do("GET", "/api/v1/notifications/mutes/nonsense", nil), http.StatusNotFound, chat.ENotFound)
	want(t, "mute user channel", emp.do("GET", "/api/v1/notifications/mutes/user:1", nil), http.StatusBadRequest, chat.EInvalid)

	// The log: admins only.
	want(t, "log as employee", emp.do("GET", "/api/v1/notifications/log?user="+itoa(e.employee.ID), nil), http.StatusForbidden, chat.EForbidden)
	want(t, "log without filter", other.do("GET", "/api/v1/notifications/log", nil), http.StatusBadRequest, chat.EInvalid)
	d := chat.NotifyDecision{TenantID: e.tenant.ID, UserID: e.employee.ID, Channel: ch, MessageID: 0,
		Reason: chat.ReasonTopicMessage, Outcome: chat.OutcomeInterval}
	if err := e.store.NotifyDecisionRecord(ctx, &d); err != nil {
		t.Fatal(err)
	}
	var log listOf[struct {
		UserID      int64  `json:"user_id"`
		Outcome     string `json:"outcome"`
		Explanation string `json:"explanation"`
	}]
	res = other.do("GET", "/api/v1/notifications/log?user="+itoa(e.employee.ID), nil)
	want(t, "log", res, http.StatusOK, "")
	res.json(t, &log)
	if len(log.Items) != 1 || log.Items[0].Outcome != string(chat.OutcomeInterval) || log.Items[0].Explanation == "" {
		t.Fatalf("log %s", res.body)
	}
	want(t, "log unknown user", other.do("GET", "/api/v1/notifications/log?user=999999", nil), http.StatusNotFound, chat.ENotFound)
}
