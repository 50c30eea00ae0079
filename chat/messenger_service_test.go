package chat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/storetest"
)

// onMsEngines runs fn on a messenger world once per engine, in parallel.
func onMsEngines(t *testing.T, fn func(t *testing.T, w *msWorld)) {
	onEngines(t, func(t *testing.T, e engine) { fn(t, newMsWorld(t, e.open(t))) })
}

func findEvent(evs []chat.Event, ch chat.Channel, typ chat.EventType) (chat.Event, bool) {
	for _, ev := range evs {
		if ev.Channel == ch && ev.Type == typ {
			return ev, true
		}
	}
	return chat.Event{}, false
}

// msWorld is a service on a real store with two tenants.
type msWorld struct {
	svc  *chat.Service
	st   chat.Store
	pub  *recorder
	a, b *msTenant
}

// msTenant is a storetest fixture plus a messenger manager, a member group
// with a topic, and an outsider.
type msTenant struct {
	*storetest.Fixture
	mgr      chat.User // messenger manager + employee, member of Group
	member   chat.User // employee, member of Group
	outsider chat.User // employee, in no group
	group    chat.Group
	topic    chat.Topic
}

func newMsWorld(t *testing.T, st chat.Store) *msWorld {
	t.Helper()
	pub := &recorder{}
	w := &msWorld{st: st, pub: pub, svc: chat.NewService(chat.Config{Store: st, Publisher: pub, Logger: zerolog.Nop()})}
	w.a = w.newTenant(t, "alpha")
	w.b = w.newTenant(t, "beta")
	pub.take()
	return w
}

func (w *msWorld) newTenant(t *testing.T, name string) *msTenant {
	t.Helper()
	f := storetest.NewFixture(t, w.st, name)
	emp := f.Roles[chat.RoleEmployee].ID
	mt := &msTenant{Fixture: f}
	mt.mgr = f.NewUser(t, "msgr", nil, []int64{f.Roles[chat.RoleMessengerManager].ID, emp})
	mt.member = f.NewUser(t, "member", nil, []int64{emp})
	mt.outsider = f.NewUser(t, "outsider", nil, []int64{emp})
	mt.group = f.NewGroup(t, name+" group", mt.mgr.ID, mt.member.ID)
	mt.topic = f.NewTopic(t, mt.group.ID, name+" topic")
	return mt
}

// as returns a context carrying u's principal, made by a real session and
// Authenticate.
func (w *msWorld) as(t *testing.T, u chat.User) context.Context {
	t.Helper()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	now := chat.SystemClock{}.Now()
	sess := chat.Session{ID: hex.EncodeToString(b), TenantID: u.TenantID, UserID: u.ID, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := w.st.SessionCreate(t.Context(), sess); err != nil {
		t.Fatalf("SessionCreate: %v", err)
	}
	p, err := w.svc.Sessions.Authenticate(t.Context(), sess.ID)
	if err != nil {
		t.Fatalf("Authenticate %s: %v", u.Email, err)
	}
	return chat.WithPrincipal(t.Context(), p)
}

func msWant(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := chat.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q, want %q (err: %v)", what, got, code, err)
	}
}

func msNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// topicIDs lists the topic ids of a messenger overview.
func topicIDs(gvs []chat.GroupView) []int64 {
	var ids []int64
	for _, g := range gvs {
		for _, tv := range g.Topics {
			ids = append(ids, tv.Topic.ID)
		}
	}
	return ids
}

