package chat_test

import (
	"slices"
	"testing"
	"time"

	"parley/chat"
)

func TestDecideEmailTopic(t *testing.T) {
	t.Parallel()
	const interval = 10 * time.Minute
	prev := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return prev.Add(d) }
	// base is an offline member who may read, has email on, and has not
	// read the message: the interval has passed exactly.
	base := chat.DeliveryFacts{
		Reason: chat.ReasonTopicMessage, RecipientID: 2, AuthorID: 1,
		TopicEmailNotify: true, TopicInterval: interval, MessageAt: at(interval), PrevMessageAt: &prev,
		CanRead: true, ChannelOn: true,
	}
	with := func(change func(f *chat.DeliveryFacts)) chat.DeliveryFacts {
		f := base
		change(&f)
		return f
	}
	for _, tc := range []struct {
		name  string
		facts chat.DeliveryFacts
		want  chat.NotifyOutcome
	}{
		{"interval minus one second", with(func(f *chat.DeliveryFacts) { f.MessageAt = at(interval - time.Second) }), chat.OutcomeInterval},
		{"exactly the interval", base, chat.OutcomeSent},
		{"interval plus one second", with(func(f *chat.DeliveryFacts) { f.MessageAt = at(interval + time.Second) }), chat.OutcomeSent},
		{"no previous message", with(func(f *chat.DeliveryFacts) { f.PrevMessageAt = nil; f.MessageAt = prev }), chat.OutcomeSent},
		{"zero interval right after another", with(func(f *chat.DeliveryFacts) { f.TopicInterval = 0; f.MessageAt = prev }), chat.OutcomeSent},
		{"notifications off", with(func(f *chat.DeliveryFacts) { f.TopicEmailNotify = false }), chat.OutcomeTopicOff},
		{"notifications off beats interval", with(func(f *chat.DeliveryFacts) {
			f.TopicEmailNotify = false
			f.MessageAt = at(time.Second)
		}), chat.OutcomeTopicOff},
		{"author", with(func(f *chat.DeliveryFacts) { f.RecipientID = f.AuthorID }), chat.OutcomeAuthor},
		{"author even when mentioned", with(func(f *chat.DeliveryFacts) {
			f.Reason = chat.ReasonMention
			f.RecipientID = f.AuthorID
		}), chat.OutcomeAuthor},
		{"mention inside the interval", with(func(f *chat.DeliveryFacts) {
			f.Reason = chat.ReasonMention
			f.MessageAt = at(interval - time.Second)
		}), chat.OutcomeSent},
		{"mention with notifications off", with(func(f *chat.DeliveryFacts) {
			f.Reason = chat.ReasonMention
			f.TopicEmailNotify = false
		}), chat.OutcomeSent},
		{"mention while online gets in-app only", with(func(f *chat.DeliveryFacts) {
			f.Reason = chat.ReasonMention
			f.Online = true
			f.InApp = true
		}), chat.OutcomeInApp},
		{"mention while muted", with(func(f *chat.DeliveryFacts) {
			f.Reason = chat.ReasonMention
			f.Muted = true
		}), chat.OutcomeMuted},
		{"muted", with(func(f *chat.DeliveryFacts) { f.Muted = true }), chat.OutcomeMuted},
		{"preference off", with(func(f *chat.DeliveryFacts) { f.ChannelOn = false }), chat.OutcomePreference},
		{"online", with(func(f *chat.DeliveryFacts) { f.Online = true }), chat.OutcomeOnline},
		{"read", with(func(f *chat.DeliveryFacts) { f.Read = true }), chat.OutcomeRead},
		{"read and online says read", with(func(f *chat.DeliveryFacts) { f.Read = true; f.Online = true }), chat.OutcomeRead},
		{"no access", with(func(f *chat.DeliveryFacts) { f.CanRead = false }), chat.OutcomeNoAccess},
		{"interval beats mute", with(func(f *chat.DeliveryFacts) {
			f.MessageAt = at(time.Second)
			f.Muted = true
		}), chat.OutcomeInterval},
	} {
		if got := chat.DecideDelivery(tc.facts); got != tc.want {
			t.Errorf("%s: DecideEmail = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestDecideEmailConversation(t *testing.T) {
	t.Parallel()
	base := chat.DeliveryFacts{Reason: chat.ReasonCustomerMessage, RecipientID: 2, AuthorID: 1,
		MessageAt: time.Now(), CanRead: true, ChannelOn: true, InApp: true}
	for _, tc := range []struct {
		name   string
		change func(f *chat.DeliveryFacts)
		want   chat.NotifyOutcome
	}{
		{"offline", func(*chat.DeliveryFacts) {}, chat.OutcomeSent},
		{"online gets the in-app notification only", func(f *chat.DeliveryFacts) { f.Online = true }, chat.OutcomeInApp},
		// Topic settings never apply to conversations.
		{"topic settings ignored", func(f *chat.DeliveryFacts) { f.TopicEmailNotify = false; f.TopicInterval = time.Hour }, chat.OutcomeSent},
		{"read", func(f *chat.DeliveryFacts) { f.Read = true }, chat.OutcomeRead},
		{"muted", func(f *chat.DeliveryFacts) { f.Muted = true }, chat.OutcomeMuted},
		{"preference off", func(f *chat.DeliveryFacts) { f.ChannelOn = false }, chat.OutcomePreference},
		{"lost access", func(f *chat.DeliveryFacts) { f.CanRead = false }, chat.OutcomeNoAccess},
	} {
		f := base
		tc.change(&f)
		if got := chat.DecideDelivery(f); got != tc.want {
			t.Errorf("%s: DecideEmail = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestIntervalPassed(t *testing.T) {
	t.Parallel()
	prev := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		since time.Duration
		want  bool
	}{{5*time.Minute - time.Second, false}, {5 * time.Minute, true}, {5*time.Minute + time.Second, true}, {0, false}} {
		if got := chat.IntervalPassed(&prev, prev.Add(tc.since), 5*time.Minute); got != tc.want {
			t.Errorf("IntervalPassed after %v = %v, want %v", tc.since, got, tc.want)
		}
	}
	if !chat.IntervalPassed(nil, prev, time.Hour) {
		t.Error("the first message of a topic must pass any interval")
	}
}

func TestTopicRecipients(t *testing.T) {
	t.Parallel()
	members := []int64{1, 2, 3}
	got := chat.TopicRecipients(members, true, []int64{3})
	want := []chat.Recipient{{1, chat.ReasonTopicMessage}, {2, chat.ReasonTopicMessage}, {3, chat.ReasonMention}}
	if !slices.Equal(got, want) {
		t.Errorf("emailing topic: %v, want %v", got, want)
	}
	got = chat.TopicRecipients(members, false, []int64{3, 9})
	want = []chat.Recipient{{3, chat.ReasonMention}}
	if !slices.Equal(got, want) {
		t.Errorf("quiet topic with mentions: %v, want %v (non-members are dropped)", got, want)
	}
	if got := chat.TopicRecipients(members, false, nil); len(got) != 0 {
		t.Errorf("quiet topic without mentions: %v, want none", got)
	}
}

func TestConversationRecipients(t *testing.T) {
	t.Parallel()
	id := func(v int64) *int64 { return &v }
	const creator, handler, assignee, admin, related, roleA, roleB, tadmin = 1, 2, 3, 4, 5, 6, 7, 8
	conv := chat.Conversation{CreatorID: creator, HandlerID: id(handler), CustomerAssigneeID: id(assignee),
		AdminID: id(admin), RelatedUserID: id(related)}
	parties := chat.ConversationParties{Conversation: conv, RoleMemberIDs: []int64{roleA, roleB, related, handler},
		TenantAdminIDs: []int64{tadmin, admin}}
	unhandled := parties
	unhandled.Conversation.HandlerID = nil
	unhandled.Conversation.AdminID = nil
	for _, tc := range []struct {
		name     string
		reason   chat.NotifyReason
		parties  chat.ConversationParties
		author   int64
		mentions []int64
		want     []int64
	}{
		{"new conversation", chat.ReasonNewConversation, parties, creator, nil, []int64{roleA, roleB, handler, assignee, admin}},
		{"answered", chat.ReasonAnswered, parties, handler, nil, []int64{creator, assignee}},
		{"answered by the assignee", chat.ReasonAnswered, parties, assignee, nil, []int64{creator}},
		{"customer message", chat.ReasonCustomerMessage, parties, creator, nil, []int64{handler, admin}},
		{"customer message, nobody handles", chat.ReasonCustomerMessage, unhandled, creator, nil, []int64{roleA, roleB, handler}},
		{"notify admins", chat.ReasonNotifyAdmins, parties, handler, nil, []int64{tadmin, admin}},
		{"external email has no users", chat.ReasonExternalEmail, parties, handler, nil, nil},
		{"related person never, even mentioned", chat.ReasonAnswered, parties, handler, []int64{related, roleA}, []int64{creator, assignee, roleA}},
	} {
		got := chat.ConversationRecipients(tc.reason, tc.parties, tc.author, tc.mentions)
		var ids []int64
		for _, r := range got {
			ids = append(ids, r.UserID)
			wantReason := tc.reason
			if slices.Contains(tc.mentions, r.UserID) {
				wantReason = chat.ReasonMention
			}
			if r.Reason != wantReason {
				t.Errorf("%s: user %d has reason %s, want %s", tc.name, r.UserID, r.Reason, wantReason)
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: recipients %v, want %v", tc.name, ids, tc.want)
		}
	}
}

func TestInAppFor(t *testing.T) {
	t.Parallel()
	for reason, want := range map[chat.NotifyReason]bool{
		chat.ReasonTopicMessage: false, chat.ReasonExternalEmail: false, chat.ReasonMention: true,
		chat.ReasonNewConversation: true, chat.ReasonAnswered: true, chat.ReasonCustomerMessage: true, chat.ReasonNotifyAdmins: true,
	} {
		if got := chat.InAppFor(reason); got != want {
			t.Errorf("InAppFor(%s) = %v, want %v", reason, got, want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	for attempts, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 7: time.Hour, 50: time.Hour} {
		if got := chat.RetryDelay(attempts, time.Minute, time.Hour); got != want {
			t.Errorf("RetryDelay(%d) = %v, want %v", attempts, got, want)
		}
	}
}
