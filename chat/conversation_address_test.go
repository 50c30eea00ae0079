package chat_test

import (
	"slices"
	"strings"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// TestOfficeToCustomerMatrix: who may address a new conversation to a
// customer user or company, with company-based visibility on and off, on
// both engines. "" allowed, "F" forbidden, "N" not found, "I" invalid.
func TestOfficeToCustomerMatrix(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a, b := w.a, w.b
		actors := []struct {
			name string
			u    chat.User
		}{
			{"employee-a", a.EmployeeA}, {"manager", a.Manager}, {"handler-a", a.handlerA},
			{"handler-no-company", a.Handler}, {"tenant-admin", a.Admin}, {"other-tenant-handler", b.handlerA},
		}
		targets := []struct {
			name string
			in   chat.NewConversationInput
		}{
			{"user in A", chat.NewConversationInput{ToUserID: &a.colleagueA.ID}},
			{"company A", chat.NewConversationInput{ToCompanyID: &a.CompanyA.ID}},
			{"company B", chat.NewConversationInput{ToCompanyID: &a.CompanyB.ID}},
			{"user in B", chat.NewConversationInput{ToUserID: &a.EmployeeB.ID}},
			{"a handler", chat.NewConversationInput{ToUserID: &a.handlerB.ID}},
			{"user and company", chat.NewConversationInput{ToUserID: &a.colleagueA.ID, ToCompanyID: &a.CompanyA.ID}},
			{"user, other company", chat.NewConversationInput{ToUserID: &a.colleagueA.ID, RelatedCompanyID: &a.CompanyB.ID}},
		}
		// One row per target, one code per actor in actors order.
		matrices := []struct {
			visibility bool
			rows       []string
		}{
			{false, []string{
				"F F . . . N",
				"F F . . . N",
				"F F . . . N",
				"F F . . . N",
				"F F I I I N",
				"I I I I I I",
				// The related company is checked first: a customer may not
				// relate to another company at all.
				"N N I I I N",
			}},
			{true, []string{
				// handler-a serves company A only; the handler without a
				// company serves none; tenant admins any.
				"F F . N . N",
				"F F . N . N",
				"F F N N . N",
				"F F N N . N",
				"F F I I I N",
				"I I I I I I",
				"N N N N I N",
			}},
		}
		code := func(s string) string {
			if s == "I" {
				return chat.EInvalid
			}
			return cvCode(strings.Trim(s, "."))
		}
		for _, m := range matrices {
			w.setVisibility(t, a, m.visibility)
			for i, tg := range targets {
				codes := strings.Fields(m.rows[i])
				for j, actor := range actors {
					in := tg.in
					in.CategoryID, in.Subject, in.Body = a.cat.ID, "From the office", "Please send us your receipts."
					if actor.u.TenantID != a.Tenant.ID {
						in.CategoryID = b.cat.ID
					}
					_, err := w.svc.Conversations.CreateConversation(w.as(t, actor.u), in)
					if got, want := chat.ErrorCode(err), code(codes[j]); got != want {
						t.Errorf("visibility %v: %s addresses %s: code %q, want %q (%v)", m.visibility, actor.name, tg.name, got, want, err)
					}
				}
			}
		}
	})
}

