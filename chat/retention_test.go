package chat_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/storetest"
)

const retDay = 24 * time.Hour

// TestRetention: with a controlled clock, conversations past their
// retention (the tenant's, or the category's override) are deleted with
// their messages, attachments and drafts; the others stay; the admin's
// preview named exactly the deleted ones and the run is recorded.
func TestRetention(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		ctx := t.Context()
		admin := w.as(t, a.Admin)
		short := 30
		shortCat, err := w.svc.Conversations.CreateCategory(admin, chat.CategoryInput{NameEN: "Short", RoleIDs: a.cat.RoleIDs, RetentionDays: &short})
		storetest.NoErr(t, err, "CreateCategory")

		start := w.clock.Now()
		type conv struct {
			id      int64
			att     int64
			draft   int64
			expired bool
		}
		mk := func(cat chat.Category, age time.Duration, expired bool) conv {
			t.Helper()
			w.clock.Set(start.Add(chat.DefaultRetentionDays*retDay + retDay - age))
			att := w.upload(t, a.EmployeeA)
			v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{CategoryID: cat.ID, AttachmentIDs: []int64{att.ID}})
			ch := chat.ConversationChannel(v.ID)
			d, err := w.svc.Messages.SaveDraft(w.as(t, a.Handler), chat.DraftInput{Channel: &ch, Body: "half-written answer"})
			storetest.NoErr(t, err, "SaveDraft")
			return conv{id: v.ID, att: att.ID, draft: d.ID, expired: expired}
		}
		convs := []conv{
			mk(a.cat, chat.DefaultRetentionDays*retDay+retDay, true), // past the tenant's 4 years
			mk(a.cat, 60*retDay, false),                              // within 4 years
			mk(shortCat, 31*retDay, true),                            // past the category's 30 days
			mk(shortCat, 10*retDay, false),                           // within 30 days
		}
		// A later reply is activity: it keeps an old conversation.
		kept := mk(a.cat, chat.DefaultRetentionDays*retDay+retDay, false)
		w.clock.Set(start.Add(chat.DefaultRetentionDays*retDay + retDay - 5*retDay))
		_, err = w.svc.Messages.Publish(w.as(t, a.EmployeeA), chat.PublishInput{Channel: chat.ConversationChannel(kept.id), Body: "still relevant"})
		storetest.NoErr(t, err, "reply")
		convs = append(convs, kept)

		w.clock.Set(start.Add(chat.DefaultRetentionDays*retDay + retDay))
		var wantGone []int64
		for _, c := range convs {
			if c.expired {
				wantGone = append(wantGone, c.id)
			}
		}
		preview, err := w.svc.Conversations.RetentionPreview(admin, 100)
		storetest.NoErr(t, err, "preview")
		var previewIDs []int64
		for _, c := range preview {
			previewIDs = append(previewIDs, c.ID)
		}
		storetest.SameIDs(t, "preview", previewIDs, wantGone)
		_, err = w.svc.Conversations.RetentionPreview(w.as(t, a.Handler), 100)
		storetest.WantCode(t, err, chat.EForbidden)

		run, err := w.svc.Conversations.RunRetention(ctx, a.Tenant.ID, "node-1")
		storetest.NoErr(t, err, "RunRetention")
		if run.Deleted != int64(len(wantGone)) {
			t.Fatalf("deleted %d, want %d", run.Deleted, len(wantGone))
		}
		for _, c := range convs {
			_, errC := w.st.ConversationGet(ctx, a.Tenant.ID, c.id)
			_, errA := w.st.AttachmentGet(ctx, a.Tenant.ID, c.att)
			_, errD := w.st.DraftGet(ctx, a.Tenant.ID, a.Handler.ID, c.draft)
			hist, errH := w.st.MessageHistory(ctx, a.Tenant.ID, chat.ConversationChannel(c.id), 0, 10)
			if c.expired {
				storetest.WantNotFound(t, errC)
				storetest.WantNotFound(t, errA)
				storetest.WantNotFound(t, errD)
				if errH == nil && len(hist) != 0 {
					t.Fatalf("conversation %d left %d messages", c.id, len(hist))
				}
				continue
			}
			storetest.NoErr(t, errC, "kept conversation")
			storetest.NoErr(t, errA, "kept attachment")
			storetest.NoErr(t, errD, "kept draft")
			if errH != nil || len(hist) == 0 {
				t.Fatalf("kept conversation %d lost its messages: %v", c.id, errH)
			}
		}
		// The other tenant was not touched, and the run is recorded.
		runs, err := w.svc.Conversations.RetentionRuns(admin, 10)
		storetest.NoErr(t, err, "RetentionRuns")
		if len(runs) != 1 || runs[0].Deleted != run.Deleted || runs[0].Node != "node-1" {
			t.Fatalf("runs = %+v", runs)
		}
		again, err := w.svc.Conversations.RunRetention(ctx, a.Tenant.ID, "node-1")
		storetest.NoErr(t, err, "second run")
		if again.Deleted != 0 {
			t.Fatalf("second run deleted %d", again.Deleted)
		}
	})
}

