package chat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/chat"
	"parley/push/pushtest"
)

// subscribe makes a browser subscription for u through the service.
func (w *ntWorld) subscribe(t *testing.T, u chat.User) chat.PushSubscriptionInput {
	t.Helper()
	in := w.pushSvc.Subscribe()
	_, err := w.svc.Notifications.SubscribePush(w.as(t, u), in)
	ntNoErr(t, "SubscribePush", err)
	return in
}

// outcomesVia returns the outcomes recorded about a message for u on one
// channel.
func (w *ntWorld) outcomesVia(t *testing.T, messageID int64, u chat.User, via chat.NotifyVia) []chat.NotifyOutcome {
	t.Helper()
	ds, err := w.st.NotifyDecisionList(t.Context(), w.f.Tenant.ID, u.ID, messageID, chat.Page{Limit: chat.MaxPageSize})
	ntNoErr(t, "NotifyDecisionList", err)
	var out []chat.NotifyOutcome
	for _, d := range ds {
		if d.Via == via {
			out = append(out, d.Outcome)
		}
	}
	return out
}

func (w *ntWorld) wantVia(t *testing.T, messageID int64, u chat.User, via chat.NotifyVia, want chat.NotifyOutcome) {
	t.Helper()
	if got := w.outcomesVia(t, messageID, u, via); len(got) != 1 || got[0] != want {
		t.Fatalf("%s decisions about %s for message %d = %v, want [%s]", via, u.Email, messageID, got, want)
	}
}

// payloads decrypts what one device received.
func payloads(t *testing.T, ps *pushtest.Server, endpoint string) []chat.PushPayload {
	t.Helper()
	var out []chat.PushPayload
	for _, p := range ps.PushesTo(endpoint) {
		var pl chat.PushPayload
		ntNoErr(t, "payload JSON", json.Unmarshal(p.Payload, &pl))
		out = append(out, pl)
	}
	return out
}

// An offline member with a device gets one push, after the delay, that the
// device decrypts with its own keys: the thread's title and link, no
// message text. The email goes out beside it; a member without a device
// gets no push decision at all.
func TestNotifierPushOfflineMember(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	dev := w.subscribe(t, w.member)
	ch := chat.TopicChannel(w.topic.ID)
	m := w.post(t, w.author, ch, "The salary run for March is late")
	w.step(t)
	w.clock.Advance(ntDelay - time.Second)
	w.step(t)
	if n := len(w.pushSvc.Pushes()); n != 0 {
		t.Fatalf("%d pushes before the delay", n)
	}
	w.clock.Advance(time.Second)
	w.step(t)
	got := payloads(t, w.pushSvc, dev.Endpoint)
	if len(got) != 1 || len(w.pushSvc.Errors()) != 0 {
		t.Fatalf("pushes %+v, push service errors %v", got, w.pushSvc.Errors())
	}
	want := chat.PushPayload{Title: "New message in Payments processing", Body: w.f.Tenant.Name,
		Link: "/#/topic/" + itoa(w.topic.ID), Tag: ch.String()}
	if got[0] != want {
		t.Fatalf("payload %+v, want %+v", got[0], want)
	}
	raw := string(w.pushSvc.PushesTo(dev.Endpoint)[0].Payload)
	if strings.Contains(raw, "salary") {
		t.Fatalf("the message text leaked into the push: %s", raw)
	}
	w.wantVia(t, m.ID, w.member, chat.ViaPush, chat.OutcomeSent)
	w.wantVia(t, m.ID, w.member, chat.ViaEmail, chat.OutcomeSent)
	if got := w.outcomesVia(t, m.ID, w.member2, chat.ViaPush); len(got) != 0 {
		t.Fatalf("member2 has no device but push decisions %v", got)
	}
	// Nothing more later.
	w.clock.Advance(24 * time.Hour)
	w.step(t)
	if n := len(w.pushSvc.Pushes()); n != 1 {
		t.Fatalf("%d pushes in all, want 1", n)
	}
}

