package storetest

import (
	"testing"

	"parley/chat"
)

// A subscription is per endpoint: saving the same endpoint again, even
// as another user, moves it; lists are per user and tenant, oldest first;
// deletes are tenant-scoped and answer not found for a missing row.
func testPushSubscriptions(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "push-a")
	b := NewFixture(t, s, "push-b")
	u, v := a.EmployeeA.ID, a.Manager.ID
	list := func(tenantID, userID int64) []chat.PushSubscription {
		t.Helper()
		subs, err := s.PushSubscriptionList(ctx, tenantID, userID)
		NoErr(t, err, "PushSubscriptionList")
		return subs
	}
	one := chat.PushSubscription{TenantID: a.Tenant.ID, UserID: u, Endpoint: "https://push.example/" + a.Tenant.Name + "/1",
		P256dh: "key1", Auth: "auth1"}
	NoErr(t, s.PushSubscriptionSave(ctx, &one), "PushSubscriptionSave")
	if one.ID == 0 || one.CreatedAt.IsZero() {
		t.Fatalf("saved subscription %+v has no id or time", one)
	}
	two := chat.PushSubscription{TenantID: a.Tenant.ID, UserID: u, Endpoint: "https://push.example/" + a.Tenant.Name + "/2",
		P256dh: "key2", Auth: "auth2"}
	NoErr(t, s.PushSubscriptionSave(ctx, &two), "PushSubscriptionSave two")
	got := list(a.Tenant.ID, u)
	if len(got) != 2 || got[0].ID != one.ID || got[1].ID != two.ID || got[0].Endpoint != one.Endpoint ||
		got[0].P256dh != "key1" || got[0].Auth != "auth1" || !got[0].CreatedAt.Equal(one.CreatedAt) {
		t.Fatalf("list = %+v", got)
	}
	if len(list(b.Tenant.ID, u)) != 0 || len(list(a.Tenant.ID, v)) != 0 {
		t.Fatal("subscriptions leaked to another tenant or user")
	}
	// The same browser logs in as v: the endpoint moves with new keys.
	moved := chat.PushSubscription{TenantID: a.Tenant.ID, UserID: v, Endpoint: one.Endpoint, P256dh: "key3", Auth: "auth3"}
	NoErr(t, s.PushSubscriptionSave(ctx, &moved), "PushSubscriptionSave moved")
	if got := list(a.Tenant.ID, u); len(got) != 1 || got[0].ID != two.ID {
		t.Fatalf("after the move u has %+v", got)
	}
	if got := list(a.Tenant.ID, v); len(got) != 1 || got[0].P256dh != "key3" || got[0].Endpoint != one.Endpoint {
		t.Fatalf("after the move v has %+v", got)
	}
	// A user of another tenant cannot be given a subscription here.
	bad := chat.PushSubscription{TenantID: b.Tenant.ID, UserID: u, Endpoint: "https://push.example/x", P256dh: "k", Auth: "a"}
	WantNotFound(t, s.PushSubscriptionSave(ctx, &bad))

	WantNotFound(t, s.PushSubscriptionDelete(ctx, b.Tenant.ID, two.ID))
	WantNotFound(t, s.PushSubscriptionDeleteEndpoint(ctx, a.Tenant.ID, v, two.Endpoint))
	NoErr(t, s.PushSubscriptionDelete(ctx, a.Tenant.ID, two.ID), "PushSubscriptionDelete")
	WantNotFound(t, s.PushSubscriptionDelete(ctx, a.Tenant.ID, two.ID))
	NoErr(t, s.PushSubscriptionDeleteEndpoint(ctx, a.Tenant.ID, v, one.Endpoint), "PushSubscriptionDeleteEndpoint")
	if len(list(a.Tenant.ID, u))+len(list(a.Tenant.ID, v)) != 0 {
		t.Fatal("subscriptions left after deleting them")
	}
}

// Preferences are absent until saved, then read back as saved, per user
// and tenant.
func testNotifyPrefs(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "prefs-a")
	b := NewFixture(t, s, "prefs-b")
	u := a.EmployeeA.ID
	_, err := s.NotifyPrefsGet(ctx, a.Tenant.ID, u)
	WantNotFound(t, err)
	want := chat.NotifyChannels{Mention: chat.ChannelChoice{Email: true}, Topic: chat.ChannelChoice{Push: true},
		Conversation: chat.ChannelChoice{Email: true, Push: true}}
	NoErr(t, s.NotifyPrefsSave(ctx, a.Tenant.ID, u, want), "NotifyPrefsSave")
	got, err := s.NotifyPrefsGet(ctx, a.Tenant.ID, u)
	NoErr(t, err, "NotifyPrefsGet")
	if got != want {
		t.Fatalf("prefs = %+v, want %+v", got, want)
	}
	want.Mention = chat.ChannelChoice{}
	NoErr(t, s.NotifyPrefsSave(ctx, a.Tenant.ID, u, want), "NotifyPrefsSave again")
	if got, _ := s.NotifyPrefsGet(ctx, a.Tenant.ID, u); got != want {
		t.Fatalf("prefs after the second save = %+v, want %+v", got, want)
	}
	_, err = s.NotifyPrefsGet(ctx, b.Tenant.ID, u)
	WantNotFound(t, err)
	_, err = s.NotifyPrefsGet(ctx, a.Tenant.ID, a.Manager.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.NotifyPrefsSave(ctx, b.Tenant.ID, u, want))
}

// Jobs and decisions keep their channel; one without is email.
func testNotifyVia(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "via")
	u := a.EmployeeA.ID
	ch := chat.TopicChannel(1)
	push := chat.NotifyJob{TenantID: a.Tenant.ID, UserID: u, Via: chat.ViaPush, Reason: chat.ReasonMention, Channel: ch, MessageID: 7}
	NoErr(t, s.NotifyJobEnqueue(ctx, &push), "NotifyJobEnqueue push")
	plain := chat.NotifyJob{TenantID: a.Tenant.ID, UserID: u, Reason: chat.ReasonMention, Channel: ch, MessageID: 7}
	NoErr(t, s.NotifyJobEnqueue(ctx, &plain), "NotifyJobEnqueue")
	jobs, err := s.NotifyJobClaim(ctx, Now().Add(1e12), Now().Add(2e12), 10)
	NoErr(t, err, "NotifyJobClaim")
	vias := map[int64]chat.NotifyVia{}
	for _, j := range jobs {
		vias[j.ID] = j.Via
	}
	if vias[push.ID] != chat.ViaPush || vias[plain.ID] != chat.ViaEmail {
		t.Fatalf("claimed vias %v, want %d push and %d email", vias, push.ID, plain.ID)
	}
	for _, v := range []chat.NotifyVia{chat.ViaPush, ""} {
		d := chat.NotifyDecision{TenantID: a.Tenant.ID, UserID: u, Via: v, Channel: ch, MessageID: 7,
			Reason: chat.ReasonMention, Outcome: chat.OutcomeSent}
		NoErr(t, s.NotifyDecisionRecord(ctx, &d), "NotifyDecisionRecord")
	}
	ds, err := s.NotifyDecisionList(ctx, a.Tenant.ID, u, 7, chat.Page{Limit: 10})
	NoErr(t, err, "NotifyDecisionList")
	if len(ds) != 2 || ds[0].Via != chat.ViaPush || ds[1].Via != chat.ViaEmail {
		t.Fatalf("decisions %+v", ds)
	}
}
