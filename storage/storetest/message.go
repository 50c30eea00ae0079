package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/chat"
)

// threadFixture is a fixture with a group, two topics and a conversation,
// the channels the message tests write to.
type threadFixture struct {
	*Fixture
	Group         chat.Group
	Topic, Topic2 chat.Topic
	Conversation  chat.Conversation
	T1, T2, Conv  chat.Channel
}

func newThreadFixture(t testing.TB, s chat.Store, name string) *threadFixture {
	t.Helper()
	f := &threadFixture{Fixture: NewFixture(t, s, name)}
	f.Group = f.NewGroup(t, "group", f.EmployeeA.ID, f.Manager.ID)
	f.Topic = f.NewTopic(t, f.Group.ID, "topic one")
	f.Topic2 = f.NewTopic(t, f.Group.ID, "topic two")
	cat := f.NewCategory(t, "Payroll", f.Roles[chat.RoleMessageHandler].ID)
	f.Conversation = f.NewConversation(t, cat, f.EmployeeA.ID, "question")
	f.T1, f.T2, f.Conv = chat.TopicChannel(f.Topic.ID), chat.TopicChannel(f.Topic2.ID), chat.ConversationChannel(f.Conversation.ID)
	return f
}

// msgIDs returns the ids of ms in order.
func msgIDs(ms []chat.Message) []int64 { return idsOf(ms, func(m chat.Message) int64 { return m.ID }) }

func wantIDs(t testing.TB, what string, got, want []int64) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func testMessageSeq(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "seq-a")
	b := newThreadFixture(t, s, "seq-b")

	last, err := s.ChannelLastSeq(ctx, a.Tenant.ID, a.T1)
	NoErr(t, err, "ChannelLastSeq of a new channel")
	if last != 0 {
		t.Fatalf("last seq of a new channel = %d, want 0", last)
	}
	for want := int64(1); want <= 3; want++ {
		seq, err := s.ChannelNextSeq(ctx, a.Tenant.ID, a.T1)
		NoErr(t, err, "ChannelNextSeq")
		if seq != want {
			t.Fatalf("ChannelNextSeq = %d, want %d", seq, want)
		}
	}
	// Channels count independently.
	seq, err := s.ChannelNextSeq(ctx, a.Tenant.ID, a.Conv)
	NoErr(t, err, "ChannelNextSeq conversation")
	if seq != 1 {
		t.Fatalf("first seq of the conversation = %d, want 1", seq)
	}
	last, err = s.ChannelLastSeq(ctx, a.Tenant.ID, a.T1)
	NoErr(t, err, "ChannelLastSeq")
	if last != 3 {
		t.Fatalf("ChannelLastSeq = %d, want 3", last)
	}

	// Another tenant cannot take or read a's counter, and a channel
	// that does not exist has none.
	_, err = s.ChannelNextSeq(ctx, b.Tenant.ID, a.T1)
	WantNotFound(t, err)
	_, err = s.ChannelNextSeq(ctx, a.Tenant.ID, chat.TopicChannel(a.Topic.ID+1_000_000))
	WantNotFound(t, err)
	_, err = s.ChannelNextSeq(ctx, a.Tenant.ID, chat.UserChannel(a.EmployeeA.ID))
	WantNotFound(t, err)
	last, err = s.ChannelLastSeq(ctx, b.Tenant.ID, a.T1)
	NoErr(t, err, "ChannelLastSeq other tenant")
	if last != 0 {
		t.Fatalf("other tenant's ChannelLastSeq = %d, want 0", last)
	}
	last, err = s.ChannelLastSeq(ctx, a.Tenant.ID, a.T1)
	NoErr(t, err, "ChannelLastSeq")
	if last != 3 {
		t.Fatalf("ChannelLastSeq after other tenant's attempt = %d, want 3", last)
	}
	tp, err := s.TopicGet(ctx, a.Tenant.ID, a.Topic.ID)
	NoErr(t, err, "TopicGet")
	if tp.LastSeq != 3 {
		t.Fatalf("Topic.LastSeq = %d, want 3", tp.LastSeq)
	}

	// A rolled-back transaction gives its number back.
	errRollback := chat.Errorf(chat.EInvalid, "roll back")
	err = s.InTx(ctx, func(tx chat.Store) error {
		if _, err := tx.ChannelNextSeq(ctx, a.Tenant.ID, a.T1); err != nil {
			return err
		}
		return errRollback
	})
	WantCode(t, err, chat.EInvalid)
	seq, err = s.ChannelNextSeq(ctx, a.Tenant.ID, a.T1)
	NoErr(t, err, "ChannelNextSeq after rollback")
	if seq != 4 {
		t.Fatalf("seq after a rolled-back one = %d, want 4", seq)
	}
}

func testMessageSeqConcurrent(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "seq-concurrent")
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(tx chat.Store) error {
				seq, err := tx.ChannelNextSeq(ctx, f.Tenant.ID, f.T1)
				if err != nil {
					return err
				}
				m := chat.Message{TenantID: f.Tenant.ID, Channel: f.T1, Seq: seq, AuthorID: f.EmployeeA.ID,
					Kind: chat.MessageText, Body: fmt.Sprintf("message %d", i), ClientMsgID: fmt.Sprintf("c%d", i)}
				if err := tx.MessageInsert(ctx, &m); err != nil {
					return err
				}
				return tx.ChannelEventInsert(ctx, f.Tenant.ID, f.T1, seq, chat.EventMessageNew, m.ID, m.CreatedAt)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		NoErr(t, err, "concurrent post")
	}
	evs, err := s.ChannelEventsSince(ctx, f.Tenant.ID, f.T1, 0, 100)
	NoErr(t, err, "ChannelEventsSince")
	if len(evs) != n {
		t.Fatalf("%d events, want %d", len(evs), n)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Message.Seq != ev.Seq {
			t.Fatalf("event %d has seq %d (message seq %d), want %d", i, ev.Seq, ev.Message.Seq, i+1)
		}
	}
}