// TestOfficeToCustomerConversation: a conversation a handler addresses to
// a customer company is theirs: its users list and read it, answer it as
// the customer side and are told about it; other companies see nothing.
func TestOfficeToCustomerConversation(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		w.setVisibility(t, a, true)
		colleagueB := a.NewUser(t, "colleague-b", []int64{a.CompanyB.ID}, []int64{a.Roles[chat.RoleEmployee].ID})
		v := w.create(t, a, a.handlerB, chat.NewConversationInput{ToCompanyID: &a.CompanyB.ID, Subject: "Year-end documents"})
		if !v.ToCustomer || v.CustomerCompanyID == nil || *v.CustomerCompanyID != a.CompanyB.ID ||
			v.RelatedCompanyID == nil || *v.RelatedCompanyID != a.CompanyB.ID {
			t.Fatalf("created %+v", v.Conversation)
		}
		if v.HandlerID == nil || *v.HandlerID != a.handlerB.ID || v.Status != chat.StatusOpen || v.AwaitingSince != nil {
			t.Fatalf("the office's conversation: handler %v status %s awaiting %v", v.HandlerID, v.Status, v.AwaitingSince)
		}
		jobs := w.jobs(t)
		if rs := cvReasons(jobs); !slices.Equal(rs, []chat.NotifyReason{chat.ReasonNewConversation}) {
			t.Fatalf("jobs %v", rs)
		}

		for _, u := range []chat.User{a.EmployeeB, colleagueB} {
			ctx := w.as(t, u)
			l, err := w.svc.Conversations.Conversations(ctx, chat.ConversationQuery{Mine: true})
			storetest.NoErr(t, err, "Conversations mine")
			if len(l) != 1 || l[0].ID != v.ID {
				t.Fatalf("%s's own list: %+v", u.Name, l)
			}
			cv, err := w.svc.Conversations.Conversation(ctx, v.ID)
			storetest.NoErr(t, err, "Conversation")
			if cv.Can.SetStatus || cv.Can.SetAdmin || cv.Can.NotifyAdmins {
				t.Fatalf("%s acts as the handler side: %+v", u.Name, cv.Can)
			}
			_, err = w.svc.Conversations.SetConversationStatus(ctx, v.ID, chat.StatusSolved)
			storetest.WantCode(t, err, chat.EForbidden)
		}
		for _, u := range []chat.User{a.EmployeeA, a.colleagueA, a.handlerA, w.b.Admin} {
			_, err := w.svc.Conversations.Conversation(w.as(t, u), v.ID)
			storetest.WantCode(t, err, chat.ENotFound)
			l, err := w.svc.Conversations.Conversations(w.as(t, u), chat.ConversationQuery{})
			storetest.NoErr(t, err, "Conversations")
			if slices.ContainsFunc(l, func(x chat.ConversationView) bool { return x.ID == v.ID }) {
				t.Fatalf("%s lists the conversation of another company", u.Name)
			}
		}

		// The receivers are the company's users, the handler, and the
		// tenant admin: the notifier and the live fan-out use the same.
		rl, err := w.svc.Conversations.ConversationReceivers(w.as(t, a.Admin), v.ID)
		storetest.NoErr(t, err, "ConversationReceivers")
		var ids []int64
		for _, r := range rl.Receivers {
			ids = append(ids, r.UserID)
		}
		storetest.SameIDs(t, "receivers", ids, []int64{a.EmployeeB.ID, colleagueB.ID, a.handlerB.ID, a.Admin.ID})

		// The customer's reply is a customer message: the wait starts and
		// the handler is told.
		_, err = w.svc.Messages.Publish(w.as(t, colleagueB), chat.PublishInput{Channel: chat.ConversationChannel(v.ID), Body: "Attached."})
		storetest.NoErr(t, err, "customer reply")
		if rs := cvReasons(w.jobs(t)); !slices.Equal(rs, []chat.NotifyReason{chat.ReasonCustomerMessage}) {
			t.Fatalf("reply jobs %v", rs)
		}
		cv, err := w.svc.Conversations.Conversation(w.as(t, a.handlerB), v.ID)
		storetest.NoErr(t, err, "Conversation")
		if cv.AwaitingSince == nil {
			t.Fatal("a customer reply did not start the wait")
		}

		// Addressed to one user: only that user of the company sees it.
		u := w.create(t, a, a.handlerB, chat.NewConversationInput{ToUserID: &colleagueB.ID, Subject: "Your payslip"})
		if u.CustomerAssigneeID == nil || *u.CustomerAssigneeID != colleagueB.ID || u.CustomerCompanyID != nil {
			t.Fatalf("to a user: %+v", u.Conversation)
		}
		_, err = w.svc.Conversations.Conversation(w.as(t, colleagueB), u.ID)
		storetest.NoErr(t, err, "addressee reads")
		_, err = w.svc.Conversations.Conversation(w.as(t, a.EmployeeB), u.ID)
		storetest.WantCode(t, err, chat.ENotFound)
	})
}

// TestConversationRecipientsAddressees: the users of the addressed
// customer company hear of the new conversation and of answers; the
// office creator of a conversation to a customer is not told "your
// message has been answered".
func TestConversationRecipientsAddressees(t *testing.T) {
	t.Parallel()
	handler, colleague, c1, c2 := int64(1), int64(2), int64(10), int64(11)
	company := int64(5)
	p := chat.ConversationParties{
		Conversation:  chat.Conversation{CreatorID: handler, HandlerID: &handler, ToCustomer: true, CustomerCompanyID: &company},
		RoleMemberIDs: []int64{handler, colleague},
		AddresseeIDs:  []int64{c1, c2},
	}
	ids := func(rs []chat.Recipient) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.UserID)
		}
		return out
	}
	if got := ids(chat.ConversationRecipients(chat.ReasonNewConversation, p, handler, nil)); !slices.Equal(got, []int64{colleague, c1, c2}) {
		t.Errorf("new_conversation: %v", got)
	}
	if got := ids(chat.ConversationRecipients(chat.ReasonAnswered, p, colleague, nil)); !slices.Equal(got, []int64{c1, c2}) {
		t.Errorf("answered by another handler: %v (the office creator is not the customer)", got)
	}
	if got := ids(chat.ConversationRecipients(chat.ReasonCustomerMessage, p, c1, nil)); !slices.Equal(got, []int64{handler}) {
		t.Errorf("customer_message: %v", got)
	}
}
