package chat_test

import (
	"slices"
	"strings"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// noteWorld is a conversation of EmployeeA (CompanyA) in tenant a with
// company-based visibility on, taken by handlerA, with a designated
// administrator (a.Admin) and a customer assignee (colleagueA), and one
// internal note by handlerA.
type noteWorld struct {
	*cvWorld
	conv    chat.ConversationView
	before  chat.ConversationView // as the handler saw it before the note
	note    chat.Message
	att     chat.Attachment // on the note
	admin2  chat.User       // a tenant admin who is not the designated one
	handler chat.User       // another message handler of CompanyA (receiver-role member)
}

func newNoteWorld(t *testing.T, e engine) *noteWorld {
	t.Helper()
	w := &noteWorld{cvWorld: newCvWorld(t, e.open(t), chat.Config{})}
	a := w.a
	w.setVisibility(t, a, true)
	w.setVisibility(t, w.b, true)
	w.admin2 = a.NewUser(t, "admin2", nil, []int64{a.Roles[chat.RoleTenantAdmin].ID})
	w.handler = a.NewUser(t, "handler-a2", []int64{a.CompanyA.ID}, []int64{a.Roles[chat.RoleMessageHandler].ID})
	w.conv = w.create(t, a, a.EmployeeA, chat.NewConversationInput{Body: "my zebraconv question"})
	h := w.as(t, a.handlerA)
	_, err := w.svc.Conversations.TakeConversation(h, w.conv.ID)
	storetest.NoErr(t, err, "TakeConversation")
	_, err = w.svc.Conversations.SetConversationAdmin(h, w.conv.ID, &a.Admin.ID)
	storetest.NoErr(t, err, "SetConversationAdmin")
	_, err = w.svc.Conversations.SetCustomerAssignee(h, w.conv.ID, &a.colleagueA.ID)
	storetest.NoErr(t, err, "SetCustomerAssignee")
	before, err := w.svc.Conversations.Conversation(h, w.conv.ID)
	storetest.NoErr(t, err, "Conversation")
	w.before = before
	w.jobs(t)
	w.pub.take()

	w.att = w.upload(t, a.handlerA)
	w.note, err = w.svc.Messages.Publish(h, chat.PublishInput{Channel: chat.NoteChannel(w.conv.ID),
		Body: "zebranote: salary dispute, keep internal", AttachmentIDs: []int64{w.att.ID}})
	storetest.NoErr(t, err, "Publish note")

	// A note changes nothing of the conversation and notifies nobody;
	// its only live event is on the note channel.
	after, err := w.svc.Conversations.Conversation(h, w.conv.ID)
	storetest.NoErr(t, err, "Conversation")
	if after.Status != before.Status || after.LastSeq != before.LastSeq || !after.LastActivityAt.Equal(before.LastActivityAt) {
		t.Fatalf("a note changed the conversation: %+v -> %+v", before.Conversation, after.Conversation)
	}
	if js := w.jobs(t); len(js) != 0 {
		t.Fatalf("a note queued notification jobs %v", cvReasons(js))
	}
	for _, ev := range w.pub.take() {
		if ev.Channel != chat.NoteChannel(w.conv.ID) {
			t.Fatalf("a note published %s on %s", ev.Type, ev.Channel)
		}
	}
	return w
}

// TestNoteAuthorizationMatrix: who may write internal notes and who reads
// them through every read path (the conversation list, history, the socket's subscribe, replay,
// the note's attachment, search (anywhere, in conversations, in this
// conversation: found exactly by who reads the notes), in-app
// notifications, the
// conversation's notes flag), on both engines, with
// company-based visibility on.
func TestNoteAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newNoteWorld(t, e)
		a, b := w.a, w.b
		ch := chat.NoteChannel(w.conv.ID)
		actors := []struct {
			name  string
			u     chat.User
			notes bool // may read and write the notes
			sees  bool // may read the conversation
		}{
			{"customer (creator)", a.EmployeeA, false, true},
			{"customer assignee", a.colleagueA, false, true},
			{"customer's manager", a.Manager, false, false},
			{"other company employee", a.EmployeeB, false, false},
			{"handler", a.handlerA, true, true},
			{"receiver-role member", w.handler, true, true},
			{"designated administrator", a.Admin, true, true},
			{"tenant admin, not designated", w.admin2, false, true},
			{"handler of another company", a.handlerB, false, false},
			{"handler without company", a.Handler, false, false},
			{"other tenant's admin", b.Admin, false, false},
			{"other tenant's handler", b.handlerA, false, false},
		}
		for _, ac := range actors {
			ctx := w.as(t, ac.u)
			want := ""
			if !ac.notes {
				want = chat.ENotFound
			}
			check := func(path string, err error) {
				t.Helper()
				if got := chat.ErrorCode(err); got != want {
					t.Errorf("%s as %s: code %q, want %q (%v)", path, ac.name, got, want, err)
				}
			}
			hist, err := w.svc.Messages.History(ctx, ch, 0, 50)
			check("history", err)
			if ac.notes && !slices.ContainsFunc(hist, func(m chat.Message) bool { return m.ID == w.note.ID }) {
				t.Errorf("history as %s lacks the note", ac.name)
			}
			check("subscribe", w.svc.Messages.Authorize(ctx, ch))
			evs, _, err := w.svc.Messages.Events(ctx, ch, 0, 50)
			check("replay", err)
			if ac.notes && (len(evs) == 0 || evs[0].Message.ID != w.note.ID) {
				t.Errorf("replay as %s = %+v", ac.name, evs)
			}
			_, err = w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: ch, Body: "note by " + ac.name})
			check("write", err)
			_, _, err = w.svc.Messages.OpenAttachment(ctx, w.att.ID)
			check("download the note's attachment", err)

			v, err := w.svc.Conversations.Conversation(ctx, w.conv.ID)
			if (err == nil) != ac.sees {
				t.Errorf("conversation as %s: %v, sees %v", ac.name, err, ac.sees)
			}
			if err == nil && v.Can.Notes != ac.notes {
				t.Errorf("can.notes as %s = %v, want %v", ac.name, v.Can.Notes, ac.notes)
			}
			// Search finds the note exactly for who may read the notes,
			// anywhere, in "conversations" and in this conversation, as
			// the note channel; the conversation's own messages for who
			// reads it.
			convCh := chat.ConversationChannel(w.conv.ID)
			for _, q := range []chat.SearchQuery{{}, {Kind: chat.KindConversation}, {Channel: &convCh}, {Kind: chat.KindTopic}} {
				q.Query = "zebranote"
				hits, err := w.svc.Messages.SearchIn(ctx, q)
				storetest.NoErr(t, err, "Search")
				found := len(hits) == 1 && hits[0].MessageID == w.note.ID && hits[0].Channel == ch && hits[0].Title == w.conv.Subject
				if want := ac.notes && q.Kind != chat.KindTopic; found != want || (!want && len(hits) != 0) {
					t.Errorf("search %+v as %s: %+v, want the note %v", q, ac.name, hits, want)
				}
			}
			hits, err := w.svc.Messages.Search(ctx, "zebraconv", 50)
			storetest.NoErr(t, err, "Search")
			if (len(hits) == 1) != ac.sees {
				t.Errorf("search of the conversation as %s: %d hits, sees %v", ac.name, len(hits), ac.sees)
			}
			// The conversation list: listed for who sees it, unmoved by
			// the note (no last seq, so no unread count or badge from it).
			list, err := w.svc.Conversations.Conversations(ctx, chat.ConversationQuery{Page: chat.Page{Limit: 100}})
			storetest.NoErr(t, err, "Conversations")
			i := slices.IndexFunc(list, func(c chat.ConversationView) bool { return c.ID == w.conv.ID })
			if (i >= 0) != ac.sees {
				t.Errorf("list as %s: listed %v, sees %v", ac.name, i >= 0, ac.sees)
			} else if i >= 0 && (list[i].LastSeq != w.before.LastSeq || list[i].Can.Notes != ac.notes) {
				t.Errorf("list as %s: last seq %d (before the note %d), can.notes %v", ac.name, list[i].LastSeq, w.before.LastSeq, list[i].Can.Notes)
			}
			// No in-app notification about a note, for anyone. (No email
			// either: newNoteWorld holds that the note queued no job for
			// anyone; TestNotifierOfficeAddressAndNotes reads every email.)
			ns, err := w.svc.Notifications.Notifications(ctx, chat.Page{Limit: 100})
			if err == nil && slices.ContainsFunc(ns, func(n chat.Notification) bool { return n.Channel == ch }) {
				t.Errorf("%s has a notification about the notes", ac.name)
			}
		}
	})
}