func testMessageInsertGet(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "insert-a")
	b := newThreadFixture(t, s, "insert-b")
	first := a.PostMessage(t, a.T1, a.Manager.ID, "first")

	at := Now().Add(-time.Minute)
	m := chat.Message{
		TenantID: a.Tenant.ID, Channel: a.T1, Seq: 2, AuthorID: a.EmployeeA.ID, ClientMsgID: "client-1",
		Kind: chat.MessageText, Body: "hello @manager", ReplyToID: &first.ID,
		Mentions: []int64{a.Manager.ID, a.Admin.ID}, CreatedAt: at,
	}
	NoErr(t, s.MessageInsert(ctx, &m), "MessageInsert")
	if m.ID == 0 {
		t.Fatal("MessageInsert did not set ID")
	}
	SameTime(t, "CreatedAt kept", m.CreatedAt, at)

	got, err := s.MessageGet(ctx, a.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet")
	if got.ID != m.ID || got.TenantID != a.Tenant.ID || got.Channel != a.T1 || got.Seq != 2 ||
		got.AuthorID != a.EmployeeA.ID || got.AuthorName != a.EmployeeA.Name || got.ClientMsgID != "client-1" ||
		got.Kind != chat.MessageText || got.Body != "hello @manager" ||
		got.ReplyToID == nil || *got.ReplyToID != first.ID || got.EditedAt != nil || got.DeletedAt != nil {
		t.Fatalf("MessageGet = %+v, want %+v", got, m)
	}
	SameIDs(t, "Mentions", got.Mentions, m.Mentions)
	SameTime(t, "CreatedAt", got.CreatedAt, at)

	// A status message without client id, author or mentions.
	st := chat.Message{TenantID: a.Tenant.ID, Channel: a.Conv, Seq: 1, AuthorID: a.Handler.ID, Kind: chat.MessageStatus, Body: "status: open"}
	NoErr(t, s.MessageInsert(ctx, &st), "MessageInsert status")
	if st.CreatedAt.IsZero() {
		t.Fatal("MessageInsert did not set CreatedAt")
	}
	got, err = s.MessageGet(ctx, a.Tenant.ID, st.ID)
	NoErr(t, err, "MessageGet status")
	if got.Kind != chat.MessageStatus || got.ClientMsgID != "" || len(got.Mentions) != 0 || got.ReplyToID != nil {
		t.Fatalf("status message = %+v", got)
	}
	SameTime(t, "CreatedAt set", got.CreatedAt, st.CreatedAt)

	_, err = s.MessageGet(ctx, b.Tenant.ID, m.ID)
	WantNotFound(t, err)
	_, err = s.MessageGet(ctx, a.Tenant.ID, m.ID+1_000_000)
	WantNotFound(t, err)

	// User channels are live only: they keep no messages or events.
	live := chat.Message{TenantID: a.Tenant.ID, Channel: chat.UserChannel(a.EmployeeA.ID), Seq: 1, AuthorID: a.EmployeeA.ID, Kind: chat.MessageText, Body: "x"}
	WantCode(t, s.MessageInsert(ctx, &live), chat.EInvalid)
	WantCode(t, s.ChannelEventInsert(ctx, a.Tenant.ID, chat.UserChannel(a.EmployeeA.ID), 1, chat.EventMessageNew, m.ID, Now()), chat.EInvalid)
}

// testMessageExternalAuthor: a reply by email from a conversation's
// external address is stored with no user author and the address as its
// author, in every read, and found again by its client id.
func testMessageExternalAuthor(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "external")
	const addr = "auditor@outside.example"
	m := chat.Message{TenantID: f.Tenant.ID, Channel: f.Conv, ExternalAuthor: addr, ClientMsgID: "mail:x",
		Kind: chat.MessageText, Body: "from outside"}
	NoErr(t, s.InTx(ctx, func(tx chat.Store) (err error) {
		if m.Seq, err = tx.ChannelNextSeq(ctx, f.Tenant.ID, f.Conv); err != nil {
			return err
		}
		if err = tx.MessageInsert(ctx, &m); err != nil {
			return err
		}
		return tx.ChannelEventInsert(ctx, f.Tenant.ID, f.Conv, m.Seq, chat.EventMessageNew, m.ID, m.CreatedAt)
	}), "insert")
	want := func(what string, got chat.Message) {
		t.Helper()
		if got.ID != m.ID || got.AuthorID != 0 || got.ExternalAuthor != addr || got.AuthorName != addr {
			t.Fatalf("%s = %+v, want the external message by %s", what, got, addr)
		}
	}
	got, err := s.MessageGet(ctx, f.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet")
	want("MessageGet", got)
	got, err = s.MessageByClientID(ctx, f.Tenant.ID, 0, "mail:x")
	NoErr(t, err, "MessageByClientID")
	want("MessageByClientID", got)
	hist, err := s.MessageHistory(ctx, f.Tenant.ID, f.Conv, 0, 10)
	NoErr(t, err, "MessageHistory")
	want("MessageHistory", hist[0])
	evs, err := s.ChannelEventsSince(ctx, f.Tenant.ID, f.Conv, m.Seq-1, 10)
	NoErr(t, err, "ChannelEventsSince")
	want("ChannelEventsSince", evs[0].Message)
	after, err := s.ChannelEventsAfter(ctx, f.Tenant.ID, []chat.ChannelCursor{{Channel: f.Conv, Seq: m.Seq - 1}}, 10)
	NoErr(t, err, "ChannelEventsAfter")
	want("ChannelEventsAfter", after[0].Message)
	// A user's message has no external author.
	hist, err = s.MessageHistory(ctx, f.Tenant.ID, f.Conv, m.Seq, 10)
	NoErr(t, err, "MessageHistory before")
	for _, u := range hist {
		if u.ExternalAuthor != "" {
			t.Fatalf("user message %+v has an external author", u)
		}
	}
}

func testMessageClientMsgID(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "client-a")
	b := newThreadFixture(t, s, "client-b")
	post := func(tx chat.Store, author int64, clientID, body string) (chat.Message, error) {
		seq, err := tx.ChannelNextSeq(ctx, a.Tenant.ID, a.T1)
		if err != nil {
			return chat.Message{}, err
		}
		m := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, Seq: seq, AuthorID: author, ClientMsgID: clientID, Kind: chat.MessageText, Body: body}
		return m, tx.MessageInsert(ctx, &m)
	}
	var orig chat.Message
	NoErr(t, s.InTx(ctx, func(tx chat.Store) (err error) {
		orig, err = post(tx, a.EmployeeA.ID, "retry-me", "original")
		return err
	}), "first send")

	// The retry conflicts; its transaction rolls back with its seq.
	err := s.InTx(ctx, func(tx chat.Store) error {
		_, err := post(tx, a.EmployeeA.ID, "retry-me", "duplicate")
		return err
	})
	WantCode(t, err, chat.EConflict)
	got, err := s.MessageByClientID(ctx, a.Tenant.ID, a.EmployeeA.ID, "retry-me")
	NoErr(t, err, "MessageByClientID")
	if got.ID != orig.ID || got.Body != "original" || got.Seq != 1 {
		t.Fatalf("MessageByClientID = %+v, want the original %+v", got, orig)
	}
	last, err := s.ChannelLastSeq(ctx, a.Tenant.ID, a.T1)
	NoErr(t, err, "ChannelLastSeq")
	if last != 1 {
		t.Fatalf("last seq after a conflicting retry = %d, want 1", last)
	}

	// The id is unique per author only; empty ids never conflict.
	NoErr(t, s.InTx(ctx, func(tx chat.Store) error {
		if _, err := post(tx, a.Manager.ID, "retry-me", "other author"); err != nil {
			return err
		}
		if _, err := post(tx, a.Manager.ID, "", "no id 1"); err != nil {
			return err
		}
		_, err := post(tx, a.Manager.ID, "", "no id 2")
		return err
	}), "same client id, other author")

	_, err = s.MessageByClientID(ctx, b.Tenant.ID, a.EmployeeA.ID, "retry-me")
	WantNotFound(t, err)
	_, err = s.MessageByClientID(ctx, a.Tenant.ID, a.EmployeeA.ID, "never-sent")
	WantNotFound(t, err)
}

