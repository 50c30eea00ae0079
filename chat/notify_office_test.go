package chat_test

import (
	"strings"
	"testing"
	"time"

	"parley/chat"
)

// TestNotifierOfficeAddressAndNotes, over the real SMTP test server on
// both engines: the office notification address gets one email for the
// new conversation and one per customer comment, as does the designated
// administrator per comment; a handler's answer and an internal note
// send nothing to the office; no email anyone gets (customer, handler,
// administrator, office, external address) carries the note; retries
// never send twice, and the decision log records the office address.
func TestNotifierOfficeAddressAndNotes(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newNtWorld(t, e.open(t))
		f := w.f
		const office = "office@accounting.example"
		tn, err := w.st.TenantGet(t.Context(), f.Tenant.ID)
		ntNoErr(t, "TenantGet", err)
		tn.Settings.NotificationEmail, tn.Settings.NotificationLocale, tn.Settings.EmailExcerpts = office, chat.LocaleFinnish, true
		ntNoErr(t, "TenantUpdate", w.st.TenantUpdate(t.Context(), tn))
		cat := f.NewCategory(t, "Bookkeeping", f.Roles[chat.RoleMessageHandler].ID)

		v, err := w.svc.Conversations.CreateConversation(w.as(t, f.EmployeeA), chat.NewConversationInput{Subject: "VAT return",
			CategoryID: cat.ID, Body: "Here are my receipts"})
		ntNoErr(t, "CreateConversation", err)
		ch := chat.ConversationChannel(v.ID)
		w.step(t)
		if got := w.mailsTo(t, office); len(got) != 1 || got[0].Subject != "Uusi viestikeskustelu: VAT return" ||
			!strings.Contains(got[0].Text, "Here are my receipts") || !strings.Contains(got[0].Text, "toimiston ilmoitusosoite") {
			t.Fatalf("office mails after creation: %+v", got)
		}

		h := w.as(t, f.Handler)
		_, err = w.svc.Conversations.TakeConversation(h, v.ID)
		ntNoErr(t, "TakeConversation", err)
		_, err = w.svc.Conversations.SetConversationAdmin(h, v.ID, &f.Admin.ID)
		ntNoErr(t, "SetConversationAdmin", err)
		w.post(t, f.Handler, ch, "Thanks, we will look at them")
		note := w.post(t, f.Handler, chat.NoteChannel(v.ID), "zebranote: the customer is late again")
		comment := w.post(t, f.EmployeeA, ch, "One more receipt")
		w.post(t, f.EmployeeA, ch, "And another one")
		for range 3 {
			w.step(t)
			w.clock.Advance(ntDelay)
		}
		w.step(t)
		// A retry (or a second worker) later sends nothing again.
		w.clock.Advance(time.Hour)
		w.step(t)

		if got := w.mailsTo(t, office); len(got) != 3 {
			t.Fatalf("office got %d mails, want 3 (creation and two comments)", len(got))
		}
		if got := w.mailsTo(t, f.Admin.Email); len(got) != 2 {
			t.Fatalf("designated administrator got %d mails, want 2 (one per comment)", len(got))
		}
		ds := w.decisions(t, comment.ID)[0]
		if len(ds) != 1 || ds[0] != chat.OutcomeSent {
			t.Fatalf("office decisions about the comment: %v", ds)
		}
		if got := w.decisions(t, note.ID); len(got) != 0 {
			t.Fatalf("decisions about the note: %v", got)
		}

		_, err = w.svc.Conversations.AddExternalEmails(h, v.ID, []string{"auditor@outside.example"})
		ntNoErr(t, "AddExternalEmails", err)
		w.step(t)
		if got := w.mailsTo(t, "auditor@outside.example"); len(got) != 1 || !strings.Contains(got[0].Text, "One more receipt") {
			t.Fatalf("external mails %+v", got)
		}
		for _, m := range w.smtp.Messages() {
			p, err := m.Parse()
			ntNoErr(t, "parse", err)
			if strings.Contains(p.Text, "zebranote") || strings.Contains(p.HTML, "zebranote") {
				t.Fatalf("an email to %v carries the internal note", m.To)
			}
		}
	})
}
