package chat_test

import (
	"context"
	"strings"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// cvCode turns the matrix shorthand into error codes: "" allowed, "F"
// forbidden, "N" not found (invisible, or another tenant's).
func cvCode(s string) string {
	switch s {
	case "F":
		return chat.EForbidden
	case "N":
		return chat.ENotFound
	}
	return ""
}

// TestConversationAuthorizationMatrix runs every conversation action as
// every kind of user, with company-based visibility on, on a fresh
// conversation per cell that EmployeeA (CompanyA) started in a category
// routed to the message-handler role.
func TestConversationAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a, b := w.a, w.b
		w.setVisibility(t, a, true)
		w.setVisibility(t, b, true)

		actors := []struct {
			name string
			u    chat.User
		}{
			{"creator", a.EmployeeA}, {"colleague", a.colleagueA}, {"manager", a.Manager},
			{"employee-b", a.EmployeeB}, {"handler-a", a.handlerA}, {"handler-b", a.handlerB},
			{"handler-no-company", a.Handler}, {"tenant-admin", a.Admin},
			{"other-tenant-admin", b.Admin}, {"other-tenant-handler", b.handlerA},
		}
		type target struct {
			conv int64
			att  int64
		}
		actions := []struct {
			name string
			want string // one code per actor, in actors order
			do   func(ctx context.Context, tg target) error
		}{
			{"read", ". N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.Conversation(ctx, tg.conv)
				return err
			}},
			{"reply", ". N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: chat.ConversationChannel(tg.conv), Body: "reply"})
				return err
			}},
			{"download attachment", ". N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, _, err := w.svc.Messages.OpenAttachment(ctx, tg.att)
				return err
			}},
			{"take", "F N N N . N N F N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.TakeConversation(ctx, tg.conv)
				return err
			}},
			{"hand over", "F N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.SetConversationHandler(ctx, tg.conv, &a.handlerA.ID)
				return err
			}},
			{"change status", "F N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.SetConversationStatus(ctx, tg.conv, chat.StatusWaiting)
				return err
			}},
			{"set assignee", ". N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.SetCustomerAssignee(ctx, tg.conv, &a.colleagueA.ID)
				return err
			}},
			{"set admin", "F N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.SetConversationAdmin(ctx, tg.conv, &a.Admin.ID)
				return err
			}},
			{"add external email", "F N N N . N N F N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.AddExternalEmails(ctx, tg.conv, []string{"auditor@example.com"})
				return err
			}},
			{"notify administrators", "F N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.NotifyAdministrators(ctx, tg.conv)
				return err
			}},
			{"receivers", ". N N N . N N . N N", func(ctx context.Context, tg target) error {
				_, err := w.svc.Conversations.ConversationReceivers(ctx, tg.conv)
				return err
			}},
		}
		for _, act := range actions {
			codes := strings.Fields(act.want)
			if len(codes) != len(actors) {
				t.Fatalf("%s: %d codes for %d actors", act.name, len(codes), len(actors))
			}
			// A cell gets a fresh conversation when the previous cell's
			// action succeeded (and so may have changed it).
			var tg target
			for i, actor := range actors {
				if tg.conv == 0 {
					att := w.upload(t, a.EmployeeA)
					v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{AttachmentIDs: []int64{att.ID}})
					tg = target{conv: v.ID, att: att.ID}
				}
				err := act.do(w.as(t, actor.u), tg)
				if got, want := chat.ErrorCode(err), cvCode(strings.Trim(codes[i], ".")); got != want {
					t.Errorf("%s as %s: code %q, want %q (%v)", act.name, actor.name, got, want, err)
				}
				if err == nil {
					tg = target{}
				}
			}
		}
	})
}