func testMessageEditDelete(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "edit-a")
	b := newThreadFixture(t, s, "edit-b")
	att := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: "a.txt", ContentType: "text/plain"}
	NoErr(t, s.AttachmentCreate(ctx, &att, []byte("data"), nil), "AttachmentCreate")
	m := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, Seq: 1, AuthorID: a.EmployeeA.ID, Kind: chat.MessageText,
		Body: "typo", Mentions: []int64{a.Manager.ID}, Attachments: []chat.Attachment{{ID: att.ID}}}
	NoErr(t, s.MessageInsert(ctx, &m), "MessageInsert")

	editedAt := Now()
	NoErr(t, s.MessageEdit(ctx, a.Tenant.ID, m.ID, "fixed", editedAt), "MessageEdit")
	WantNotFound(t, s.MessageEdit(ctx, b.Tenant.ID, m.ID, "hijacked", editedAt))
	WantNotFound(t, s.MessageEdit(ctx, a.Tenant.ID, m.ID+1_000_000, "x", editedAt))
	got, err := s.MessageGet(ctx, a.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet")
	if got.Body != "fixed" || got.EditedAt == nil {
		t.Fatalf("after edit = %+v", got)
	}
	SameTime(t, "EditedAt", *got.EditedAt, editedAt)

	WantNotFound(t, s.MessageDelete(ctx, b.Tenant.ID, m.ID, Now()))
	got, err = s.MessageGet(ctx, a.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet")
	if got.DeletedAt != nil || got.Body != "fixed" {
		t.Fatalf("another tenant's delete changed the message: %+v", got)
	}

	deletedAt := Now()
	NoErr(t, s.MessageDelete(ctx, a.Tenant.ID, m.ID, deletedAt), "MessageDelete")
	got, err = s.MessageGet(ctx, a.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet tombstone")
	if got.Body != "" || got.DeletedAt == nil || got.Seq != 1 || len(got.Attachments) != 0 || len(got.Mentions) != 0 {
		t.Fatalf("tombstone = %+v", got)
	}
	SameTime(t, "DeletedAt", *got.DeletedAt, deletedAt)
	_, err = s.AttachmentGet(ctx, a.Tenant.ID, att.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentData(ctx, a.Tenant.ID, att.ID)
	WantNotFound(t, err)

	// A tombstone cannot be edited; deleting again keeps it as it is.
	WantNotFound(t, s.MessageEdit(ctx, a.Tenant.ID, m.ID, "back to life", Now()))
	NoErr(t, s.MessageDelete(ctx, a.Tenant.ID, m.ID, Now().Add(time.Hour)), "MessageDelete again")
	got, err = s.MessageGet(ctx, a.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet tombstone")
	if got.Body != "" || got.DeletedAt == nil {
		t.Fatalf("tombstone after second delete = %+v", got)
	}
	SameTime(t, "DeletedAt after second delete", *got.DeletedAt, deletedAt)
	WantNotFound(t, s.MessageDelete(ctx, a.Tenant.ID, m.ID+1_000_000, Now()))
}

func testMessageHistory(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "history-a")
	b := newThreadFixture(t, s, "history-b")
	var posted []chat.Message
	for i := range 7 {
		posted = append(posted, a.PostMessage(t, a.T1, a.EmployeeA.ID, fmt.Sprintf("m%d", i+1)))
	}
	a.PostMessage(t, a.T2, a.EmployeeA.ID, "elsewhere")
	b.PostMessage(t, b.T1, b.EmployeeA.ID, "other tenant")

	page := func(before int64, limit int) []int64 {
		t.Helper()
		ms, err := s.MessageHistory(ctx, a.Tenant.ID, a.T1, before, limit)
		NoErr(t, err, "MessageHistory")
		seqs := make([]int64, len(ms))
		for i, m := range ms {
			seqs[i] = m.Seq
			if m.Channel != a.T1 || m.Body != posted[m.Seq-1].Body || m.ID != posted[m.Seq-1].ID {
				t.Fatalf("history message %+v does not match what was posted", m)
			}
		}
		return seqs
	}
	wantIDs(t, "newest page", page(0, 3), []int64{7, 6, 5})
	wantIDs(t, "second page", page(5, 3), []int64{4, 3, 2})
	wantIDs(t, "last page", page(2, 3), []int64{1})
	wantIDs(t, "past the start", page(1, 3), nil)
	wantIDs(t, "all", page(0, 100), []int64{7, 6, 5, 4, 3, 2, 1})

	ms, err := s.MessageHistory(ctx, b.Tenant.ID, a.T1, 0, 10)
	wantNone(t, "MessageHistory of a's topic in another tenant", ms, err)
}

func testMessageEventsSince(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "events-a")
	b := newThreadFixture(t, s, "events-b")
	m1 := a.PostMessage(t, a.Conv, a.EmployeeA.ID, "one")
	m2 := a.PostMessage(t, a.Conv, a.Handler.ID, "two")
	m3 := a.PostMessage(t, a.Conv, a.EmployeeA.ID, "three")
	change := func(typ chat.EventType, id int64, apply func(tx chat.Store) error) {
		t.Helper()
		NoErr(t, s.InTx(ctx, func(tx chat.Store) error {
			if err := apply(tx); err != nil {
				return err
			}
			seq, err := tx.ChannelNextSeq(ctx, a.Tenant.ID, a.Conv)
			if err != nil {
				return err
			}
			return tx.ChannelEventInsert(ctx, a.Tenant.ID, a.Conv, seq, typ, id, Now())
		}), string(typ))
	}
	change(chat.EventMessageEdited, m2.ID, func(tx chat.Store) error {
		return tx.MessageEdit(ctx, a.Tenant.ID, m2.ID, "two, edited", Now())
	})
	change(chat.EventMessageDeleted, m3.ID, func(tx chat.Store) error {
		return tx.MessageDelete(ctx, a.Tenant.ID, m3.ID, Now())
	})

	evs, err := s.ChannelEventsSince(ctx, a.Tenant.ID, a.Conv, 0, 100)
	NoErr(t, err, "ChannelEventsSince")
	type ev struct {
		seq  int64
		typ  chat.EventType
		msg  int64
		body string
	}
	want := []ev{
		{1, chat.EventMessageNew, m1.ID, "one"},
		{2, chat.EventMessageNew, m2.ID, "two, edited"},
		{3, chat.EventMessageNew, m3.ID, ""},
		{4, chat.EventMessageEdited, m2.ID, "two, edited"},
		{5, chat.EventMessageDeleted, m3.ID, ""},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		e := evs[i]
		if e.Seq != w.seq || e.Type != w.typ || e.Message.ID != w.msg || e.Message.Body != w.body {
			t.Fatalf("event %d = {%d %s msg %d %q}, want %+v", i, e.Seq, e.Type, e.Message.ID, e.Message.Body, w)
		}
	}
	if evs[1].Message.EditedAt == nil || evs[2].Message.DeletedAt == nil || evs[0].Message.AuthorName != a.EmployeeA.Name {
		t.Fatalf("events do not carry the messages' current state: %+v", evs)
	}

	evs, err = s.ChannelEventsSince(ctx, a.Tenant.ID, a.Conv, 3, 1)
	NoErr(t, err, "ChannelEventsSince limited")
	if len(evs) != 1 || evs[0].Seq != 4 {
		t.Fatalf("events since 3, limit 1 = %+v, want seq 4", evs)
	}
	evs, err = s.ChannelEventsSince(ctx, a.Tenant.ID, a.Conv, 5, 10)
	wantNone(t, "ChannelEventsSince the last", evs, err)

	// Another tenant sees nothing and cannot add events about a's
	// messages, to its own channel or to a's.
	evs, err = s.ChannelEventsSince(ctx, b.Tenant.ID, a.Conv, 0, 10)
	wantNone(t, "ChannelEventsSince of a's conversation in another tenant", evs, err)
	WantNotFound(t, s.ChannelEventInsert(ctx, b.Tenant.ID, b.Conv, 1, chat.EventMessageNew, m1.ID, Now()))
	// A seq is taken once.
	WantCode(t, s.ChannelEventInsert(ctx, a.Tenant.ID, a.Conv, 5, chat.EventMessageEdited, m1.ID, Now()), chat.EConflict)
}

// ChannelEventsAfter reads many channels in one call: each from its own
// cursor, at most limit each, by channel and seq, within the tenant.
// afterEvent is what testMessageEventsAfter compares of one event.
type afterEvent struct {
	ch   chat.Channel
	seq  int64
	body string
}

// readAfter reads ChannelEventsAfter, checking that every event is its
// message's message.new.
func readAfter(t *testing.T, s chat.Store, tenantID int64, limit int, cursors ...chat.ChannelCursor) []afterEvent {
	t.Helper()
	evs, err := s.ChannelEventsAfter(t.Context(), tenantID, cursors, limit)
	NoErr(t, err, "ChannelEventsAfter")
	out := make([]afterEvent, len(evs))
	for i, e := range evs {
		if e.Seq != e.Message.Seq || e.Type != chat.EventMessageNew {
			t.Fatalf("event %+v is not its message's message.new", e)
		}
		out[i] = afterEvent{e.Message.Channel, e.Seq, e.Message.Body}
	}
	return out
}

func wantAfter(t *testing.T, what string, got, want []afterEvent) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
}

func testMessageEventsAfter(t *testing.T, s chat.Store) {
	a := newThreadFixture(t, s, "after-a")
	b := newThreadFixture(t, s, "after-b")
	for i := range 5 {
		a.PostMessage(t, a.T1, a.EmployeeA.ID, fmt.Sprint("t1-", i+1))
	}
	for i := range 2 {
		a.PostMessage(t, a.T2, a.Manager.ID, fmt.Sprint("t2-", i+1))
	}
	conv := a.PostMessage(t, a.Conv, a.EmployeeA.ID, "conv-1")
	bm := b.PostMessage(t, b.T1, b.EmployeeA.ID, "b-1")
	// Channels are ordered by kind and id, whatever the order asked.
	first, second := a.T1, a.T2
	if a.T2.ID < a.T1.ID {
		first, second = a.T2, a.T1
	}

	t.Run("every channel from 0 in channel order", func(t *testing.T) {
		bodies := map[chat.Channel][]string{a.T1: {"t1-1", "t1-2", "t1-3", "t1-4", "t1-5"}, a.T2: {"t2-1", "t2-2"}}
		all := []afterEvent{{a.Conv, 1, "conv-1"}}
		for _, ch := range []chat.Channel{first, second} {
			for i, body := range bodies[ch] {
				all = append(all, afterEvent{ch, int64(i + 1), body})
			}
		}
		evs, err := s.ChannelEventsAfter(t.Context(), a.Tenant.ID, []chat.ChannelCursor{{Channel: a.T2}, {Channel: a.Conv}, {Channel: a.T1}}, 100)
		NoErr(t, err, "ChannelEventsAfter from 0")
		if len(evs) == 0 || evs[0].Message.ID != conv.ID || evs[0].Message.AuthorName != a.EmployeeA.Name {
			t.Fatalf("first event %+v, want the conversation's message with its author", evs)
		}
		wantAfter(t, "every channel from 0", readAfter(t, s, a.Tenant.ID, 100, chat.ChannelCursor{Channel: a.T2}, chat.ChannelCursor{Channel: a.Conv}, chat.ChannelCursor{Channel: a.T1}), all)
	})

	t.Run("each channel from its own cursor, at most limit each", func(t *testing.T) {
		t1 := []afterEvent{{a.T1, 2, "t1-2"}, {a.T1, 3, "t1-3"}}
		t2 := []afterEvent{{a.T2, 1, "t2-1"}, {a.T2, 2, "t2-2"}}
		want := append(t2, t1...)
		if first == a.T1 {
			want = append(t1, t2...)
		}
		wantAfter(t, "T1 after 1, T2 after 0, limit 2", readAfter(t, s, a.Tenant.ID, 2, chat.ChannelCursor{Channel: a.T1, Seq: 1}, chat.ChannelCursor{Channel: a.T2}), want)
		wantAfter(t, "at the end", readAfter(t, s, a.Tenant.ID, 10, chat.ChannelCursor{Channel: a.T1, Seq: 5}, chat.ChannelCursor{Channel: a.Conv, Seq: 1}), []afterEvent{})
		wantAfter(t, "no cursors", readAfter(t, s, a.Tenant.ID, 10), []afterEvent{})
		wantAfter(t, "a user channel", readAfter(t, s, a.Tenant.ID, 10, chat.ChannelCursor{Channel: chat.UserChannel(a.EmployeeA.ID)}), []afterEvent{})
	})

	t.Run("another tenant's channels answer nothing", func(t *testing.T) {
		wantAfter(t, "a's channels read by b", readAfter(t, s, b.Tenant.ID, 10, chat.ChannelCursor{Channel: a.T1}, chat.ChannelCursor{Channel: a.Conv}), []afterEvent{})
		wantAfter(t, "b's and a's channels read by b", readAfter(t, s, b.Tenant.ID, 10, chat.ChannelCursor{Channel: a.T2}, chat.ChannelCursor{Channel: b.T1}),
			[]afterEvent{{b.T1, bm.Seq, "b-1"}})
	})

	t.Run("the cursor bound is the same on both engines", func(t *testing.T) {
		many := make([]chat.ChannelCursor, chat.MaxCursors+1)
		for i := range many {
			many[i] = chat.ChannelCursor{Channel: chat.TopicChannel(int64(i + 1))}
		}
		_, err := s.ChannelEventsAfter(t.Context(), a.Tenant.ID, many, 10)
		WantCode(t, err, chat.EInvalid)
		_, err = s.ChannelEventsAfter(t.Context(), a.Tenant.ID, many[:chat.MaxCursors], 10)
		NoErr(t, err, "ChannelEventsAfter with MaxCursors cursors")
	})
}

func testMessageReadState(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "read-a")
	b := newThreadFixture(t, s, "read-b")
	u := a.EmployeeA.ID
	for _, step := range []struct{ set, want int64 }{{5, 5}, {3, 5}, {5, 5}, {7, 7}} {
		got, err := s.ReadStateSet(ctx, a.Tenant.ID, u, a.T1, step.set)
		NoErr(t, err, "ReadStateSet")
		if got != step.want {
			t.Fatalf("ReadStateSet(%d) = %d, want %d", step.set, got, step.want)
		}
	}
	_, err := s.ReadStateSet(ctx, a.Tenant.ID, u, a.Conv, 2)
	NoErr(t, err, "ReadStateSet conversation")
	_, err = s.ReadStateSet(ctx, a.Tenant.ID, a.Manager.ID, a.T2, 9)
	NoErr(t, err, "ReadStateSet other user")

	list, err := s.ReadStateList(ctx, a.Tenant.ID, u, []chat.Channel{a.T1, a.T2, a.Conv})
	NoErr(t, err, "ReadStateList")
	got := map[chat.Channel]int64{}
	for _, rs := range list {
		if rs.UserID != u {
			t.Fatalf("ReadStateList returned another user's marker %+v", rs)
		}
		got[rs.Channel] = rs.Seq
	}
	if len(got) != 2 || got[a.T1] != 7 || got[a.Conv] != 2 {
		t.Fatalf("ReadStateList = %+v, want topic one at 7 and the conversation at 2", list)
	}
	list, err = s.ReadStateList(ctx, a.Tenant.ID, u, []chat.Channel{a.T2})
	wantNone(t, "ReadStateList of a never-read channel", list, err)

	// Tenant b cannot move or read a's markers.
	_, err = s.ReadStateSet(ctx, b.Tenant.ID, u, a.T1, 100)
	WantNotFound(t, err)
	list, err = s.ReadStateList(ctx, b.Tenant.ID, u, []chat.Channel{a.T1})
	wantNone(t, "ReadStateList in another tenant", list, err)
	list, err = s.ReadStateList(ctx, a.Tenant.ID, u, []chat.Channel{a.T1})
	NoErr(t, err, "ReadStateList")
	if len(list) != 1 || list[0].Seq != 7 {
		t.Fatalf("marker after another tenant's attempt = %+v, want 7", list)
	}
}