func TestMessengerGroupsAndMembers(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		admin := w.as(t, a.Admin)
		g, err := w.svc.Messenger.CreateGroup(admin, chat.GroupInput{Name: "  Payroll  ", Description: "Payments processing", Active: true})
		msNoErr(t, "CreateGroup", err)
		if g.Name != "Payroll" || g.TenantID != a.Tenant.ID || !g.Active {
			t.Fatalf("created %+v", g)
		}
		for _, bad := range []chat.GroupInput{{Name: " "}, {Name: "x", Description: string(make([]rune, chat.MaxDescriptionLen+1))}} {
			_, err := w.svc.Messenger.CreateGroup(admin, bad)
			msWant(t, "CreateGroup invalid", err, chat.EInvalid)
		}
		_, err = w.svc.Messenger.SetGroupMembers(admin, g.ID, []int64{a.member.ID, w.b.member.ID})
		msWant(t, "member of another tenant", err, chat.EInvalid)
		_, err = w.svc.Messenger.SetGroupMembers(admin, g.ID, []int64{a.member.ID, 1 << 40})
		msWant(t, "unknown member", err, chat.EInvalid)
		_, err = w.svc.Messenger.SetGroupMembers(admin, g.ID, []int64{a.member.ID, a.EmployeeB.ID, a.member.ID})
		msNoErr(t, "SetGroupMembers", err)

		members, err := w.svc.Messenger.GroupMembers(w.as(t, a.member), g.ID)
		msNoErr(t, "GroupMembers", err)
		if len(members) != 2 || members[0].Name != "User employee-b" || members[1].Name != "User member" {
			t.Fatalf("members %+v", members)
		}
		// Membership ignores companies: EmployeeB (Company B) sees the group
		// like anyone else in it.
		gs, err := w.svc.Messenger.Groups(w.as(t, a.EmployeeB), chat.Page{})
		msNoErr(t, "Groups", err)
		if len(gs) != 1 || gs[0].ID != g.ID {
			t.Fatalf("EmployeeB groups %+v", gs)
		}
		// Admins list every group of the tenant, inactive ones too.
		_, err = w.svc.Messenger.UpdateGroup(admin, g.ID, chat.GroupInput{Name: "Payroll", Active: false})
		msNoErr(t, "deactivate", err)
		all, err := w.svc.Messenger.Groups(admin, chat.Page{})
		msNoErr(t, "admin Groups", err)
		if len(all) != 2 {
			t.Fatalf("admin sees %d groups, want 2", len(all))
		}
		gs, err = w.svc.Messenger.Groups(w.as(t, a.EmployeeB), chat.Page{})
		msNoErr(t, "Groups", err)
		if len(gs) != 0 {
			t.Fatalf("inactive group listed: %+v", gs)
		}
		_, err = w.svc.Messenger.GroupMembers(w.as(t, a.member), g.ID)
		msWant(t, "members of inactive group", err, chat.ENotFound)

		// Paging a member's list skips inactive groups without ending early.
		later := a.NewGroup(t, "later", a.EmployeeB.ID)
		var pages [][]int64
		for page := (chat.Page{Limit: 1}); ; {
			gs, err := w.svc.Messenger.Groups(w.as(t, a.EmployeeB), page)
			msNoErr(t, "Groups page", err)
			if len(gs) == 0 {
				break
			}
			pages = append(pages, []int64{gs[0].ID})
			page.After = gs[len(gs)-1].ID
		}
		if len(pages) != 1 || pages[0][0] != later.ID {
			t.Fatalf("pages %v, want [[%d]]", pages, later.ID)
		}
	})
}