// The same policy as email: none while online on some node, none within
// the topic's interval, none in a muted topic, none when the user's
// setting for the kind turns push off (email still goes), and none once
// the user lost access before the push was due.
func TestNotifierPushPolicy(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	member, member2 := w.subscribe(t, w.member), w.subscribe(t, w.member2)
	ch := chat.TopicChannel(w.topic.ID)

	// Online: member2 is connected when the push is due.
	first := w.post(t, w.author, ch, "first")
	w.step(t)
	ntNoErr(t, "presence", w.presence.Add(t.Context(), w.f.Tenant.ID, w.member2.ID))
	w.clock.Advance(ntDelay)
	w.step(t)
	w.wantVia(t, first.ID, w.member, chat.ViaPush, chat.OutcomeSent)
	w.wantVia(t, first.ID, w.member2, chat.ViaPush, chat.OutcomeOnline)
	ntNoErr(t, "presence", w.presence.Remove(t.Context(), w.f.Tenant.ID, w.member2.ID))

	// Interval: the next message comes too soon after the first.
	second := w.post(t, w.author, ch, "second")
	w.stepThroughDelay(t)
	w.wantVia(t, second.ID, w.member, chat.ViaPush, chat.OutcomeInterval)

	// Muted, and push turned off for topic messages (email stays on).
	ntNoErr(t, "SetMuted", w.svc.Notifications.SetMuted(w.as(t, w.member), ch, true))
	c := chat.DefaultNotifyChannels()
	c.Topic.Push = false
	_, err := w.svc.Notifications.SetNotificationPrefs(w.as(t, w.member2), chat.NotificationPrefsChange{Channels: &c})
	ntNoErr(t, "SetNotificationPrefs", err)
	w.clock.Advance(ntInterval)
	third := w.post(t, w.author, ch, "third")
	w.stepThroughDelay(t)
	w.wantVia(t, third.ID, w.member, chat.ViaPush, chat.OutcomeMuted)
	w.wantVia(t, third.ID, w.member2, chat.ViaPush, chat.OutcomePreference)
	w.wantVia(t, third.ID, w.member2, chat.ViaEmail, chat.OutcomeSent)

	// Access re-checked at send time: member2 leaves the group during the
	// delay of a mention.
	ntNoErr(t, "SetMuted", w.svc.Notifications.SetMuted(w.as(t, w.member), ch, false))
	w.clock.Advance(ntInterval)
	fourth := w.post(t, w.author, ch, "fourth", w.member.ID, w.member2.ID)
	w.step(t)
	ntNoErr(t, "GroupSetMembers", w.st.GroupSetMembers(t.Context(), w.f.Tenant.ID, w.group.ID, []int64{w.author.ID, w.member.ID}))
	w.clock.Advance(ntDelay)
	w.step(t)
	w.wantVia(t, fourth.ID, w.member, chat.ViaPush, chat.OutcomeSent)
	w.wantVia(t, fourth.ID, w.member2, chat.ViaPush, chat.OutcomeNoAccess)

	if got := len(w.pushSvc.PushesTo(member.Endpoint)); got != 2 {
		t.Errorf("member's device got %d pushes, want 2 (first, fourth)", got)
	}
	if got := len(w.pushSvc.PushesTo(member2.Endpoint)); got != 0 {
		t.Errorf("member2's device got %d pushes, want none", got)
	}
	if errs := w.pushSvc.Errors(); len(errs) != 0 {
		t.Errorf("push service refused pushes: %v", errs)
	}
}

// A device whose push service answers 410 Gone is removed: the decision
// says no device, and the next message has no push decision for it.
func TestNotifierPushGoneRemovesSubscription(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	gone, kept := w.subscribe(t, w.member), w.subscribe(t, w.member2)
	w.pushSvc.Answer(gone.Endpoint, http.StatusGone)
	ch := chat.TopicChannel(w.topic.ID)
	m := w.post(t, w.author, ch, "hello")
	w.stepThroughDelay(t)
	w.wantVia(t, m.ID, w.member, chat.ViaPush, chat.OutcomeNoDevice)
	w.wantVia(t, m.ID, w.member2, chat.ViaPush, chat.OutcomeSent)
	subs, err := w.st.PushSubscriptionList(t.Context(), w.f.Tenant.ID, w.member.ID)
	ntNoErr(t, "PushSubscriptionList", err)
	if len(subs) != 0 {
		t.Fatalf("the gone subscription is still there: %+v", subs)
	}
	if n, _ := w.svc.Notifications.PushDeviceCount(w.as(t, w.member2)); n != 1 || len(w.pushSvc.PushesTo(kept.Endpoint)) != 1 {
		t.Fatalf("member2 devices %d, pushes %d", n, len(w.pushSvc.PushesTo(kept.Endpoint)))
	}
	w.clock.Advance(ntInterval)
	next := w.post(t, w.author, ch, "again")
	w.stepThroughDelay(t)
	if got := w.outcomesVia(t, next.ID, w.member, chat.ViaPush); len(got) != 0 {
		t.Fatalf("push decisions for a user without devices: %v", got)
	}
}

// A temporary failure of the push service is retried like an email.
func TestNotifierPushRetried(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	dev := w.subscribe(t, w.member)
	w.pushSvc.Answer(dev.Endpoint, http.StatusServiceUnavailable)
	m := w.post(t, w.author, chat.TopicChannel(w.topic.ID), "hello")
	w.stepThroughDelay(t)
	if got := w.outcomesVia(t, m.ID, w.member, chat.ViaPush); len(got) != 0 {
		t.Fatalf("decided %v after a temporary failure", got)
	}
	w.pushSvc.Answer(dev.Endpoint, 0)
	w.clock.Advance(time.Minute)
	w.step(t)
	w.wantVia(t, m.ID, w.member, chat.ViaPush, chat.OutcomeSent)
	if len(w.pushSvc.PushesTo(dev.Endpoint)) != 1 {
		t.Fatal("the retried push did not arrive")
	}
}