func testMessageSearch(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "search-a")
	b := newThreadFixture(t, s, "search-b")
	march := a.PostMessage(t, a.T1, a.EmployeeA.ID, "Payroll question about March")
	holiday := a.PostMessage(t, a.T1, a.Manager.ID, "holiday pay")
	done := a.PostMessage(t, a.T1, a.Manager.ID, "payroll done.")
	conv := a.PostMessage(t, a.Conv, a.EmployeeA.ID, "my payroll is late")
	secret := a.PostMessage(t, a.T2, a.Manager.ID, "payroll secret")
	note := a.PostMessage(t, chat.NoteChannel(a.Conv.ID), a.Manager.ID, "payroll note, internal")
	b.PostMessage(t, b.T1, b.EmployeeA.ID, "payroll of tenant b")

	search := func(tenantID int64, q string, chs ...chat.Channel) []int64 {
		t.Helper()
		ms, err := s.MessageSearch(ctx, tenantID, q, chs, chat.MessageFilter{}, 50)
		NoErr(t, err, fmt.Sprintf("MessageSearch(%q)", q))
		for _, m := range ms {
			if m.TenantID != tenantID || !slices.Contains(chs, m.Channel) {
				t.Fatalf("MessageSearch(%q) returned %+v outside the given tenant and channels", q, m)
			}
		}
		return msgIDs(ms)
	}
	wantIDs(t, "payroll in topic one", search(a.Tenant.ID, "payroll", a.T1), []int64{done.ID, march.ID})
	wantIDs(t, "case-insensitive, every word", search(a.Tenant.ID, "PAYROLL march", a.T1), []int64{march.ID})
	wantIDs(t, "several channels", search(a.Tenant.ID, "payroll", a.T1, a.Conv), []int64{conv.ID, done.ID, march.ID})
	wantIDs(t, "whole words", search(a.Tenant.ID, "pay", a.T1), []int64{holiday.ID})
	wantIDs(t, "topic two only", search(a.Tenant.ID, "payroll", a.T2), []int64{secret.ID})
	// A conversation's internal notes are their own channel: found only
	// when it is given.
	wantIDs(t, "conversation without its notes", search(a.Tenant.ID, "payroll", a.Conv), []int64{conv.ID})
	wantIDs(t, "the notes", search(a.Tenant.ID, "payroll", chat.NoteChannel(a.Conv.ID)), []int64{note.ID})
	wantIDs(t, "conversation and notes", search(a.Tenant.ID, "payroll", a.Conv, chat.NoteChannel(a.Conv.ID)), []int64{note.ID, conv.ID})
	wantIDs(t, "no channels", search(a.Tenant.ID, "payroll"), nil)
	wantIDs(t, "empty query", search(a.Tenant.ID, "  ", a.T1), nil)
	wantIDs(t, "other tenant with a's channels", search(b.Tenant.ID, "payroll", a.T1, a.T2, a.Conv, chat.NoteChannel(a.Conv.ID)), nil)

	// Search syntax in the query is just text.
	for _, q := range []string{`payroll" OR "holiday`, "pay*", "NEAR(payroll march)", "body:payroll", "-payroll", `"`, "payroll AND", "(", "^payroll", "'; DROP TABLE messages; --"} {
		search(a.Tenant.ID, q, a.T1)
	}

	// The index follows edits and deletes.
	NoErr(t, s.MessageEdit(ctx, a.Tenant.ID, holiday.ID, "vacation pay", Now()), "MessageEdit")
	wantIDs(t, "old word after edit", search(a.Tenant.ID, "holiday", a.T1), nil)
	wantIDs(t, "new word after edit", search(a.Tenant.ID, "vacation", a.T1), []int64{holiday.ID})
	NoErr(t, s.MessageDelete(ctx, a.Tenant.ID, done.ID, Now()), "MessageDelete")
	wantIDs(t, "after delete", search(a.Tenant.ID, "payroll", a.T1), []int64{march.ID})

	ms, err := s.MessageSearch(ctx, a.Tenant.ID, "payroll", []chat.Channel{a.T1, a.Conv, chat.NoteChannel(a.Conv.ID)}, chat.MessageFilter{}, 1)
	NoErr(t, err, "MessageSearch limited")
	if len(ms) != 1 || ms[0].ID != note.ID || ms[0].AuthorName != a.Manager.Name || ms[0].Body != note.Body {
		t.Fatalf("MessageSearch limit 1 = %+v, want the newest match", ms)
	}
}