// TestConversationCreateMatrix checks who may set which field of a new
// conversation, with company-based visibility on.
func TestConversationCreateMatrix(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a, b := w.a, w.b
		w.setVisibility(t, a, true)
		adminRole := a.Roles[chat.RoleTenantAdmin].ID

		actors := []struct {
			name string
			u    chat.User
		}{
			{"employee", a.EmployeeA}, {"manager", a.Manager}, {"handler-a", a.handlerA},
			{"handler-b", a.handlerB}, {"handler-no-company", a.Handler}, {"tenant-admin", a.Admin},
			{"other-tenant-admin", b.Admin},
		}
		fields := []struct {
			name string
			want string
			in   chat.NewConversationInput
		}{
			{"plain", ". . . . . . N", chat.NewConversationInput{}},
			{"change receiver roles", "F F . . . . N", chat.NewConversationInput{RoleIDs: []int64{adminRole}}},
			{"same receiver roles", ". . . . . . N", chat.NewConversationInput{RoleIDs: a.cat.RoleIDs}},
			{"related team member", "F . . N N . N", chat.NewConversationInput{RelatedUserID: &a.EmployeeA.ID}},
			{"related person outside team", "F F . N N . N", chat.NewConversationInput{RelatedUserID: &a.colleagueA.ID}},
			{"related own company", ". . . N N . N", chat.NewConversationInput{RelatedCompanyID: &a.CompanyA.ID}},
			{"related other company", "N N N . N . N", chat.NewConversationInput{RelatedCompanyID: &a.CompanyB.ID}},
			{"external email", "F F . . . F N", chat.NewConversationInput{ExternalEmails: []string{"auditor@example.com"}}},
			{"notify administrators", "F F . . . . N", chat.NewConversationInput{NotifyAdmins: true}},
			{"designated administrator", "F F . . . . N", chat.NewConversationInput{AdminID: &a.Admin.ID}},
		}
		for _, fl := range fields {
			codes := strings.Fields(fl.want)
			for i, actor := range actors {
				in := fl.in
				in.CategoryID, in.Subject, in.Body = a.cat.ID, "Subject", "Body"
				_, err := w.svc.Conversations.CreateConversation(w.as(t, actor.u), in)
				if got, want := chat.ErrorCode(err), cvCode(strings.Trim(codes[i], ".")); got != want {
					t.Errorf("%s as %s: code %q, want %q (%v)", fl.name, actor.name, got, want, err)
				}
			}
		}

		// Naming a person fills the company from their employment; the
		// related person is neither notified nor given access.
		mgr := w.as(t, a.Manager)
		v, err := w.svc.Conversations.CreateConversation(mgr, chat.NewConversationInput{CategoryID: a.cat.ID, Subject: "Sick leave",
			Body: "About my team member", RelatedUserID: &a.EmployeeA.ID})
		storetest.NoErr(t, err, "manager creates")
		if v.RelatedCompanyID == nil || *v.RelatedCompanyID != a.CompanyA.ID {
			t.Fatalf("related company = %v, want the person's company", v.RelatedCompanyID)
		}
		_, err = w.svc.Conversations.Conversation(w.as(t, a.EmployeeA), v.ID)
		storetest.WantNotFound(t, err)
		recv, err := w.svc.Conversations.ConversationReceivers(w.as(t, a.Admin), v.ID)
		storetest.NoErr(t, err, "receivers")
		for _, r := range recv.Receivers {
			if r.UserID == a.EmployeeA.ID {
				t.Fatal("the related person is among the receivers")
			}
		}

		// A company the caller may not relate to and one that does not
		// exist answer alike, on creation and on the receiver preview:
		// no answer tells which company ids exist.
		missing := a.CompanyB.ID + 1<<30
		for _, actor := range []chat.User{a.EmployeeA, a.Manager, a.handlerA, a.Handler} {
			var answers []string
			for _, id := range []int64{a.CompanyB.ID, missing} {
				in := chat.NewConversationInput{CategoryID: a.cat.ID, Subject: "x", Body: "y", RelatedCompanyID: &id}
				_, err := w.svc.Conversations.CreateConversation(w.as(t, actor), in)
				storetest.WantNotFound(t, err)
				_, perr := w.svc.Conversations.ReceiverPreview(w.as(t, actor), in)
				storetest.WantNotFound(t, perr)
				answers = append(answers, err.Error(), perr.Error())
			}
			if answers[0] != answers[2] || answers[1] != answers[3] {
				t.Errorf("%s: not yours %q/%q, not there %q/%q", actor.Name, answers[0], answers[1], answers[2], answers[3])
			}
		}

		// Bad input.
		_, err = w.svc.Conversations.CreateConversation(w.as(t, a.handlerA), chat.NewConversationInput{CategoryID: a.cat.ID,
			Subject: "x", Body: "y", ExternalEmails: []string{"not an address"}})
		storetest.WantCode(t, err, chat.EInvalid)
		for _, addr := range []string{"x@localhost", "x@[127.0.0.1]"} {
			_, err = w.svc.Conversations.CreateConversation(w.as(t, a.handlerA), chat.NewConversationInput{CategoryID: a.cat.ID,
				Subject: "x", Body: "y", ExternalEmails: []string{addr}})
			storetest.WantCode(t, err, chat.EInvalid)
		}
		_, err = w.svc.Conversations.CreateConversation(w.as(t, a.EmployeeA), chat.NewConversationInput{CategoryID: a.cat.ID, Subject: " ", Body: "y"})
		storetest.WantCode(t, err, chat.EInvalid)
		_, err = w.svc.Conversations.CreateConversation(w.as(t, a.EmployeeA), chat.NewConversationInput{CategoryID: b.cat.ID, Subject: "x", Body: "y"})
		storetest.WantNotFound(t, err)
	})
}

