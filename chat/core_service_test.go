package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"parley/chat"
	"parley/storage/storetest"
)

type coreWorld struct {
	svc   *chat.Service
	f     *storetest.Fixture
	pub   *recorder
	clock *fakeClock
	topic chat.Topic
	// member and other are in the topic's group; outsider is not.
	member, other, outsider chat.User
}

func newCoreWorld(t *testing.T, st chat.Store) *coreWorld {
	f := storetest.NewFixture(t, st, "core")
	w := &coreWorld{f: f, pub: &recorder{}, clock: &fakeClock{now: storetest.Now()}}
	w.svc = chat.NewService(chat.Config{Store: st, Publisher: w.pub, Clock: w.clock})
	w.member, w.other, w.outsider = f.EmployeeA, f.Manager, f.EmployeeB
	g := f.NewGroup(t, "core group", w.member.ID, w.other.ID, f.Admin.ID)
	w.topic = f.NewTopic(t, g.ID, "core topic")
	return w
}

func (w *coreWorld) as(t *testing.T, u chat.User) context.Context {
	t.Helper()
	return actingAs(t, w.svc, u)
}

func onCoreEngines(t *testing.T, fn func(t *testing.T, w *coreWorld)) {
	onEngines(t, func(t *testing.T, e engine) { fn(t, newCoreWorld(t, e.open(t))) })
}

// wantGapFreeReplay fails t unless ch replays exactly n events with the
// seqs 1 to n, each carrying its own message, and returns them.
func (w *coreWorld) wantGapFreeReplay(t *testing.T, ch chat.Channel, n int) []chat.ChannelEvent {
	t.Helper()
	evs, last, err := w.svc.Messages.Events(w.as(t, w.member), ch, 0, chat.MaxReplayPage)
	coreNoErr(t, err, "events")
	if last != int64(n) || len(evs) != n {
		t.Fatalf("last seq %d, %d events; want %d", last, len(evs), n)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Message.Seq != ev.Seq {
			t.Fatalf("event %d: seq %d message seq %d", i, ev.Seq, ev.Message.Seq)
		}
	}
	return evs
}

func coreNoErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestPublishSequenceAndIdempotency(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		ctx := w.as(t, w.member)
		m1, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "hello", ClientMsgID: "c-1"})
		coreNoErr(t, err, "publish")
		if m1.Seq != 1 || m1.AuthorName != w.member.Name || m1.ID == 0 {
			t.Fatalf("first message = %+v", m1)
		}
		again, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "hello", ClientMsgID: "c-1"})
		coreNoErr(t, err, "retry")
		if again.ID != m1.ID || again.Seq != 1 {
			t.Fatalf("retry stored a new message: %+v", again)
		}
		// The retry publishes the stored event again, same seq and
		// message: the first attempt may have died before publishing.
		if evs := w.pub.of(chat.EventMessageNew); len(evs) != 2 || evs[1].Seq != 1 || evs[1].Data.(chat.Message).ID != m1.ID {
			t.Fatalf("retry: published %+v, want the original event twice", evs)
		}
		m2, err := w.svc.Messages.Publish(w.as(t, w.other), chat.PublishInput{Channel: ch, Body: "hi", ClientMsgID: "c-1"})
		coreNoErr(t, err, "same client id by another author")
		if m2.Seq != 2 {
			t.Fatalf("second seq = %d", m2.Seq)
		}
		evs, last, err := w.svc.Messages.Events(ctx, ch, 0, 0)
		coreNoErr(t, err, "events")
		if last != 2 || len(evs) != 2 || evs[0].Message.ID != m1.ID || evs[1].Seq != 2 || evs[1].Message.AuthorName != w.other.Name {
			t.Fatalf("events = %+v last %d", evs, last)
		}
	})
}

