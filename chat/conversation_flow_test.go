package chat_test

import (
	"encoding/json"
	"slices"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// TestConversationFlow follows one conversation from creation to Solved:
// the status rules, a visible event with who and when for every change,
// gap-free sequence numbers, notification jobs and live events.
func TestConversationFlow(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		ctx := t.Context()
		customer, handler := w.as(t, a.EmployeeA), w.as(t, a.Handler)
		w.pub.take()

		att := w.upload(t, a.EmployeeA)
		v, err := w.svc.Conversations.CreateConversation(customer, chat.NewConversationInput{Subject: "Late payslip",
			CategoryID: a.cat.ID, Body: "Where is my payslip?", AttachmentIDs: []int64{att.ID}})
		storetest.NoErr(t, err, "create")
		c := v.Conversation
		ch := chat.ConversationChannel(c.ID)
		if c.Status != chat.StatusNew || c.LastSeq != 1 || v.Unread != 0 {
			t.Fatalf("created: status %s last seq %d unread %d", c.Status, c.LastSeq, v.Unread)
		}
		if c.RelatedCompanyID == nil || *c.RelatedCompanyID != a.CompanyA.ID {
			t.Fatalf("employee's conversation carries company %v, want %d", c.RelatedCompanyID, a.CompanyA.ID)
		}
		storetest.SameIDs(t, "receiver roles", c.RoleIDs, a.cat.RoleIDs)
		evs := w.pub.take()
		// The new conversation appears live in the list of everyone who
		// can see it: receiver-role members, tenant admins, the creator.
		storetest.SameIDs(t, "conversation.changed users", cvUsersWith(evs, chat.EventConversation),
			[]int64{a.Admin.ID, a.Handler.ID, a.handlerA.ID, a.handlerB.ID, a.EmployeeA.ID})
		if rs := cvReasons(w.jobs(t)); !slices.Equal(rs, []chat.NotifyReason{chat.ReasonNewConversation}) {
			t.Fatalf("jobs after create = %v", rs)
		}
		hv, err := w.svc.Conversations.Conversation(handler, c.ID)
		storetest.NoErr(t, err, "handler reads")
		if hv.Unread != 1 || !hv.Can.Take || hv.Can.AddExternalEmail != true {
			t.Fatalf("handler view: unread %d, can %+v", hv.Unread, hv.Can)
		}

		post := func(who string, body string) chat.Message {
			t.Helper()
			ctx := customer
			if who == "handler" {
				ctx = handler
			}
			m, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: body})
			storetest.NoErr(t, err, "publish "+who)
			return m
		}
		status := func(want chat.ConversationStatus) {
			t.Helper()
			got, err := w.svc.Conversations.Conversation(customer, c.ID)
			storetest.NoErr(t, err, "read")
			if got.Status != want {
				t.Fatalf("status = %s, want %s", got.Status, want)
			}
		}
		setStatus := func(st chat.ConversationStatus) {
			t.Helper()
			_, err := w.svc.Conversations.SetConversationStatus(handler, c.ID, st)
			storetest.NoErr(t, err, "set status "+string(st))
		}

		post("customer", "Anyone?") // the customer writing again keeps it New
		status(chat.StatusNew)
		post("handler", "Looking into it.") // a handler reply opens it
		status(chat.StatusOpen)
		setStatus(chat.StatusWaiting) // the handler side asks the customer
		status(chat.StatusWaiting)
		_, err = w.svc.Conversations.SetConversationStatus(customer, c.ID, chat.StatusSolved)
		storetest.WantCode(t, err, chat.EForbidden)
		post("customer", "Here is the info.") // the customer answers: back to Open
		status(chat.StatusOpen)
		_, err = w.svc.Conversations.TakeConversation(handler, c.ID)
		storetest.NoErr(t, err, "take")
		setStatus(chat.StatusSolved)
		status(chat.StatusSolved)
		post("customer", "One more thing.") // a new customer message reopens
		status(chat.StatusOpen)
		setStatus(chat.StatusSolved)
		setStatus(chat.StatusSolved) // unchanged: no event
		status(chat.StatusSolved)

		// The thread: every message and every change, in gap-free order,
		// each change with who and when.
		hist, err := w.svc.Messages.History(customer, ch, 0, 100)
		storetest.NoErr(t, err, "history")
		slices.Reverse(hist)
		type step struct {
			kind   chat.MessageKind
			author int64
			what   chat.ChangeKind
			to     chat.ConversationStatus
		}
		cust, hand := a.EmployeeA.ID, a.Handler.ID
		want := []step{
			{chat.MessageText, cust, "", ""},
			{chat.MessageText, cust, "", ""},
			{chat.MessageText, hand, "", ""},
			{chat.MessageStatus, hand, chat.ChangeStatus, chat.StatusOpen},
			{chat.MessageStatus, hand, chat.ChangeStatus, chat.StatusWaiting},
			{chat.MessageText, cust, "", ""},
			{chat.MessageStatus, cust, chat.ChangeStatus, chat.StatusOpen},
			{chat.MessageStatus, hand, chat.ChangeHandler, ""},
			{chat.MessageStatus, hand, chat.ChangeStatus, chat.StatusSolved},
			{chat.MessageText, cust, "", ""},
			{chat.MessageStatus, cust, chat.ChangeStatus, chat.StatusOpen},
			{chat.MessageStatus, hand, chat.ChangeStatus, chat.StatusSolved},
		}
		if len(hist) != len(want) {
			t.Fatalf("thread has %d entries, want %d", len(hist), len(want))
		}
		for i, m := range hist {
			if m.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d", i, m.Seq)
			}
			got := step{kind: m.Kind, author: m.AuthorID}
			if m.Kind == chat.MessageStatus {
				var chg chat.ConversationChange
				if err := json.Unmarshal([]byte(m.Body), &chg); err != nil {
					t.Fatalf("status body %q: %v", m.Body, err)
				}
				got.what, got.to = chg.What, chg.To
				if m.AuthorName == "" || m.CreatedAt.IsZero() {
					t.Fatalf("change %d lacks who or when: %+v", i, m)
				}
			}
			if got != want[i] {
				t.Fatalf("entry %d = %+v, want %+v", i, got, want[i])
			}
		}
		if len(hist[0].Attachments) != 1 || hist[0].Attachments[0].ID != att.ID {
			t.Fatalf("first message attachments = %+v", hist[0].Attachments)
		}
		evsReplay, last, err := w.svc.Messages.Events(customer, ch, 0, 100)
		storetest.NoErr(t, err, "events")
		if last != int64(len(want)) || len(evsReplay) != len(want) {
			t.Fatalf("replay: last %d, %d events", last, len(evsReplay))
		}

		// One job per event: customer messages, handler answers.
		if rs := cvReasons(w.jobs(t)); !slices.Equal(rs, []chat.NotifyReason{chat.ReasonCustomerMessage,
			chat.ReasonAnswered, chat.ReasonCustomerMessage, chat.ReasonCustomerMessage}) {
			t.Fatalf("jobs = %v", rs)
		}

		// Unread: the handler has read nothing since taking it... except
		// its own entries, which mark the author's read state.
		hv, err = w.svc.Conversations.Conversation(handler, c.ID)
		storetest.NoErr(t, err, "handler view")
		if hv.Unread != 0 || hv.HandlerID == nil || *hv.HandlerID != hand {
			t.Fatalf("handler view: unread %d handler %v", hv.Unread, hv.HandlerID)
		}

		// Tenant labels: an accounting office calls Solved "Answered".
		tt, err := w.st.TenantGet(ctx, a.Tenant.ID)
		storetest.NoErr(t, err, "TenantGet")
		tt.Settings.StatusLabels = map[string]map[chat.ConversationStatus]string{"en": {chat.StatusWaiting: "Attentive", chat.StatusSolved: "Answered"}}
		storetest.NoErr(t, w.st.TenantUpdate(ctx, tt), "TenantUpdate")
		cv, err := w.svc.Conversations.Conversation(customer, c.ID)
		storetest.NoErr(t, err, "read")
		if cv.StatusLabel != "Answered" {
			t.Fatalf("label = %q", cv.StatusLabel)
		}
		labels, err := w.svc.Conversations.StatusLabels(customer)
		storetest.NoErr(t, err, "labels")
		if labels[chat.StatusWaiting] != "Attentive" || labels[chat.StatusNew] != "New" {
			t.Fatalf("labels = %v", labels)
		}

		// Lists and filters.
		list, err := w.svc.Conversations.Conversations(handler, chat.ConversationQuery{Status: chat.StatusSolved})
		storetest.NoErr(t, err, "list solved")
		if len(list) != 1 || list[0].ID != c.ID {
			t.Fatalf("solved list = %+v", list)
		}
		list, err = w.svc.Conversations.Conversations(handler, chat.ConversationQuery{Status: chat.StatusOpen})
		storetest.NoErr(t, err, "list open")
		if len(list) != 0 {
			t.Fatalf("open list = %d", len(list))
		}
		list, err = w.svc.Conversations.Conversations(w.as(t, a.EmployeeB), chat.ConversationQuery{})
		storetest.NoErr(t, err, "list other employee")
		if len(list) != 0 {
			t.Fatalf("another employee sees %d conversations", len(list))
		}
		list, err = w.svc.Conversations.Conversations(w.as(t, a.handlerA), chat.ConversationQuery{HandlerID: hand, CompanyID: a.CompanyA.ID, CategoryID: a.cat.ID})
		storetest.NoErr(t, err, "list filtered")
		if len(list) != 1 {
			t.Fatalf("filtered list = %d", len(list))
		}
	})
}