func TestMessengerTopicSettings(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		mgr := w.as(t, a.mgr)
		for _, tc := range []struct {
			in   chat.TopicInput
			code string
		}{
			{chat.TopicInput{Name: "ok", NotifyInterval: 0}, ""},
			{chat.TopicInput{Name: "week", NotifyInterval: chat.MaxNotifyInterval, EmailNotify: true}, ""},
			{chat.TopicInput{Name: "too long", NotifyInterval: chat.MaxNotifyInterval + time.Second}, chat.EInvalid},
			{chat.TopicInput{Name: "negative", NotifyInterval: -time.Minute}, chat.EInvalid},
			{chat.TopicInput{Name: "fraction", NotifyInterval: 1500 * time.Millisecond}, chat.EInvalid},
			{chat.TopicInput{Name: "\t"}, chat.EInvalid},
		} {
			tc.in.Active = true
			tp, err := w.svc.Messenger.CreateTopic(mgr, a.group.ID, tc.in)
			msWant(t, "CreateTopic "+tc.in.Name, err, tc.code)
			if err == nil && (tp.NotifyInterval != tc.in.NotifyInterval || tp.EmailNotify != tc.in.EmailNotify) {
				t.Fatalf("created %+v from %+v", tp, tc.in)
			}
		}
		evs := w.pub.take()
		if _, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventTopic); !ok {
			t.Fatalf("no topic.changed for the member: %+v", evs)
		}
		tp, err := w.svc.Messenger.UpdateTopic(mgr, a.topic.ID, chat.TopicInput{Name: "Payments processing", EmailNotify: true,
			NotifyInterval: 30 * time.Minute, Active: true})
		msNoErr(t, "UpdateTopic", err)
		got, err := w.svc.Messenger.Topic(w.as(t, a.member), a.topic.ID)
		msNoErr(t, "Topic", err)
		if got.Topic.Name != "Payments processing" || got.Topic.NotifyInterval != 30*time.Minute || !got.Topic.EmailNotify {
			t.Fatalf("topic after update %+v", got.Topic)
		}
		evs = w.pub.take()
		if ev, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventTopic); !ok || ev.Data.(chat.Topic).Name != tp.Name {
			t.Fatalf("rename not published to members: %+v", evs)
		}
	})
}

func TestMessengerTopicDeactivation(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		mgr, member := w.as(t, a.mgr), w.as(t, a.member)
		ch := chat.TopicChannel(a.topic.ID)
		_, err := w.svc.Messages.Publish(member, chat.PublishInput{Channel: ch, Body: "before"})
		msNoErr(t, "Publish", err)
		w.pub.take()

		off := chat.TopicInput{Name: a.topic.Name, Active: false}
		_, err = w.svc.Messenger.UpdateTopic(mgr, a.topic.ID, off)
		msNoErr(t, "deactivate", err)
		evs := w.pub.take()
		if _, ok := findEvent(evs, ch, chat.EventTopicRemoved); !ok {
			t.Fatalf("no topic.removed on %s: %+v", ch, evs)
		}
		if _, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventTopicRemoved); !ok {
			t.Fatalf("no topic.removed for the member: %+v", evs)
		}
		for _, ctx := range []context.Context{member, mgr, w.as(t, a.Admin)} {
			_, err = w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "after"})
			msWant(t, "post to inactive topic", err, chat.ENotFound)
			_, err = w.svc.Messages.History(ctx, ch, 0, 10)
			msWant(t, "history of inactive topic", err, chat.ENotFound)
			msWant(t, "subscribe to inactive topic", w.svc.Messages.Authorize(ctx, ch), chat.ENotFound)
			gvs, err := w.svc.Messenger.Topics(ctx)
			msNoErr(t, "Topics", err)
			if slices.Contains(topicIDs(gvs), a.topic.ID) {
				t.Fatal("inactive topic listed")
			}
		}
		// Its managers still find it to turn it back on; the data stayed.
		all, err := w.svc.Messenger.GroupTopics(mgr, a.group.ID)
		msNoErr(t, "GroupTopics", err)
		if len(all) != 1 || all[0].Active {
			t.Fatalf("GroupTopics %+v", all)
		}
		_, err = w.svc.Messenger.GroupTopics(member, a.group.ID)
		msWant(t, "GroupTopics by a member", err, chat.EForbidden)
		off.Active = true
		_, err = w.svc.Messenger.UpdateTopic(mgr, a.topic.ID, off)
		msNoErr(t, "reactivate", err)
		msgs, err := w.svc.Messages.History(member, ch, 0, 10)
		msNoErr(t, "History", err)
		if len(msgs) != 1 || msgs[0].Body != "before" {
			t.Fatalf("history after reactivation %+v", msgs)
		}
		if _, ok := findEvent(w.pub.take(), chat.UserChannel(a.member.ID), chat.EventTopic); !ok {
			t.Fatal("reactivation not published to members")
		}

		// An inactive group hides all its topics.
		admin := w.as(t, a.Admin)
		_, err = w.svc.Messenger.UpdateGroup(admin, a.group.ID, chat.GroupInput{Name: a.group.Name, Active: false})
		msNoErr(t, "deactivate group", err)
		evs = w.pub.take()
		if _, ok := findEvent(evs, ch, chat.EventTopicRemoved); !ok {
			t.Fatalf("group deactivation did not end topic subscriptions: %+v", evs)
		}
		if _, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventGroupRemoved); !ok {
			t.Fatalf("no group.removed for the member: %+v", evs)
		}
		msWant(t, "subscribe in inactive group", w.svc.Messages.Authorize(member, ch), chat.ENotFound)
		_, err = w.svc.Messenger.CreateTopic(mgr, a.group.ID, chat.TopicInput{Name: "new", Active: true})
		msWant(t, "create topic in inactive group", err, chat.ENotFound)
		gvs, err := w.svc.Messenger.Topics(member)
		msNoErr(t, "Topics", err)
		if len(gvs) != 0 {
			t.Fatalf("inactive group listed: %+v", gvs)
		}
	})
}