// SearchFilter: by author, and by time with After inclusive and Before
// exclusive; zero fields do not narrow.
func testMessageSearchFilter(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "search-filter")
	base := Now().Add(-time.Hour)
	post := func(author int64, at time.Time) chat.Message {
		t.Helper()
		m := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, AuthorID: author, Kind: chat.MessageText, Body: "budget " + at.String(), CreatedAt: at}
		NoErr(t, s.InTx(ctx, func(tx chat.Store) error {
			seq, err := tx.ChannelNextSeq(ctx, a.Tenant.ID, a.T1)
			if err != nil {
				return err
			}
			m.Seq = seq
			return tx.MessageInsert(ctx, &m)
		}), "MessageInsert")
		return m
	}
	early := post(a.EmployeeA.ID, base)
	mid := post(a.Manager.ID, base.Add(10*time.Minute))
	late := post(a.EmployeeA.ID, base.Add(20*time.Minute))
	search := func(f chat.MessageFilter) []int64 {
		t.Helper()
		ms, err := s.MessageSearch(ctx, a.Tenant.ID, "budget", []chat.Channel{a.T1}, f, 50)
		NoErr(t, err, "MessageSearch")
		return msgIDs(ms)
	}
	wantIDs(t, "no filter", search(chat.MessageFilter{}), []int64{late.ID, mid.ID, early.ID})
	wantIDs(t, "by author", search(chat.MessageFilter{AuthorID: a.EmployeeA.ID}), []int64{late.ID, early.ID})
	wantIDs(t, "after, inclusive", search(chat.MessageFilter{After: mid.CreatedAt}), []int64{late.ID, mid.ID})
	wantIDs(t, "before, exclusive", search(chat.MessageFilter{Before: mid.CreatedAt}), []int64{early.ID})
	wantIDs(t, "window and author", search(chat.MessageFilter{AuthorID: a.Manager.ID, After: base, Before: late.CreatedAt}), []int64{mid.ID})
	wantIDs(t, "nobody", search(chat.MessageFilter{AuthorID: a.Handler.ID}), nil)
}