// TestConversationAccessFollowsRoles: access is decided by current roles
// and companies, so reassigning roles never loses history; the receiver
// list is exactly who can read.
func TestConversationAccessFollowsRoles(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		ctx := t.Context()
		w.setVisibility(t, a, true)
		v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{})

		// The receiver list (as the admin sees it) is exactly the users
		// who can read the conversation.
		checkReceivers := func() {
			t.Helper()
			recv, err := w.svc.Conversations.ConversationReceivers(w.as(t, a.Admin), v.ID)
			storetest.NoErr(t, err, "receivers")
			var listed, readers []int64
			for _, r := range recv.Receivers {
				listed = append(listed, r.UserID)
			}
			users, err := w.st.UserList(ctx, a.Tenant.ID, chat.UserFilter{}, chat.Page{Limit: 100})
			storetest.NoErr(t, err, "UserList")
			for _, u := range users {
				if _, err := w.svc.Conversations.Conversation(w.as(t, u), v.ID); err == nil {
					readers = append(readers, u.ID)
				}
			}
			storetest.SameIDs(t, "receivers vs readers", listed, readers)
		}
		checkReceivers()

		// handlerA leaves the handler role; colleagueA joins it.
		h := a.Roles[chat.RoleMessageHandler].ID
		emp := a.Roles[chat.RoleEmployee].ID
		ha, err := w.st.UserGet(ctx, a.Tenant.ID, a.handlerA.ID)
		storetest.NoErr(t, err, "UserGet")
		ha.RoleIDs = []int64{emp}
		storetest.NoErr(t, w.st.UserUpdate(ctx, ha), "UserUpdate")
		col, err := w.st.UserGet(ctx, a.Tenant.ID, a.colleagueA.ID)
		storetest.NoErr(t, err, "UserGet")
		col.RoleIDs = []int64{emp, h}
		storetest.NoErr(t, w.st.UserUpdate(ctx, col), "UserUpdate")

		_, err = w.svc.Conversations.Conversation(w.as(t, ha), v.ID)
		storetest.WantNotFound(t, err)
		hist, err := w.svc.Messages.History(w.as(t, col), chat.ConversationChannel(v.ID), 0, 10)
		storetest.NoErr(t, err, "new role member reads history")
		if len(hist) != 1 {
			t.Fatalf("history = %d", len(hist))
		}
		checkReceivers()

		// Company visibility off: the handler without a company sees it.
		w.setVisibility(t, a, false)
		_, err = w.svc.Conversations.Conversation(w.as(t, a.Handler), v.ID)
		storetest.NoErr(t, err, "handler without company, visibility off")
		checkReceivers()
	})
}
