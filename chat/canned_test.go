package chat_test

import (
	"strings"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

func TestExpandPlaceholders(t *testing.T) {
	t.Parallel()
	vals := map[string]string{
		chat.PlaceholderCustomer: "Eve\n> quoted\n- item",
		chat.PlaceholderHandler:  "[Bank](https://evil.example)",
		chat.PlaceholderSubject:  "<img src=x onerror=alert(1)>\u2028x",
	}
	for _, c := range []struct{ body, want string }{
		{"Hi {customer_name}, {handler_name} here.", "Hi Eve > quoted - item, [Bank] (https://evil.example) here."},
		{"Re: {subject}", "Re: <img src=x onerror=alert(1)> x"},
		{"Hei {asiakkaan_nimi}, terveisin {käsittelijän_nimi}: {aihe}", "Hei Eve > quoted - item, terveisin [Bank] (https://evil.example): <img src=x onerror=alert(1)> x"},
		{"{Customer_Name} {unknown} {} {customer name}", "Eve > quoted - item {unknown} {} {customer name}"},
	} {
		if got := chat.ExpandPlaceholders(c.body, vals); got != c.want {
			t.Errorf("ExpandPlaceholders(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}

// TestCannedReplies: who keeps and uses canned replies, their limits and
// their placeholders filled from a conversation, on both engines.
func TestCannedReplies(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		cr := w.svc.CannedReplies
		admin, handler, employee := w.as(t, a.Admin), w.as(t, a.handlerA), w.as(t, a.EmployeeA)

		shared, err := cr.CreateCannedReply(admin, chat.CannedReplyInput{Shared: true, Locale: "fi", Title: "Kiitos", Body: "Hei {customer_name}, kiitos viestistä {aihe}. T. {handler_name}"})
		storetest.NoErr(t, err, "shared reply")
		own, err := cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: "Payslip", Body: "Dear {customer_name}, about {subject}: ..."})
		storetest.NoErr(t, err, "own reply")
		if !shared.Shared || own.Shared || own.Locale != chat.LocaleEnglish || !own.CanEdit {
			t.Fatalf("shared %+v own %+v", shared, own)
		}

		for _, c := range []struct {
			name string
			err  error
			code string
		}{
			{"employee lists", errOf(cr.CannedReplies(employee, "")), chat.EForbidden},
			{"employee creates", errOf(cr.CreateCannedReply(employee, chat.CannedReplyInput{Title: "x", Body: "y"})), chat.EForbidden},
			{"handler creates shared", errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Shared: true, Title: "x", Body: "y"})), chat.EForbidden},
			{"handler changes shared", errOf(cr.UpdateCannedReply(handler, shared.ID, chat.CannedReplyInput{Title: "x", Body: "y"})), chat.EForbidden},
			{"handler deletes shared", cr.DeleteCannedReply(handler, shared.ID), chat.EForbidden},
			{"admin changes handler's", errOf(cr.UpdateCannedReply(admin, own.ID, chat.CannedReplyInput{Title: "x", Body: "y"})), chat.ENotFound},
			{"other handler expands handler's", errOf(cr.ExpandCannedReply(w.as(t, a.handlerB), own.ID, 1)), chat.ENotFound},
			{"other tenant's admin", errOf(cr.UpdateCannedReply(w.as(t, w.b.Admin), shared.ID, chat.CannedReplyInput{Title: "x", Body: "y"})), chat.ENotFound},
			{"unknown placeholder", errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: "x", Body: "Hi {name}"})), chat.EInvalid},
			{"bad locale", errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Locale: "sv", Title: "x", Body: "y"})), chat.EInvalid},
			{"empty body", errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: "x", Body: " "})), chat.EInvalid},
			{"long title", errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: strings.Repeat("t", chat.MaxCannedTitle+1), Body: "y"})), chat.EInvalid},
			{"long body", errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: "x", Body: strings.Repeat("ä", chat.MaxCannedBody+1)})), chat.ETooLarge},
		} {
			if got := chat.ErrorCode(c.err); got != c.code {
				t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.code, c.err)
			}
		}
		if err := errOf(cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: "x", Body: "Hi {name}"})); !strings.Contains(chat.ErrorMessage(err), "{name}") {
			t.Errorf("the unknown placeholder is not named: %v", err)
		}

		// Lists: the handler sees the shared one and their own; another
		// handler only the shared one; the search looks at title and body.
		titles := func(vs []chat.CannedReplyView, err error) string {
			t.Helper()
			storetest.NoErr(t, err, "CannedReplies")
			var out []string
			for _, v := range vs {
				out = append(out, v.Title)
			}
			return strings.Join(out, ",")
		}
		if got := titles(cr.CannedReplies(handler, "")); got != "Payslip,Kiitos" {
			t.Errorf("handler's list %q", got)
		}
		if got := titles(cr.CannedReplies(w.as(t, a.handlerB), "")); got != "Kiitos" {
			t.Errorf("other handler's list %q", got)
		}
		if got := titles(cr.CannedReplies(handler, "VIESTI")); got != "Kiitos" {
			t.Errorf("search %q", got)
		}

		// Filled in from a conversation the handler can see, with a
		// hostile customer name made inert.
		hostile := a.NewUser(t, "hostile", []int64{a.CompanyA.ID}, []int64{a.Roles[chat.RoleEmployee].ID})
		hostile.Name = "Mallory\n[x](https://evil.example)"
		storetest.NoErr(t, w.st.UserUpdate(t.Context(), hostile), "UserUpdate")
		c := w.create(t, a, hostile, chat.NewConversationInput{Subject: "Late payslip"})
		ex, err := cr.ExpandCannedReply(handler, own.ID, c.ID)
		storetest.NoErr(t, err, "expand")
		if want := "Dear Mallory [x] (https://evil.example), about Late payslip: ..."; ex.Body != want {
			t.Errorf("expanded %q, want %q", ex.Body, want)
		}
		ex, err = cr.ExpandCannedReply(handler, shared.ID, c.ID)
		storetest.NoErr(t, err, "expand shared")
		if !strings.HasSuffix(ex.Body, "T. "+a.handlerA.Name) {
			t.Errorf("handler name: %q", ex.Body)
		}
		// A conversation the caller cannot see is not found.
		w.setVisibility(t, a, true)
		_, err = cr.ExpandCannedReply(w.as(t, a.handlerB), shared.ID, c.ID)
		storetest.WantCode(t, err, chat.ENotFound)

		// Changes and deletion by the owner.
		up, err := cr.UpdateCannedReply(handler, own.ID, chat.CannedReplyInput{Locale: "fi", Title: "Palkka", Body: "Hei {asiakkaan_nimi}"})
		storetest.NoErr(t, err, "update")
		if up.Locale != "fi" || up.Title != "Palkka" {
			t.Fatalf("updated %+v", up)
		}
		storetest.NoErr(t, cr.DeleteCannedReply(handler, own.ID), "delete")
		storetest.WantCode(t, cr.DeleteCannedReply(handler, own.ID), chat.ENotFound)

		// The personal limit.
		for i := range chat.MaxOwnCannedReplies {
			_, err := cr.CreateCannedReply(w.as(t, a.handlerB), chat.CannedReplyInput{Title: "r", Body: strings.Repeat("x", i+1)})
			storetest.NoErr(t, err, "fill")
		}
		_, err = cr.CreateCannedReply(w.as(t, a.handlerB), chat.CannedReplyInput{Title: "one more", Body: "x"})
		storetest.WantCode(t, err, chat.EConflict)
		// Others are not limited by it.
		_, err = cr.CreateCannedReply(handler, chat.CannedReplyInput{Title: "mine", Body: "x"})
		storetest.NoErr(t, err, "another user's reply")
	})
}

func errOf[T any](_ T, err error) error { return err }