func testMessageAttachments(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "attach-a")
	b := newThreadFixture(t, s, "attach-b")
	data := make([]byte, 70_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	att := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: "payslip.pdf", ContentType: "application/pdf"}
	NoErr(t, s.AttachmentCreate(ctx, &att, data, nil), "AttachmentCreate")
	if att.ID == 0 || att.CreatedAt.IsZero() {
		t.Fatalf("AttachmentCreate did not set ID and CreatedAt: %+v", att)
	}
	empty := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: "empty.txt", ContentType: "text/plain"}
	NoErr(t, s.AttachmentCreate(ctx, &empty, []byte{}, nil), "AttachmentCreate empty")

	got, err := s.AttachmentGet(ctx, a.Tenant.ID, att.ID)
	NoErr(t, err, "AttachmentGet")
	if got.ID != att.ID || got.TenantID != a.Tenant.ID || got.UploaderID != a.EmployeeA.ID || got.Filename != "payslip.pdf" ||
		got.ContentType != "application/pdf" || got.Size != int64(len(data)) || got.MessageID != nil {
		t.Fatalf("AttachmentGet = %+v", got)
	}
	SameTime(t, "attachment CreatedAt", got.CreatedAt, att.CreatedAt)
	gotData, err := s.AttachmentData(ctx, a.Tenant.ID, att.ID)
	NoErr(t, err, "AttachmentData")
	if !bytes.Equal(gotData, data) {
		t.Fatalf("AttachmentData returned %d bytes that differ from the %d stored", len(gotData), len(data))
	}
	gotData, err = s.AttachmentData(ctx, a.Tenant.ID, empty.ID)
	NoErr(t, err, "AttachmentData empty")
	if len(gotData) != 0 {
		t.Fatalf("empty attachment has %d bytes", len(gotData))
	}

	_, err = s.AttachmentGet(ctx, b.Tenant.ID, att.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentData(ctx, b.Tenant.ID, att.ID)
	WantNotFound(t, err)

	// Tenant b cannot claim a's upload.
	bm := chat.Message{TenantID: b.Tenant.ID, Channel: b.T1, Seq: 1, AuthorID: b.EmployeeA.ID, Kind: chat.MessageText,
		Body: "steal", Attachments: []chat.Attachment{{ID: att.ID}}}
	err = s.InTx(ctx, func(tx chat.Store) error { return tx.MessageInsert(ctx, &bm) })
	WantNotFound(t, err)

	m := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, Seq: 1, AuthorID: a.EmployeeA.ID, Kind: chat.MessageText,
		Body: "see attached", Attachments: []chat.Attachment{{ID: att.ID}, {ID: empty.ID}}}
	NoErr(t, s.MessageInsert(ctx, &m), "MessageInsert with attachments")
	msg, err := s.MessageGet(ctx, a.Tenant.ID, m.ID)
	NoErr(t, err, "MessageGet")
	if len(msg.Attachments) != 2 {
		t.Fatalf("message has %d attachments, want 2", len(msg.Attachments))
	}
	for _, ma := range msg.Attachments {
		if ma.MessageID == nil || *ma.MessageID != m.ID {
			t.Fatalf("attachment %+v is not linked to message %d", ma, m.ID)
		}
	}
	SameIDs(t, "attachment ids", []int64{msg.Attachments[0].ID, msg.Attachments[1].ID}, []int64{att.ID, empty.ID})
	hist, err := s.MessageHistory(ctx, a.Tenant.ID, a.T1, 0, 10)
	NoErr(t, err, "MessageHistory")
	if len(hist) != 1 || len(hist[0].Attachments) != 2 {
		t.Fatalf("history does not carry attachments: %+v", hist)
	}

	// An attachment belongs to one message.
	m2 := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, Seq: 2, AuthorID: a.EmployeeA.ID, Kind: chat.MessageText,
		Body: "again", Attachments: []chat.Attachment{{ID: att.ID}}}
	err = s.InTx(ctx, func(tx chat.Store) error { return tx.MessageInsert(ctx, &m2) })
	WantNotFound(t, err)
}