func TestMessengerMembershipLive(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		admin, outsider := w.as(t, a.Admin), w.as(t, a.outsider)
		ch := chat.TopicChannel(a.topic.ID)
		msWant(t, "outsider subscribes", w.svc.Messages.Authorize(outsider, ch), chat.ENotFound)

		_, err := w.svc.Messenger.SetGroupMembers(admin, a.group.ID, []int64{a.mgr.ID, a.member.ID, a.outsider.ID})
		msNoErr(t, "add", err)
		evs := w.pub.take()
		if _, ok := findEvent(evs, chat.UserChannel(a.outsider.ID), chat.EventGroup); !ok {
			t.Fatalf("new member not told: %+v", evs)
		}
		// The same principal (no new login) now sees the topics.
		gvs, err := w.svc.Messenger.Topics(outsider)
		msNoErr(t, "Topics", err)
		if !slices.Contains(topicIDs(gvs), a.topic.ID) {
			t.Fatalf("new member does not see the topic: %+v", gvs)
		}
		msNoErr(t, "new member subscribes", w.svc.Messages.Authorize(outsider, ch))

		_, err = w.svc.Messenger.SetGroupMembers(admin, a.group.ID, []int64{a.mgr.ID, a.outsider.ID})
		msNoErr(t, "remove", err)
		evs = w.pub.take()
		if _, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventGroupRemoved); !ok {
			t.Fatalf("removed member not told: %+v", evs)
		}
		ev, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventAccessRevoked)
		if !ok || !slices.Contains(ev.Data.(chat.RevokedChannels).Channels, ch) {
			t.Fatalf("access.revoked missing the topic channel: %+v", evs)
		}
		if _, ok := findEvent(evs, chat.UserChannel(a.outsider.ID), chat.EventAccessRevoked); ok {
			t.Fatal("a remaining member was revoked")
		}
		msWant(t, "removed member subscribes", w.svc.Messages.Authorize(w.as(t, a.member), ch), chat.ENotFound)
	})
}