func TestPublishRejectsBadInput(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		ctx := w.as(t, w.member)
		for _, tc := range []struct {
			name string
			in   chat.PublishInput
			code string
		}{
			{"empty", chat.PublishInput{Channel: ch, Body: "  \n"}, chat.EInvalid},
			{"too large", chat.PublishInput{Channel: ch, Body: string(make([]byte, chat.MaxBodyBytes+1))}, chat.ETooLarge},
			{"bad utf8", chat.PublishInput{Channel: ch, Body: "\xff"}, chat.EInvalid},
			{"user channel", chat.PublishInput{Channel: chat.UserChannel(w.member.ID), Body: "x"}, chat.EInvalid},
			{"long client id", chat.PublishInput{Channel: ch, Body: "x", ClientMsgID: string(make([]byte, 65))}, chat.EInvalid},
			{"unknown topic", chat.PublishInput{Channel: chat.TopicChannel(w.topic.ID + 1000), Body: "x"}, chat.ENotFound},
			{"mention outsider", chat.PublishInput{Channel: ch, Body: "x", Mentions: []int64{w.outsider.ID}}, chat.EInvalid},
			{"reply to unknown", chat.PublishInput{Channel: ch, Body: "x", ReplyToID: ptrTo(int64(999999))}, chat.EInvalid},
			{"foreign attachment", chat.PublishInput{Channel: ch, Body: "x", AttachmentIDs: []int64{999999}}, chat.EInvalid},
		} {
			if _, err := w.svc.Messages.Publish(ctx, tc.in); chat.ErrorCode(err) != tc.code {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
			}
		}
		if _, err := w.svc.Messages.Publish(w.as(t, w.outsider), chat.PublishInput{Channel: ch, Body: "x"}); !chat.IsCode(err, chat.ENotFound) {
			t.Errorf("non-member: got %v, want not_found", err)
		}
		if _, err := w.svc.Messages.Publish(t.Context(), chat.PublishInput{Channel: ch, Body: "x"}); !chat.IsCode(err, chat.EUnauthenticated) {
			t.Errorf("anonymous: got %v", err)
		}
		if _, last, _ := w.svc.Messages.Events(ctx, ch, 0, 0); last != 0 {
			t.Fatalf("rejected input wrote messages: last seq %d", last)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

func TestPublishConcurrentGapFree(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		const n = 40
		authors := []context.Context{w.as(t, w.member), w.as(t, w.other)}
		var g errgroup.Group
		for i := range n {
			g.Go(func() error {
				// Each id is sent twice: retries must not add messages.
				for range 2 {
					in := chat.PublishInput{Channel: ch, Body: "m", ClientMsgID: fmt.Sprint("id-", i)}
					if _, err := w.svc.Messages.Publish(authors[i%2], in); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		w.wantGapFreeReplay(t, ch, n)
	})
}

func TestEditDeleteAndReplay(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		mine := w.as(t, w.member)
		m, err := w.svc.Messages.Publish(mine, chat.PublishInput{Channel: ch, Body: "first"})
		coreNoErr(t, err, "publish")
		theirs, err := w.svc.Messages.Publish(w.as(t, w.other), chat.PublishInput{Channel: ch, Body: "second", ReplyToID: &m.ID})
		coreNoErr(t, err, "reply")
		if theirs.ReplyToID == nil || *theirs.ReplyToID != m.ID {
			t.Fatalf("reply_to lost: %+v", theirs)
		}
		if _, err := w.svc.Messages.EditMessage(mine, theirs.ID, "hijack"); !chat.IsCode(err, chat.EForbidden) {
			t.Fatalf("edit other's: %v", err)
		}
		if _, err := w.svc.Messages.DeleteMessage(mine, theirs.ID); !chat.IsCode(err, chat.EForbidden) {
			t.Fatalf("delete other's: %v", err)
		}
		w.clock.Advance(time.Minute)
		ed, err := w.svc.Messages.EditMessage(mine, m.ID, "first, edited")
		coreNoErr(t, err, "edit")
		if ed.Body != "first, edited" || ed.EditedAt == nil || ed.Seq != 1 {
			t.Fatalf("edited = %+v", ed)
		}
		if evs := w.pub.of(chat.EventMessageEdited); len(evs) != 1 || evs[0].Seq != 3 {
			t.Fatalf("edit event = %+v", evs)
		}
		// A tenant admin may delete anyone's topic message.
		del, err := w.svc.Messages.DeleteMessage(w.as(t, w.f.Admin), theirs.ID)
		coreNoErr(t, err, "admin delete")
		if del.DeletedAt == nil || del.Body != "" {
			t.Fatalf("tombstone = %+v", del)
		}
		if _, err := w.svc.Messages.EditMessage(w.as(t, w.other), theirs.ID, "back"); !chat.IsCode(err, chat.EConflict) {
			t.Fatalf("edit tombstone: %v", err)
		}
		// A client that had seen seq 1 gets the rest, each with current state.
		evs, last, err := w.svc.Messages.Events(mine, ch, 1, 0)
		coreNoErr(t, err, "events")
		if last != 4 || len(evs) != 3 {
			t.Fatalf("since 1: %d events, last %d", len(evs), last)
		}
		want := []chat.EventType{chat.EventMessageNew, chat.EventMessageEdited, chat.EventMessageDeleted}
		for i, ev := range evs {
			if ev.Type != want[i] || ev.Seq != int64(i+2) {
				t.Fatalf("event %d = %s seq %d", i, ev.Type, ev.Seq)
			}
		}
		if evs[0].Message.DeletedAt == nil || evs[1].Message.Body != "first, edited" {
			t.Fatalf("replay does not carry current state: %+v", evs)
		}
		hist, err := w.svc.Messages.History(mine, ch, 0, 10)
		coreNoErr(t, err, "history")
		if len(hist) != 2 || hist[0].ID != theirs.ID || hist[1].ID != m.ID {
			t.Fatalf("history newest first = %+v", hist)
		}
		older, err := w.svc.Messages.History(mine, ch, 2, 10)
		coreNoErr(t, err, "history before 2")
		if len(older) != 1 || older[0].ID != m.ID {
			t.Fatalf("history before 2 = %+v", older)
		}
	})
}

func TestReadMarkerAndTyping(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		ch := chat.TopicChannel(w.topic.ID)
		ctx := w.as(t, w.member)
		for range 3 {
			_, err := w.svc.Messages.Publish(w.as(t, w.other), chat.PublishInput{Channel: ch, Body: "x"})
			coreNoErr(t, err, "publish")
		}
		if got, err := w.svc.Messages.MarkRead(ctx, ch, 2); err != nil || got != 2 {
			t.Fatalf("mark 2: %d %v", got, err)
		}
		if got, err := w.svc.Messages.MarkRead(ctx, ch, 1); err != nil || got != 2 {
			t.Fatalf("marker went back: %d %v", got, err)
		}
		if got, err := w.svc.Messages.MarkRead(ctx, ch, 99); err != nil || got != 3 {
			t.Fatalf("marker beyond last: %d %v", got, err)
		}
		reads := w.pub.of(chat.EventRead)
		if len(reads) != 6 || reads[0].Channel != chat.UserChannel(w.member.ID) || reads[1].Channel != ch {
			t.Fatalf("read events go to the user's channel and the thread: %+v", reads)
		}
		coreNoErr(t, w.svc.Messages.Typing(ctx, ch), "typing")
		if ty := w.pub.of(chat.EventTyping); len(ty) != 1 || ty[0].Channel != ch || ty[0].Seq != 0 {
			t.Fatalf("typing = %+v", ty)
		}
		if err := w.svc.Messages.Typing(w.as(t, w.outsider), ch); !chat.IsCode(err, chat.ENotFound) {
			t.Fatalf("outsider typing: %v", err)
		}
		if err := w.svc.Messages.Authorize(ctx, chat.UserChannel(w.other.ID)); !chat.IsCode(err, chat.ENotFound) {
			t.Fatalf("another user's channel: %v", err)
		}
		coreNoErr(t, w.svc.Messages.Authorize(ctx, chat.UserChannel(w.member.ID)), "own channel")
	})
}