func testMessageAttachmentDeleteUnlinked(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "unlinked-a")
	b := newThreadFixture(t, s, "unlinked-b")
	old := Now().Add(-2 * time.Hour)
	mk := func(f *threadFixture, created time.Time) chat.Attachment {
		at := chat.Attachment{TenantID: f.Tenant.ID, UploaderID: f.EmployeeA.ID, Filename: "f", ContentType: "text/plain", CreatedAt: created}
		NoErr(t, s.AttachmentCreate(ctx, &at, []byte("x"), nil), "AttachmentCreate")
		SameTime(t, "CreatedAt kept", at.CreatedAt, created)
		return at
	}
	oldA, oldB, fresh, linked := mk(a, old), mk(b, old), mk(a, Now()), mk(a, old)
	m := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, Seq: 1, AuthorID: a.EmployeeA.ID, Kind: chat.MessageText,
		Body: "linked", Attachments: []chat.Attachment{{ID: linked.ID}}}
	NoErr(t, s.MessageInsert(ctx, &m), "MessageInsert")

	n, err := s.AttachmentDeleteUnlinked(ctx, Now().Add(-time.Hour))
	NoErr(t, err, "AttachmentDeleteUnlinked")
	if n != 2 {
		t.Fatalf("AttachmentDeleteUnlinked removed %d, want 2", n)
	}
	_, err = s.AttachmentGet(ctx, a.Tenant.ID, oldA.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentGet(ctx, b.Tenant.ID, oldB.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentGet(ctx, a.Tenant.ID, fresh.ID)
	NoErr(t, err, "fresh upload kept")
	_, err = s.AttachmentGet(ctx, a.Tenant.ID, linked.ID)
	NoErr(t, err, "linked attachment kept")
}

func testMessageDrafts(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "drafts-a")
	b := newThreadFixture(t, s, "drafts-b")
	u := a.EmployeeA.ID

	newConv := chat.Draft{TenantID: a.Tenant.ID, UserID: u, Subject: "about my salary", Body: "Hi,", Data: `{"category_id":1}`}
	NoErr(t, s.DraftSave(ctx, &newConv), "DraftSave new conversation")
	if newConv.ID == 0 || newConv.UpdatedAt.IsZero() {
		t.Fatalf("DraftSave did not set ID and UpdatedAt: %+v", newConv)
	}
	at := Now().Add(-time.Minute)
	reply := chat.Draft{TenantID: a.Tenant.ID, UserID: u, Channel: &a.T1, Body: "half a reply", UpdatedAt: at}
	NoErr(t, s.DraftSave(ctx, &reply), "DraftSave reply")
	SameTime(t, "UpdatedAt kept", reply.UpdatedAt, at)
	other := chat.Draft{TenantID: a.Tenant.ID, UserID: a.Manager.ID, Channel: &a.T1, Body: "manager's"}
	NoErr(t, s.DraftSave(ctx, &other), "DraftSave other user")

	got, err := s.DraftGet(ctx, a.Tenant.ID, u, newConv.ID)
	NoErr(t, err, "DraftGet")
	if got.Channel != nil || got.Subject != newConv.Subject || got.Body != "Hi," || got.Data != newConv.Data || got.UserID != u {
		t.Fatalf("DraftGet = %+v, want %+v", got, newConv)
	}
	got, err = s.DraftGet(ctx, a.Tenant.ID, u, reply.ID)
	NoErr(t, err, "DraftGet reply")
	if got.Channel == nil || *got.Channel != a.T1 || got.Body != "half a reply" {
		t.Fatalf("DraftGet reply = %+v", got)
	}
	SameTime(t, "UpdatedAt", got.UpdatedAt, at)

	list, err := s.DraftList(ctx, a.Tenant.ID, u)
	NoErr(t, err, "DraftList")
	if len(list) != 2 {
		t.Fatalf("DraftList has %d drafts, want 2", len(list))
	}
	SameIDs(t, "drafts", []int64{list[0].ID, list[1].ID}, []int64{newConv.ID, reply.ID})

	// Drafts are private to their user and tenant.
	_, err = s.DraftGet(ctx, a.Tenant.ID, a.Manager.ID, reply.ID)
	WantNotFound(t, err)
	_, err = s.DraftGet(ctx, b.Tenant.ID, u, reply.ID)
	WantNotFound(t, err)
	list, err = s.DraftList(ctx, b.Tenant.ID, u)
	wantNone(t, "DraftList of a's drafts in another tenant", list, err)
	hijack := chat.Draft{ID: reply.ID, TenantID: a.Tenant.ID, UserID: a.Manager.ID, Body: "hijack"}
	WantNotFound(t, s.DraftSave(ctx, &hijack))
	hijack = chat.Draft{ID: reply.ID, TenantID: b.Tenant.ID, UserID: b.EmployeeA.ID, Body: "hijack"}
	WantNotFound(t, s.DraftSave(ctx, &hijack))
	WantNotFound(t, s.DraftDelete(ctx, a.Tenant.ID, a.Manager.ID, reply.ID))
	WantNotFound(t, s.DraftDelete(ctx, b.Tenant.ID, u, reply.ID))
	foreign := chat.Draft{TenantID: b.Tenant.ID, UserID: u, Body: "user of another tenant"}
	WantNotFound(t, s.DraftSave(ctx, &foreign))

	// Saving again replaces the draft.
	reply.Body, reply.UpdatedAt = "a whole reply", time.Time{}
	NoErr(t, s.DraftSave(ctx, &reply), "DraftSave update")
	got, err = s.DraftGet(ctx, a.Tenant.ID, u, reply.ID)
	NoErr(t, err, "DraftGet updated")
	if got.Body != "a whole reply" || !got.UpdatedAt.After(at) {
		t.Fatalf("updated draft = %+v", got)
	}

	NoErr(t, s.DraftDelete(ctx, a.Tenant.ID, u, reply.ID), "DraftDelete")
	_, err = s.DraftGet(ctx, a.Tenant.ID, u, reply.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.DraftDelete(ctx, a.Tenant.ID, u, reply.ID))
	list, err = s.DraftList(ctx, a.Tenant.ID, u)
	NoErr(t, err, "DraftList after delete")
	if len(list) != 1 || list[0].ID != newConv.ID {
		t.Fatalf("drafts after delete = %+v", list)
	}
}