// TestRetentionConcurrentNodes: two nodes (services on their own store
// connections to one database) run the clean-up at once; each expired
// conversation is deleted, and counted, exactly once.
func TestRetentionConcurrentNodes(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		stores := e.nodes(t, 2)
		st1, st2 := stores[0], stores[1]
		f := storetest.NewFixture(t, st1, "ret")
		cat := f.NewCategory(t, "General", f.Roles[chat.RoleMessageHandler].ID)
		const expired = 130 // more than one batch
		var want []int64
		for i := range expired + 5 {
			c := f.NewConversation(t, cat, f.EmployeeA.ID, "old")
			if i >= expired {
				c.LastActivityAt = f.Now.Add(chat.DefaultRetentionDays * retDay)
				storetest.NoErr(t, st1.ConversationUpdate(t.Context(), c), "ConversationUpdate")
				continue
			}
			f.PostMessage(t, chat.ConversationChannel(c.ID), f.EmployeeA.ID, "hello")
			want = append(want, c.ID)
		}
		clock := &fakeClock{}
		clock.Set(f.Now.Add((chat.DefaultRetentionDays + 1) * retDay))
		nodes := []*chat.Service{
			chat.NewService(chat.Config{Store: st1, Clock: clock, Logger: zerolog.Nop()}),
			chat.NewService(chat.Config{Store: st2, Clock: clock, Logger: zerolog.Nop()}),
		}
		runs := make([]chat.RetentionRun, len(nodes))
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, svc := range nodes {
			wg.Go(func() { runs[i], errs[i] = svc.Conversations.RunRetention(t.Context(), f.Tenant.ID, "node") })
		}
		wg.Wait()
		for i, err := range errs {
			storetest.NoErr(t, err, "node run")
			t.Logf("node %d deleted %d", i, runs[i].Deleted)
		}
		if total := runs[0].Deleted + runs[1].Deleted; total != expired {
			t.Fatalf("nodes deleted %d + %d = %d, want %d", runs[0].Deleted, runs[1].Deleted, total, expired)
		}
		left, err := st1.ConversationList(t.Context(), f.Tenant.ID, chat.ConversationFilter{AllOfTenant: true}, chat.Page{Limit: 200})
		storetest.NoErr(t, err, "ConversationList")
		if len(left) != 5 {
			t.Fatalf("%d conversations left, want 5", len(left))
		}
		for _, c := range left {
			if slices.Contains(want, c.ID) {
				t.Fatalf("expired conversation %d survived", c.ID)
			}
		}
		recorded, err := st1.RetentionRunList(t.Context(), f.Tenant.ID, 10)
		storetest.NoErr(t, err, "RetentionRunList")
		if len(recorded) != 2 {
			t.Fatalf("%d runs recorded, want 2", len(recorded))
		}
	})
}