func TestLoginSessionsAndRevocation(t *testing.T) {
	t.Parallel()
	onCoreEngines(t, func(t *testing.T, w *coreWorld) {
		st := w.f.Store
		hash, err := chat.HashPassword("a long enough password")
		coreNoErr(t, err, "hash")
		coreNoErr(t, st.UserSetPassword(t.Context(), w.member.TenantID, w.member.ID, hash), "set password")
		ctx := t.Context()
		_, _, errUnknown := w.svc.Sessions.Login(ctx, "nobody@example.com", "a long enough password", "10.0.0.1", "ua")
		_, _, errWrong := w.svc.Sessions.Login(ctx, w.member.Email, "wrong password!", "10.0.0.1", "ua")
		if !chat.IsCode(errUnknown, chat.EUnauthenticated) || chat.ErrorMessage(errUnknown) != chat.ErrorMessage(errWrong) {
			t.Fatalf("unknown user and wrong password answer differently: %v / %v", errUnknown, errWrong)
		}
		sess, u, err := w.svc.Sessions.Login(ctx, "  "+w.member.Email+" ", "a long enough password", "10.0.0.1", "ua")
		coreNoErr(t, err, "login")
		if u.ID != w.member.ID || len(sess.ID) < 40 {
			t.Fatalf("session %+v user %d", sess, u.ID)
		}
		p, err := w.svc.Sessions.Authenticate(ctx, sess.ID)
		coreNoErr(t, err, "authenticate")
		if p.UserID != w.member.ID || p.SessionID != sess.ID || !p.HasRole(chat.RoleEmployee) {
			t.Fatalf("principal %+v", p)
		}
		// Idle past the timeout ends the session.
		w.clock.Advance(13 * time.Hour)
		if _, err := w.svc.Sessions.Authenticate(ctx, sess.ID); !chat.IsCode(err, chat.EUnauthenticated) {
			t.Fatalf("idle session still valid: %v", err)
		}
		sess, _, err = w.svc.Sessions.Login(ctx, w.member.Email, "a long enough password", "10.0.0.1", "ua")
		coreNoErr(t, err, "login again")
		p, _ = w.svc.Sessions.Authenticate(ctx, sess.ID)
		coreNoErr(t, w.svc.Sessions.Logout(chat.WithPrincipal(ctx, p)), "logout")
		if _, err := w.svc.Sessions.Authenticate(ctx, sess.ID); !chat.IsCode(err, chat.EUnauthenticated) {
			t.Fatalf("logged-out session valid: %v", err)
		}
		if rv := w.pub.of(chat.EventRevoked); len(rv) != 1 || rv[0].SessionID != sess.ID {
			t.Fatalf("revocation event = %+v", rv)
		}
		// Throttling: after 5 failures for one account, even the right
		// password is refused until the window passes.
		for range 5 {
			w.svc.Sessions.Login(ctx, w.member.Email, "wrong password!", "10.0.0.2", "ua")
		}
		if _, _, err := w.svc.Sessions.Login(ctx, w.member.Email, "a long enough password", "10.0.0.3", "ua"); !chat.IsCode(err, chat.ERateLimited) {
			t.Fatalf("throttled account: %v", err)
		}
		w.clock.Advance(16 * time.Minute)
		_, _, err = w.svc.Sessions.Login(ctx, w.member.Email, "a long enough password", "10.0.0.3", "ua")
		coreNoErr(t, err, "login after window")
		// Deactivated users cannot log in or keep sessions.
		u.Active = false
		coreNoErr(t, st.UserUpdate(ctx, u), "deactivate")
		if _, _, err := w.svc.Sessions.Login(ctx, w.member.Email, "a long enough password", "10.0.0.3", "ua"); !chat.IsCode(err, chat.EUnauthenticated) {
			t.Fatalf("inactive login: %v", err)
		}
	})
}