// testMessageAttachmentThumbnail: an image's description and thumbnail
// are stored beside it, come back with it (alone and in messages), and
// answer like the attachment: not found for another tenant, and not found
// for a file without one.
func testMessageAttachmentThumbnail(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "thumb-a")
	b := newThreadFixture(t, s, "thumb-b")
	img := &chat.Image{Width: 4000, Height: 3000, ThumbnailType: "image/jpeg"}
	thumb := bytes.Repeat([]byte{0xff, 0xd8, 1, 2, 3}, 2000)
	att := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: "photo.jpg", ContentType: "image/jpeg", Image: img}
	NoErr(t, s.AttachmentCreate(ctx, &att, []byte("the photo"), thumb), "AttachmentCreate image")
	doc := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: "a.pdf", ContentType: "application/pdf"}
	NoErr(t, s.AttachmentCreate(ctx, &doc, []byte("%PDF-1.4"), nil), "AttachmentCreate pdf")

	got, err := s.AttachmentGet(ctx, a.Tenant.ID, att.ID)
	NoErr(t, err, "AttachmentGet")
	if got.Image == nil || *got.Image != *img {
		t.Fatalf("AttachmentGet image = %+v, want %+v", got.Image, img)
	}
	if got, err := s.AttachmentGet(ctx, a.Tenant.ID, doc.ID); err != nil || got.Image != nil {
		t.Fatalf("a pdf described as an image: %+v %v", got.Image, err)
	}
	data, err := s.AttachmentThumbnail(ctx, a.Tenant.ID, att.ID)
	NoErr(t, err, "AttachmentThumbnail")
	if !bytes.Equal(data, thumb) {
		t.Fatalf("thumbnail: %d bytes differ from the %d stored", len(data), len(thumb))
	}
	_, err = s.AttachmentThumbnail(ctx, a.Tenant.ID, doc.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentThumbnail(ctx, b.Tenant.ID, att.ID)
	WantNotFound(t, err)
	_, err = s.AttachmentThumbnail(ctx, a.Tenant.ID, att.ID+1000)
	WantNotFound(t, err)

	m := chat.Message{TenantID: a.Tenant.ID, Channel: a.T1, Seq: 1, AuthorID: a.EmployeeA.ID, Kind: chat.MessageText,
		Body: "photo", Attachments: []chat.Attachment{{ID: att.ID}, {ID: doc.ID}}}
	NoErr(t, s.MessageInsert(ctx, &m), "MessageInsert")
	if atts := m.Attachments; len(atts) != 2 || atts[0].Image == nil || *atts[0].Image != *img || atts[1].Image != nil {
		t.Fatalf("inserted message's attachments %+v", atts)
	}
	hist, err := s.MessageHistory(ctx, a.Tenant.ID, a.T1, 0, 10)
	NoErr(t, err, "MessageHistory")
	if len(hist) != 1 || len(hist[0].Attachments) != 2 || hist[0].Attachments[0].Image == nil || *hist[0].Attachments[0].Image != *img {
		t.Fatalf("history: %+v", hist)
	}
	// A deleted message takes the thumbnail with the file.
	NoErr(t, s.MessageDelete(ctx, a.Tenant.ID, m.ID, Now()), "MessageDelete")
	_, err = s.AttachmentThumbnail(ctx, a.Tenant.ID, att.ID)
	WantNotFound(t, err)
}

// testMessageAttachmentThumbnailSet: an image stored without a thumbnail
// (uploaded before thumbnails) is pending until one is recorded, or that
// none can be made; only a pending one of the tenant changes, once.
func testMessageAttachmentThumbnailSet(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := newThreadFixture(t, s, "thumbset-a")
	b := newThreadFixture(t, s, "thumbset-b")
	create := func(name, ct string) chat.Attachment {
		att := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: name, ContentType: ct}
		NoErr(t, s.AttachmentCreate(ctx, &att, []byte("old bytes"), nil), "AttachmentCreate "+name)
		return att
	}
	old, broken, doc := create("old.png", "image/png"), create("broken.jpg", "image/jpeg"), create("a.pdf", "application/pdf")
	get := func(id int64) chat.Attachment {
		got, err := s.AttachmentGet(ctx, a.Tenant.ID, id)
		NoErr(t, err, "AttachmentGet")
		return got
	}
	if !get(old.ID).ThumbnailPending || get(old.ID).Image != nil || get(doc.ID).ThumbnailPending {
		t.Fatalf("pending: old %+v, pdf %+v", get(old.ID), get(doc.ID))
	}
	_, err := s.AttachmentThumbnail(ctx, a.Tenant.ID, old.ID)
	WantNotFound(t, err)

	img := &chat.Image{Width: 300, Height: 200, ThumbnailType: "image/jpeg"}
	thumb := []byte("a thumbnail")
	// Another tenant's id changes nothing.
	NoErr(t, s.AttachmentThumbnailSet(ctx, b.Tenant.ID, old.ID, img, thumb), "AttachmentThumbnailSet other tenant")
	if !get(old.ID).ThumbnailPending {
		t.Fatal("another tenant recorded a thumbnail")
	}
	NoErr(t, s.AttachmentThumbnailSet(ctx, a.Tenant.ID, old.ID, img, thumb), "AttachmentThumbnailSet")
	if got := get(old.ID); got.ThumbnailPending || got.Image == nil || *got.Image != *img {
		t.Fatalf("after the set: %+v", got)
	}
	data, err := s.AttachmentThumbnail(ctx, a.Tenant.ID, old.ID)
	NoErr(t, err, "AttachmentThumbnail")
	if !bytes.Equal(data, thumb) {
		t.Fatalf("thumbnail %q", data)
	}
	// The first writer wins: a second (a racing node) changes nothing.
	NoErr(t, s.AttachmentThumbnailSet(ctx, a.Tenant.ID, old.ID, &chat.Image{Width: 1, Height: 1, ThumbnailType: "image/png"}, []byte("x")), "second set")
	if got := get(old.ID); *got.Image != *img {
		t.Fatalf("a second set changed it: %+v", got.Image)
	}
	// None can be made: no longer pending, still no image.
	NoErr(t, s.AttachmentThumbnailSet(ctx, a.Tenant.ID, broken.ID, nil, nil), "AttachmentThumbnailSet none")
	if got := get(broken.ID); got.ThumbnailPending || got.Image != nil {
		t.Fatalf("after none: %+v", got)
	}
	_, err = s.AttachmentThumbnail(ctx, a.Tenant.ID, broken.ID)
	WantNotFound(t, err)
}
