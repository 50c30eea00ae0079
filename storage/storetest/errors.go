package storetest

import (
	"errors"
	"testing"
	"time"

	"parley/chat"
)

// WantError fails unless err is a *chat.Error with exactly this code and
// message.
func WantError(t testing.TB, err error, code, message string) {
	t.Helper()
	WantCode(t, err, code)
	var ce *chat.Error
	if errors.As(err, &ce); ce.Message != message {
		t.Fatalf("error message = %q, want %q (code %s)", ce.Message, message, code)
	}
}

func testErrorDuplicateEmailCreate(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "err-email-create")
	u := chat.User{TenantID: f.Tenant.ID, Email: f.EmployeeA.Email, Name: "Again", Locale: chat.LocaleEnglish, Active: true}
	WantError(t, s.UserCreate(t.Context(), &u, "hash"), chat.EConflict, "email is already in use")
}

func testErrorDuplicateEmailUpdate(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "err-email-update")
	u := f.EmployeeB
	u.Email = f.EmployeeA.Email
	WantError(t, s.UserUpdate(t.Context(), u), chat.EConflict, "email is already in use")
}

func testErrorDuplicateRoleKey(t *testing.T, s chat.Store) {
	f := NewFixture(t, s, "err-role-key")
	r := chat.Role{TenantID: f.Tenant.ID, Key: chat.RoleMessageHandler, Name: "Second handlers"}
	WantError(t, s.RoleCreate(t.Context(), &r), chat.EConflict, "a role with this key already exists")
}

func testErrorUsedClientMsgID(t *testing.T, s chat.Store) {
	f := newThreadFixture(t, s, "err-client-id")
	post := func() chat.TopicPost {
		return chat.TopicPost{Message: chat.Message{
			TenantID: f.Tenant.ID, Channel: f.T1, AuthorID: f.EmployeeA.ID, ClientMsgID: "same", Body: "hello",
		}}
	}
	first := []chat.TopicPost{post()}
	NoErr(t, s.TopicPostBatch(t.Context(), first), "TopicPostBatch")
	NoErr(t, first[0].Err, "first post")
	again := []chat.TopicPost{post()}
	NoErr(t, s.TopicPostBatch(t.Context(), again), "TopicPostBatch again")
	WantError(t, again[0].Err, chat.EConflict, "a message with this client message id already exists")
}

func testErrorTakenSeq(t *testing.T, s chat.Store) {
	f := newThreadFixture(t, s, "err-seq")
	m := f.PostMessage(t, f.T1, f.EmployeeA.ID, "one")
	err := s.ChannelEventInsert(t.Context(), f.Tenant.ID, f.T1, m.Seq, chat.EventMessageNew, m.ID, time.Time{})
	WantError(t, err, chat.EConflict, "sequence number already taken")
}

func testErrorMissingRefs(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "err-refs")
	const missing = 1 << 40
	tp := chat.Topic{TenantID: f.Tenant.ID, GroupID: missing, Name: "orphan", Active: true}
	WantError(t, s.TopicCreate(ctx, &tp), chat.ENotFound, "group not found")
	WantError(t, s.MuteSet(ctx, f.Tenant.ID, missing, f.T1, true), chat.ENotFound, "user not found")
	_, err := s.ReadStateSet(ctx, f.Tenant.ID, missing, f.T1, 1)
	WantError(t, err, chat.ENotFound, "user not found")
	d := chat.Draft{TenantID: f.Tenant.ID, UserID: missing, Body: "draft"}
	WantError(t, s.DraftSave(ctx, &d), chat.ENotFound, "user not found")
	ss := chat.Session{ID: "err-refs-session", TenantID: f.Tenant.ID, UserID: missing, ExpiresAt: Now().Add(time.Hour)}
	WantError(t, s.SessionCreate(ctx, ss), chat.ENotFound, "user not found")
	WantError(t, s.GroupSetMembers(ctx, f.Tenant.ID, f.Group.ID, []int64{f.EmployeeA.ID, missing}), chat.ENotFound, "user not found")
	// Another tenant's row is as missing as one that does not exist.
	other := NewFixture(t, s, "err-refs-other")
	tp = chat.Topic{TenantID: other.Tenant.ID, GroupID: f.Group.ID, Name: "foreign", Active: true}
	WantError(t, s.TopicCreate(ctx, &tp), chat.ENotFound, "group not found")
}

func testErrorNoRowChanged(t *testing.T, s chat.Store) {
	ctx := t.Context()
	f := newThreadFixture(t, s, "err-affect")
	tp := f.Topic
	tp.ID = 1 << 40
	WantError(t, s.TopicUpdate(ctx, tp), chat.ENotFound, "topic not found")
	u := f.EmployeeA
	u.ID = 1 << 40
	WantError(t, s.UserUpdate(ctx, u), chat.ENotFound, "user not found")
	WantError(t, s.MessageEdit(ctx, f.Tenant.ID, 1<<40, "x", Now()), chat.ENotFound, "message not found")
}