func TestMessengerUnreadAndMentions(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		mgr, member := w.as(t, a.mgr), w.as(t, a.member)
		second, err := w.svc.Messenger.CreateTopic(mgr, a.group.ID, chat.TopicInput{Name: "second", Active: true})
		msNoErr(t, "CreateTopic", err)
		ch, ch2 := chat.TopicChannel(a.topic.ID), chat.TopicChannel(second.ID)
		post := func(ctx context.Context, ch chat.Channel, body string, mentions ...int64) chat.Message {
			t.Helper()
			m, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: body, Mentions: mentions})
			msNoErr(t, "Publish", err)
			return m
		}
		post(mgr, ch, "one")
		m2 := post(mgr, ch, "two")
		m3 := post(mgr, ch, "three", a.member.ID)
		post(member, ch, "mine") // the reader's own messages are not unread
		post(mgr, ch2, "elsewhere")
		_, err = w.svc.Messages.DeleteMessage(mgr, m2.ID)
		msNoErr(t, "DeleteMessage", err)

		unread := func() (topic, other, group int64) {
			t.Helper()
			gvs, err := w.svc.Messenger.Topics(member)
			msNoErr(t, "Topics", err)
			if len(gvs) != 1 {
				t.Fatalf("groups %+v", gvs)
			}
			for _, tv := range gvs[0].Topics {
				switch tv.Topic.ID {
				case a.topic.ID:
					topic = tv.Unread
				case second.ID:
					other = tv.Unread
				}
			}
			return topic, other, gvs[0].Unread
		}
		if tp, other, g := unread(); tp != 2 || other != 1 || g != 3 {
			t.Fatalf("unread = %d, %d, group %d; want 2, 1, 3", tp, other, g)
		}
		w.pub.take()
		seq, err := w.svc.Messenger.MarkTopicRead(member, a.topic.ID, 0)
		msNoErr(t, "MarkTopicRead", err)
		if ev, ok := findEvent(w.pub.take(), chat.UserChannel(a.member.ID), chat.EventRead); !ok || ev.Data.(chat.ReadState).Seq != seq {
			t.Fatal("read state not sent to the reader's other devices")
		}
		// An edit after reading is not a new unread message.
		_, err = w.svc.Messages.EditMessage(mgr, m3.ID, "three, edited")
		msNoErr(t, "EditMessage", err)
		if tp, other, g := unread(); tp != 0 || other != 1 || g != 1 {
			t.Fatalf("after read: %d, %d, group %d; want 0, 1, 1", tp, other, g)
		}
		msNoErr(t, "MarkGroupRead", w.svc.Messenger.MarkGroupRead(member, a.group.ID))
		if _, _, g := unread(); g != 0 {
			t.Fatalf("after group read: %d", g)
		}
		tv, err := w.svc.Messenger.Topic(member, second.ID)
		msNoErr(t, "Topic", err)
		if tv.Unread != 0 || tv.ReadSeq != tv.Topic.LastSeq {
			t.Fatalf("Topic view %+v", tv)
		}

		// Mentions must name readers of the topic.
		_, err = w.svc.Messages.Publish(mgr, chat.PublishInput{Channel: ch, Body: "hi", Mentions: []int64{a.outsider.ID}})
		msWant(t, "mention of an outsider", err, chat.EInvalid)
		_, err = w.svc.Messages.Publish(mgr, chat.PublishInput{Channel: ch, Body: "hi", Mentions: []int64{w.b.member.ID}})
		msWant(t, "mention of another tenant's user", err, chat.EInvalid)
		// One outbox job per message with a mention (UserID 0: the notifier
		// expands recipients).
		now := chat.SystemClock{}.Now()
		jobs, err := w.st.NotifyJobClaim(t.Context(), now.Add(time.Hour), now.Add(2*time.Hour), 100)
		msNoErr(t, "NotifyJobClaim", err)
		var mentionJobs int
		for _, j := range jobs {
			if j.TenantID == a.Tenant.ID && j.Reason == chat.ReasonMention && j.UserID == 0 {
				mentionJobs++
			}
		}
		if mentionJobs != 1 {
			t.Fatalf("mention jobs = %d, want 1 (jobs %+v)", mentionJobs, jobs)
		}
	})
}

