package chat_test

import (
	"context"
	"testing"
	"time"

	"parley/chat"
	"parley/storage/storetest"
)

// TestQueueCountsByRoleAndCompany counts the queues of every kind of user
// with company-based visibility on and off, on both engines, and holds
// each count to the length of its queue list.
func TestQueueCountsByRoleAndCompany(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		cs := w.svc.Conversations
		// CompanyA: one new from EmployeeA, one from colleagueA taken by
		// handlerA and set waiting, one taken by handlerA and answered,
		// one solved; CompanyB: one new from EmployeeB, 2 h younger.
		aNew := w.create(t, a, a.EmployeeA, chat.NewConversationInput{})
		aWait := w.create(t, a, a.colleagueA, chat.NewConversationInput{})
		_, err := cs.TakeConversation(w.as(t, a.handlerA), aWait.ID)
		storetest.NoErr(t, err, "take")
		_, err = cs.SetConversationStatus(w.as(t, a.handlerA), aWait.ID, chat.StatusWaiting)
		storetest.NoErr(t, err, "waiting")
		aAnswered := w.create(t, a, a.EmployeeA, chat.NewConversationInput{Subject: "answered"})
		_, err = cs.TakeConversation(w.as(t, a.handlerA), aAnswered.ID)
		storetest.NoErr(t, err, "take")
		_, err = w.svc.Messages.Publish(w.as(t, a.handlerA), chat.PublishInput{Channel: chat.ConversationChannel(aAnswered.ID), Body: "Here you are"})
		storetest.NoErr(t, err, "answer")
		w.clock.Advance(2 * time.Hour)
		bNew := w.create(t, a, a.EmployeeB, chat.NewConversationInput{})
		aSolved := w.create(t, a, a.EmployeeA, chat.NewConversationInput{Subject: "solved"})
		_, err = cs.SetConversationStatus(w.as(t, a.Admin), aSolved.ID, chat.StatusSolved)
		storetest.NoErr(t, err, "solve")
		// The other tenant's conversation never counts.
		w.create(t, w.b, w.b.EmployeeA, chat.NewConversationInput{})
		w.clock.Advance(23 * time.Hour) // aNew waited 25 h, bNew 23 h: only aNew is stale
		_ = bNew

		type want struct{ new, mine, waiting, stale, payroll int64 }
		check := func(t *testing.T, u chat.User, wt want) {
			t.Helper()
			ctx := w.as(t, u)
			q, err := cs.Queues(ctx)
			storetest.NoErr(t, err, "Queues")
			got := want{q.New, q.Mine, q.Waiting, q.Stale, 0}
			for _, c := range q.Categories {
				if c.CategoryID == a.cat.ID {
					got.payroll = c.Count
				}
			}
			if got != wt {
				t.Fatalf("%s: counts %+v, want %+v", u.Name, got, wt)
			}
			if q.StaleHours != chat.DefaultStaleHours {
				t.Fatalf("stale hours %d", q.StaleHours)
			}
			for queue, n := range map[chat.Queue]int64{chat.QueueNew: q.New, chat.QueueMine: q.Mine, chat.QueueWaiting: q.Waiting, chat.QueueStale: q.Stale} {
				l := queueList(t, ctx, cs, chat.ConversationQuery{Queue: queue})
				if int64(len(l)) != n {
					t.Fatalf("%s: queue %s lists %d, count %d", u.Name, queue, len(l), n)
				}
				for i := 1; i < len(l); i++ {
					if l[i].CreatedAt.Before(l[i-1].CreatedAt) {
						t.Fatalf("queue %s is not oldest first", queue)
					}
				}
			}
			if l := queueList(t, ctx, cs, chat.ConversationQuery{Queue: chat.QueueCategory, CategoryID: a.cat.ID}); int64(len(l)) != got.payroll {
				t.Fatalf("%s: category queue lists %d, count %d", u.Name, len(l), got.payroll)
			}
		}

		t.Run("company visibility off", func(t *testing.T) {
			check(t, a.Admin, want{new: 2, waiting: 1, stale: 1, payroll: 4})
			check(t, a.handlerA, want{new: 2, mine: 2, waiting: 1, stale: 1, payroll: 4})
			check(t, a.handlerB, want{new: 2, waiting: 1, stale: 1, payroll: 4})
			check(t, a.Handler, want{new: 2, waiting: 1, stale: 1, payroll: 4})
		})
		w.setVisibility(t, a, true)
		t.Run("company visibility on", func(t *testing.T) {
			check(t, a.Admin, want{new: 2, waiting: 1, stale: 1, payroll: 4})
			// handlerA serves CompanyA: aNew, aWait, aAnswered.
			check(t, a.handlerA, want{new: 1, mine: 2, waiting: 1, stale: 1, payroll: 3})
			// handlerB serves CompanyB: bNew only, not stale yet.
			check(t, a.handlerB, want{new: 1, payroll: 1})
			// A handler assigned to no company sees nothing routed.
			check(t, a.Handler, want{})
		})
		t.Run("stale hours setting", func(t *testing.T) {
			tt, err := w.st.TenantGet(t.Context(), a.Tenant.ID)
			storetest.NoErr(t, err, "TenantGet")
			tt.Settings.StaleHours = 12
			storetest.NoErr(t, w.st.TenantUpdate(t.Context(), tt), "TenantUpdate")
			q, err := cs.Queues(w.as(t, a.Admin))
			storetest.NoErr(t, err, "Queues")
			if q.Stale != 2 || q.StaleHours != 12 {
				t.Fatalf("with 12 h: stale %d (hours %d), want 2", q.Stale, q.StaleHours)
			}
			_, err = w.svc.Directory.TenantUpdate(w.as(t, a.Admin), a.Tenant.ID, chat.TenantPatch{Settings: &chat.TenantSettings{StaleHours: chat.MaxStaleHours + 1}})
			storetest.WantCode(t, err, chat.EInvalid)
		})
		t.Run("a customer reply makes the wait start, a handler reply ends it", func(t *testing.T) {
			ctx := w.as(t, a.Admin)
			before, err := cs.Queues(ctx)
			storetest.NoErr(t, err, "Queues")
			_, err = w.svc.Messages.Publish(w.as(t, a.handlerA), chat.PublishInput{Channel: chat.ConversationChannel(aNew.ID), Body: "On it"})
			storetest.NoErr(t, err, "handler reply")
			after, err := cs.Queues(ctx)
			storetest.NoErr(t, err, "Queues")
			if after.Stale != before.Stale-1 || after.New != before.New-1 {
				t.Fatalf("after the answer: %+v, before %+v", after, before)
			}
			_, err = w.svc.Messages.Publish(w.as(t, a.EmployeeA), chat.PublishInput{Channel: chat.ConversationChannel(aNew.ID), Body: "Thanks, but?"})
			storetest.NoErr(t, err, "customer reply")
			c, err := cs.Conversation(ctx, aNew.ID)
			storetest.NoErr(t, err, "Conversation")
			if c.AwaitingSince == nil || !c.AwaitingSince.Equal(w.clock.Now()) {
				t.Fatalf("awaiting since %v, want now", c.AwaitingSince)
			}
		})
		t.Run("customers and bad queues", func(t *testing.T) {
			_, err := cs.Queues(w.as(t, a.EmployeeA))
			storetest.WantCode(t, err, chat.EForbidden)
			_, err = cs.Conversations(w.as(t, a.Manager), chat.ConversationQuery{Queue: chat.QueueNew})
			storetest.WantCode(t, err, chat.EForbidden)
			_, err = cs.Conversations(w.as(t, a.Admin), chat.ConversationQuery{Queue: "later"})
			storetest.WantCode(t, err, chat.EInvalid)
			_, err = cs.Conversations(w.as(t, a.Admin), chat.ConversationQuery{Queue: chat.QueueCategory})
			storetest.WantCode(t, err, chat.EInvalid)
			_, err = cs.Conversations(w.as(t, a.Admin), chat.ConversationQuery{Queue: chat.QueueNew, Status: chat.StatusOpen})
			storetest.WantCode(t, err, chat.EInvalid)
		})
	})
}

// queueList reads every page of a queue.
func queueList(t *testing.T, ctx context.Context, cs *chat.ConversationService, q chat.ConversationQuery) []chat.ConversationView {
	t.Helper()
	var out []chat.ConversationView
	q.Page = chat.Page{Limit: 2}
	for range 20 {
		l, err := cs.Conversations(ctx, q)
		storetest.NoErr(t, err, "Conversations queue "+string(q.Queue))
		out = append(out, l...)
		if len(l) < q.Page.Limit {
			return out
		}
		q.Page.After = l[len(l)-1].ID
	}
	t.Fatal("queue does not end")
	return nil
}
