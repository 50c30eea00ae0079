package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/sqlite"
)

func TestDemoMessenger(t *testing.T) {
	t.Parallel()
	d, as := seededDemo(t, (*demo).seedMessenger)
	svc := d.svc
	overview := func(key string) map[string]chat.TopicView {
		t.Helper()
		gvs, err := svc.Messenger.Topics(as(key))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]chat.TopicView{}
		for _, g := range gvs {
			for _, tv := range g.Topics {
				out[g.Group.Name+"/"+tv.Topic.Name] = tv
			}
		}
		return out
	}
	mira := overview("messenger")
	for _, name := range []string{"Payroll team/Payments processing", "Payroll team/Tax cards 2025",
		"Northwind HR/Salary questions", "Northwind HR/Holiday calendar"} {
		if _, ok := mira[name]; !ok {
			t.Errorf("messenger manager does not see %s", name)
		}
	}
	if len(mira) != 4 {
		t.Errorf("messenger manager sees %d topics, want 4 (inactive ones hidden)", len(mira))
	}
	emma := overview("employee")
	if len(emma) != 2 || emma["Northwind HR/Salary questions"].Unread != 1 {
		t.Errorf("employee's messenger: %+v", emma)
	}
	msgs, err := svc.Messages.History(as("handler"), chat.TopicChannel(mira["Payroll team/Payments processing"].Topic.ID), 0, 50)
	if err != nil || len(msgs) < 5 {
		t.Fatalf("history: %d messages, %v", len(msgs), err)
	}
	var edited, deleted, replied bool
	for _, m := range msgs {
		edited = edited || m.EditedAt != nil
		deleted = deleted || m.DeletedAt != nil
		replied = replied || m.ReplyToID != nil
	}
	if !edited || !deleted || !replied {
		t.Errorf("history lacks an edit (%v), a tombstone (%v) or a reply (%v)", edited, deleted, replied)
	}
	hits, err := svc.Messages.Search(as("handler"), "bonus", 10)
	if err != nil || len(hits) != 2 {
		t.Errorf("search: %+v %v", hits, err)
	}
	hits, err = svc.Messages.Search(as("customer"), "bonus", 10)
	if err != nil || len(hits) != 0 {
		t.Errorf("a non-member found %+v %v", hits, err)
	}
}

// seededDemo seeds a fresh SQLite database with the demo's tenant,
// companies and users, then the given steps, and returns the demo and a
// function giving the context of a demo user by key ("employee").
func seededDemo(t *testing.T, steps ...func(*demo) error) (*demo, func(key string) context.Context) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := chat.NewService(chat.Config{Store: st, Logger: zerolog.Nop()})
	d := &demo{svc: svc, store: st, op: chat.OperatorContext(ctx), companies: map[string]chat.Company{}, users: map[string]chat.User{}}
	for _, step := range append([]func(*demo) error{(*demo).seedTenant, (*demo).seedCompanies, (*demo).seedUsers}, steps...) {
		if err := step(d); err != nil {
			t.Fatal(err)
		}
	}
	as := func(key string) context.Context {
		t.Helper()
		ctx, err := d.actAs(ctx, d.users[key])
		if err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	return d, as
}