// Subscribing checks the endpoint and the keys, keeps at most
// MaxPushSubscriptions devices per user (the oldest goes), and moves an
// endpoint to the user who subscribed it last.
func TestSubscribePush(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ctx := w.as(t, w.member)
	good := w.pushSvc.Subscribe()
	for name, in := range map[string]chat.PushSubscriptionInput{
		"http":       {Endpoint: strings.Replace(good.Endpoint, "https:", "http:", 1), P256dh: good.P256dh, Auth: good.Auth},
		"other host": {Endpoint: "https://evil.example/push/1", P256dh: good.P256dh, Auth: good.Auth},
		"bad key":    {Endpoint: good.Endpoint, P256dh: "AAAA", Auth: good.Auth},
		"bad auth":   {Endpoint: good.Endpoint, P256dh: good.P256dh, Auth: "AAAA"},
		"long":       {Endpoint: good.Endpoint + strings.Repeat("x", chat.MaxPushEndpointLen), P256dh: good.P256dh, Auth: good.Auth},
	} {
		if _, err := w.svc.Notifications.SubscribePush(ctx, in); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	var first chat.PushSubscriptionInput
	for i := range chat.MaxPushSubscriptions + 2 {
		in := w.pushSvc.Subscribe()
		if i == 0 {
			first = in
		}
		_, err := w.svc.Notifications.SubscribePush(ctx, in)
		ntNoErr(t, "SubscribePush", err)
	}
	subs, err := w.st.PushSubscriptionList(t.Context(), w.f.Tenant.ID, w.member.ID)
	ntNoErr(t, "PushSubscriptionList", err)
	if len(subs) != chat.MaxPushSubscriptions || subs[0].Endpoint == first.Endpoint {
		t.Fatalf("%d subscriptions, first %s", len(subs), subs[0].Endpoint)
	}
	// The same browser, now logged in as member2.
	_, err = w.svc.Notifications.SubscribePush(w.as(t, w.member2), chat.PushSubscriptionInput{Endpoint: subs[0].Endpoint, P256dh: good.P256dh, Auth: good.Auth})
	ntNoErr(t, "SubscribePush moved", err)
	if n, _ := w.svc.Notifications.PushDeviceCount(ctx); n != chat.MaxPushSubscriptions-1 {
		t.Fatalf("member keeps %d devices after the move", n)
	}
	if err := w.svc.Notifications.UnsubscribePush(ctx, subs[0].Endpoint); !chat.IsCode(err, chat.ENotFound) {
		t.Fatalf("unsubscribing another user's device: %v", err)
	}
	ntNoErr(t, "UnsubscribePush", w.svc.Notifications.UnsubscribePush(w.as(t, w.member2), subs[0].Endpoint))
	// Without push hosts (no VAPID key) the server refuses subscriptions.
	off := chat.NewService(chat.Config{Store: w.st, Clock: w.clock})
	if _, err := off.Notifications.SubscribePush(chat.WithPrincipal(t.Context(), principalOf(t, w, off, w.member)), good); !chat.IsCode(err, chat.EUnavailable) {
		t.Fatalf("subscribing without Web Push: %v", err)
	}
}

// Preferences per kind round-trip, and saving only the email switch
// keeps the channels.
func TestNotificationPrefsChannels(t *testing.T) {
	t.Parallel()
	w := newNtWorld(t, newSQLite(t))
	ctx := w.as(t, w.member)
	p, err := w.svc.Notifications.NotificationPrefs(ctx)
	ntNoErr(t, "NotificationPrefs", err)
	if !p.EmailNotifications || p.Channels != chat.DefaultNotifyChannels() {
		t.Fatalf("defaults %+v", p)
	}
	c := chat.NotifyChannels{Mention: chat.ChannelChoice{Push: true}, Conversation: chat.ChannelChoice{Email: true}}
	p, err = w.svc.Notifications.SetNotificationPrefs(ctx, chat.NotificationPrefsChange{Channels: &c})
	ntNoErr(t, "SetNotificationPrefs", err)
	off := false
	p2, err := w.svc.Notifications.SetNotificationPrefs(ctx, chat.NotificationPrefsChange{EmailNotifications: &off})
	ntNoErr(t, "SetNotificationPrefs email", err)
	if p.Channels != c || p2.Channels != c || p2.EmailNotifications {
		t.Fatalf("after saving: %+v then %+v", p, p2)
	}
	if _, err := w.svc.Notifications.SetNotificationPrefs(ctx, chat.NotificationPrefsChange{}); !chat.IsCode(err, chat.EInvalid) {
		t.Fatalf("empty change: %v", err)
	}
}