func TestMessengerSwitch(t *testing.T) {
	t.Parallel()
	onMsEngines(t, func(t *testing.T, w *msWorld) {
		a := w.a
		member, admin := w.as(t, a.member), w.as(t, a.Admin)
		ch := chat.TopicChannel(a.topic.ID)
		_, err := w.svc.Messages.Publish(member, chat.PublishInput{Channel: ch, Body: "kept"})
		msNoErr(t, "Publish", err)
		setEnabled := func(on bool) {
			t.Helper()
			tn, err := w.st.TenantGet(t.Context(), a.Tenant.ID)
			msNoErr(t, "TenantGet", err)
			tn.Settings.MessengerEnabled = on
			msNoErr(t, "TenantUpdate", w.st.TenantUpdate(t.Context(), tn))
			w.pub.take()
			msNoErr(t, "MessengerEnabledChanged", w.svc.MessengerEnabledChanged(t.Context(), a.Tenant.ID, on))
		}
		setEnabled(false)
		evs := w.pub.take()
		if _, ok := findEvent(evs, ch, chat.EventTopicRemoved); !ok {
			t.Fatalf("disabling did not end topic subscriptions: %+v", evs)
		}
		if ev, ok := findEvent(evs, chat.UserChannel(a.member.ID), chat.EventTenant); !ok || ev.Data.(chat.TenantChangedData).MessengerEnabled {
			t.Fatalf("no tenant.changed for the member: %+v", evs)
		}
		if _, ok := findEvent(evs, chat.UserChannel(w.b.member.ID), chat.EventTenant); ok {
			t.Fatal("another tenant's user was told")
		}
		for _, ctx := range []context.Context{member, admin} {
			_, err = w.svc.Messenger.Groups(ctx, chat.Page{})
			msWant(t, "Groups", err, chat.ENotFound)
			_, err = w.svc.Messenger.Group(ctx, a.group.ID)
			msWant(t, "Group", err, chat.ENotFound)
			_, err = w.svc.Messenger.GroupMembers(ctx, a.group.ID)
			msWant(t, "GroupMembers", err, chat.ENotFound)
			gvs, err := w.svc.Messenger.Topics(ctx)
			if err != nil || len(gvs) != 0 {
				t.Fatalf("Topics with messenger off: %v %v", gvs, err)
			}
			_, err = w.svc.Messenger.Topic(ctx, a.topic.ID)
			msWant(t, "Topic", err, chat.ENotFound)
			msWant(t, "Authorize", w.svc.Messages.Authorize(ctx, ch), chat.ENotFound)
			_, err = w.svc.Messages.History(ctx, ch, 0, 10)
			msWant(t, "History", err, chat.ENotFound)
			_, err = w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "x"})
			msWant(t, "Publish", err, chat.ENotFound)
			_, err = w.svc.Messenger.MarkTopicRead(ctx, a.topic.ID, 0)
			msWant(t, "MarkTopicRead", err, chat.ENotFound)
			hits, err := w.svc.Messages.Search(ctx, "kept", 10)
			if err != nil || len(hits) != 0 {
				t.Fatalf("Search with messenger off: %v %v", hits, err)
			}
		}
		_, err = w.svc.Messenger.CreateGroup(admin, chat.GroupInput{Name: "x", Active: true})
		msWant(t, "CreateGroup", err, chat.ENotFound)
		_, err = w.svc.Messenger.CreateTopic(w.as(t, a.mgr), a.group.ID, chat.TopicInput{Name: "x", Active: true})
		msWant(t, "CreateTopic", err, chat.ENotFound)
		// The other tenant is unaffected.
		msNoErr(t, "other tenant", w.svc.Messages.Authorize(w.as(t, w.b.member), chat.TopicChannel(w.b.topic.ID)))

		setEnabled(true)
		if _, ok := findEvent(w.pub.take(), chat.UserChannel(a.member.ID), chat.EventTenant); !ok {
			t.Fatal("enabling not told")
		}
		msgs, err := w.svc.Messages.History(member, ch, 0, 10)
		msNoErr(t, "History", err)
		if len(msgs) != 1 || msgs[0].Body != "kept" {
			t.Fatalf("data after re-enabling: %+v", msgs)
		}
	})
}