// TestNoteRules: mentions are refused, the customer's thread never
// carries a note, and losing the right to the notes (designated
// administrator removed) revokes the note channel live.
func TestNoteRules(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newNoteWorld(t, e)
		a := w.a
		h := w.as(t, a.handlerA)
		_, err := w.svc.Messages.Publish(h, chat.PublishInput{Channel: chat.NoteChannel(w.conv.ID), Body: "ping", Mentions: []int64{w.handler.ID}})
		if chat.ErrorCode(err) != chat.EInvalid || !strings.Contains(chat.ErrorMessage(err), "cannot mention") {
			t.Fatalf("note with a mention: %v", err)
		}
		// The conversation's own thread, as the customer reads it.
		for _, u := range []chat.User{a.EmployeeA, a.handlerA} {
			msgs, err := w.svc.Messages.History(w.as(t, u), chat.ConversationChannel(w.conv.ID), 0, 100)
			storetest.NoErr(t, err, "History")
			for _, m := range msgs {
				if strings.Contains(m.Body, "zebranote") {
					t.Fatalf("conversation thread carries the note: %+v", m)
				}
			}
		}
		// The customer cannot edit or delete a note (it is not found).
		_, err = w.svc.Messages.DeleteMessage(w.as(t, a.EmployeeA), w.note.ID)
		if chat.ErrorCode(err) != chat.ENotFound {
			t.Fatalf("customer deleting a note: %v", err)
		}

		// A conversation the office addresses to a customer company: its
		// users see it as theirs and never read its notes; the office
		// creator (handler side) does.
		to := w.create(t, a, a.handlerA, chat.NewConversationInput{ToCompanyID: &a.CompanyA.ID})
		_, err = w.svc.Messages.Publish(h, chat.PublishInput{Channel: chat.NoteChannel(to.ID), Body: "about this customer"})
		storetest.NoErr(t, err, "note on a conversation to a customer company")
		cctx := w.as(t, a.colleagueA)
		if _, err := w.svc.Conversations.Conversation(cctx, to.ID); err != nil {
			t.Fatalf("the addressed company's user cannot see the conversation: %v", err)
		}
		if _, err := w.svc.Messages.History(cctx, chat.NoteChannel(to.ID), 0, 10); chat.ErrorCode(err) != chat.ENotFound {
			t.Fatalf("the addressed company's user reading the notes: %v", err)
		}

		w.pub.take()
		_, err = w.svc.Conversations.SetConversationAdmin(h, w.conv.ID, nil)
		storetest.NoErr(t, err, "SetConversationAdmin nil")
		var revoked []chat.Channel
		for _, ev := range w.pub.of(chat.EventAccessRevoked) {
			if ev.Channel == chat.UserChannel(a.Admin.ID) {
				revoked = append(revoked, ev.Data.(chat.RevokedChannels).Channels...)
			}
		}
		// A tenant admin still sees the conversation, but not its notes.
		if !slices.Equal(revoked, []chat.Channel{chat.NoteChannel(w.conv.ID)}) {
			t.Fatalf("revoked from the former designated administrator: %v", revoked)
		}
		if err := w.svc.Messages.Authorize(w.as(t, a.Admin), chat.NoteChannel(w.conv.ID)); chat.ErrorCode(err) != chat.ENotFound {
			t.Fatalf("former designated administrator subscribing to the notes: %v", err)
		}
	})
}

