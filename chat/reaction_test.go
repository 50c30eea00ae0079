package chat_test

import (
	"slices"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// TestReactions: toggling on a topic message, who reacted with names, the
// sequenced message.reacted event (replayed with the current reactions),
// idempotence, the emoji set, the per-message limit, deleted messages,
// and that nobody who cannot read the thread can react or see them.
func TestReactions(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		g := a.NewGroup(t, "react", a.EmployeeA.ID, a.Manager.ID)
		tp := a.NewTopic(t, g.ID, "reactions")
		ch := chat.TopicChannel(tp.ID)
		emma, matti := w.as(t, a.EmployeeA), w.as(t, a.Manager)
		m, err := w.svc.Messages.Publish(emma, chat.PublishInput{Channel: ch, Body: "lunch?", ClientMsgID: "r1"})
		storetest.NoErr(t, err, "Publish")
		w.pub.take()

		got, err := w.svc.Messages.React(matti, m.ID, "👍", true)
		storetest.NoErr(t, err, "React")
		wantReactions(t, got, "👍", a.Manager)
		if got.Reactions[0].Users[0].Name != a.Manager.Name {
			t.Fatalf("reactor name = %q, want %q", got.Reactions[0].Users[0].Name, a.Manager.Name)
		}
		evs := w.pub.of(chat.EventMessageReacted)
		if len(evs) != 1 || evs[0].Channel != ch || evs[0].Seq != m.Seq+1 {
			t.Fatalf("message.reacted events = %+v", evs)
		}
		w.pub.take()

		// Again: nothing changes, nothing is published.
		_, err = w.svc.Messages.React(matti, m.ID, "👍", true)
		storetest.NoErr(t, err, "React again")
		if evs := w.pub.of(chat.EventMessageReacted); len(evs) != 0 {
			t.Fatalf("an unchanged reaction published %+v", evs)
		}
		got, err = w.svc.Messages.React(emma, m.ID, "👍", true)
		storetest.NoErr(t, err, "React by the author")
		wantReactions(t, got, "👍", a.Manager, a.EmployeeA)

		// History and the replay carry the current reactions.
		hist, err := w.svc.Messages.History(emma, ch, 0, 10)
		storetest.NoErr(t, err, "History")
		wantReactions(t, hist[0], "👍", a.Manager, a.EmployeeA)
		replay, _, err := w.svc.Messages.Events(emma, ch, m.Seq, 10)
		storetest.NoErr(t, err, "Events")
		if len(replay) != 2 || replay[0].Type != chat.EventMessageReacted {
			t.Fatalf("replay = %+v", replay)
		}
		wantReactions(t, replay[1].Message, "👍", a.Manager, a.EmployeeA)

		// Removing.
		got, err = w.svc.Messages.React(matti, m.ID, "👍", false)
		storetest.NoErr(t, err, "React remove")
		wantReactions(t, got, "👍", a.EmployeeA)
		got, err = w.svc.Messages.React(emma, m.ID, "👍", false)
		storetest.NoErr(t, err, "React remove the last")
		if len(got.Reactions) != 0 {
			t.Fatalf("after removing all: %+v", got.Reactions)
		}

		// Only the set; at most MaxReactionKinds kinds.
		for _, bad := range []string{"", "x", "👍👍", "<b>", "🤡"} {
			_, err := w.svc.Messages.React(emma, m.ID, bad, true)
			storetest.WantCode(t, err, chat.EInvalid)
		}
		for _, emo := range chat.ReactionEmoji[:chat.MaxReactionKinds] {
			_, err := w.svc.Messages.React(emma, m.ID, emo, true)
			storetest.NoErr(t, err, "React "+emo)
		}
		_, err = w.svc.Messages.React(matti, m.ID, chat.ReactionEmoji[chat.MaxReactionKinds], true)
		storetest.WantCode(t, err, chat.EInvalid)
		_, err = w.svc.Messages.React(matti, m.ID, chat.ReactionEmoji[0], true)
		storetest.NoErr(t, err, "React with a kind already there")

		// Who cannot read the topic can neither react nor see reactions.
		for _, u := range []chat.User{a.EmployeeB, w.b.EmployeeA} {
			_, err := w.svc.Messages.React(w.as(t, u), m.ID, "👍", true)
			storetest.WantCode(t, err, chat.ENotFound)
			_, err = w.svc.Messages.History(w.as(t, u), ch, 0, 10)
			storetest.WantCode(t, err, chat.ENotFound)
		}

		// A deleted message keeps no reactions and takes none.
		_, err = w.svc.Messages.DeleteMessage(emma, m.ID)
		storetest.NoErr(t, err, "DeleteMessage")
		_, err = w.svc.Messages.React(matti, m.ID, "👍", true)
		storetest.WantCode(t, err, chat.EConflict)
		hist, err = w.svc.Messages.History(emma, ch, 0, 10)
		storetest.NoErr(t, err, "History")
		if len(hist[0].Reactions) != 0 {
			t.Fatalf("a tombstone shows reactions %+v", hist[0].Reactions)
		}
	})
}

// TestReactionsConversation: on a support conversation the read rule is
// the conversation's: its creator and handlers react, an employee of
// another company cannot, and a status event takes none.
func TestReactionsConversation(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		w.setVisibility(t, a, true)
		v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{})
		ch := chat.ConversationChannel(v.ID)
		hist, err := w.svc.Messages.History(w.as(t, a.EmployeeA), ch, 0, 10)
		storetest.NoErr(t, err, "History")
		first := hist[len(hist)-1]
		got, err := w.svc.Messages.React(w.as(t, a.handlerA), first.ID, "🙏", true)
		storetest.NoErr(t, err, "React as handler")
		wantReactions(t, got, "🙏", a.handlerA)
		_, err = w.svc.Messages.React(w.as(t, a.EmployeeB), first.ID, "🙏", true)
		storetest.WantCode(t, err, chat.ENotFound)

		_, err = w.svc.Conversations.TakeConversation(w.as(t, a.handlerA), v.ID)
		storetest.NoErr(t, err, "TakeConversation")
		hist, err = w.svc.Messages.History(w.as(t, a.EmployeeA), ch, 0, 10)
		storetest.NoErr(t, err, "History")
		i := slices.IndexFunc(hist, func(m chat.Message) bool { return m.Kind == chat.MessageStatus })
		if i < 0 {
			t.Fatal("no status event after taking")
		}
		_, err = w.svc.Messages.React(w.as(t, a.EmployeeA), hist[i].ID, "👍", true)
		storetest.WantCode(t, err, chat.EInvalid)
	})
}

func wantReactions(t *testing.T, m chat.Message, emoji string, users ...chat.User) {
	t.Helper()
	if len(m.Reactions) != 1 || m.Reactions[0].Emoji != emoji || m.Reactions[0].Count != len(users) {
		t.Fatalf("reactions = %+v, want %s by %d", m.Reactions, emoji, len(users))
	}
	for i, u := range users {
		if got := m.Reactions[0].Users[i]; got.ID != u.ID || got.Name != u.Name {
			t.Fatalf("reactor %d = %+v, want %d %q", i, got, u.ID, u.Name)
		}
	}
}