// TestAdminCandidatesAreWhatIsAccepted: with company-based visibility on,
// the list of designated-administrator candidates (what the UI offers) is
// exactly the set of users SetConversationAdmin accepts, tenant admins in
// no company of the caller's included.
func TestAdminCandidatesAreWhatIsAccepted(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		w.setVisibility(t, a, true)
		lone := a.NewUser(t, "lone-admin", nil, []int64{a.Roles[chat.RoleTenantAdmin].ID})
		users, err := w.st.UserList(t.Context(), a.Tenant.ID, chat.UserFilter{}, chat.Page{Limit: chat.MaxPageSize})
		storetest.NoErr(t, err, "UserList")
		for _, caller := range []chat.User{a.handlerB, a.Handler} {
			ctx := w.as(t, caller)
			// handlerB (CompanyB) takes a CompanyB conversation; the
			// provider's handler without company starts one (and so
			// handles it).
			var v chat.ConversationView
			if caller.ID == a.handlerB.ID {
				v = w.create(t, a, a.EmployeeB, chat.NewConversationInput{})
				_, err := w.svc.Conversations.TakeConversation(ctx, v.ID)
				storetest.NoErr(t, err, "TakeConversation")
			} else {
				v = w.create(t, a, caller, chat.NewConversationInput{})
			}
			list, err := w.svc.Conversations.AdminCandidates(ctx, v.ID)
			storetest.NoErr(t, err, "AdminCandidates")
			offered := map[int64]bool{}
			for _, u := range list {
				offered[u.ID] = true
			}
			if !offered[lone.ID] || !offered[a.Admin.ID] {
				t.Errorf("as %s: tenant admins not offered: %v", caller.Email, offered)
			}
			fresh, err := w.svc.Conversations.AdminCandidates(ctx, 0)
			storetest.NoErr(t, err, "AdminCandidates of a new conversation")
			if len(fresh) != len(list) {
				t.Errorf("as %s: %d candidates for a new conversation, %d for this one", caller.Email, len(fresh), len(list))
			}
			for _, u := range users {
				_, err := w.svc.Conversations.SetConversationAdmin(ctx, v.ID, &u.ID)
				if accepted := err == nil; accepted != offered[u.ID] {
					t.Errorf("as %s: %s accepted %v (%v), offered %v", caller.Email, u.Email, accepted, err, offered[u.ID])
				}
			}
		}
		_, err = w.svc.Conversations.AdminCandidates(w.as(t, a.EmployeeA), 0)
		if chat.ErrorCode(err) != chat.EForbidden {
			t.Fatalf("employee asking for candidates: %v", err)
		}
	})
}
