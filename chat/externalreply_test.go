package chat_test

import (
	"encoding/base32"
	"strings"
	"testing"

	"parley/chat"
)

// TestReplyByEmailExternal: an external address of a conversation
// answers its email; the reply lands once as the external participant's
// message (no user author) and notifies the handler as a customer
// comment; another sender and the address once removed are refused.
func TestReplyByEmailExternal(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newRmWorld(t, e.open(t))
		f := w.f
		cat := f.NewCategory(t, "Audit", f.Roles[chat.RoleMessageHandler].ID)
		v, err := w.svc.Conversations.CreateConversation(w.as(t, f.Manager), chat.NewConversationInput{Subject: "Audit 2026",
			CategoryID: cat.ID, Body: "The auditor needs the ledger"})
		ntNoErr(t, "CreateConversation", err)
		ch := chat.ConversationChannel(v.ID)
		w.notifyMail(t, f.Handler)
		const auditor = "auditor@outside.example"
		_, err = w.svc.Conversations.AddExternalEmails(w.as(t, f.Handler), v.ID, []string{"Auditor@Outside.example"})
		ntNoErr(t, "AddExternalEmails", err)
		w.step(t)
		replyTo, thread := w.replyHeaders(t, auditor)
		wantExternalToken(t, replyTo, w.f.Tenant.ID, ch)

		raw := gmailReply(auditor, replyTo, "x1@outside.example", thread, "The ledger arrived, thanks.")
		wantSMTPCode(t, "reply", w.send(t, auditor, replyTo, raw), 0)
		got := w.externalTexts(t, ch)
		if len(got) != 1 || got[0].Body != "The ledger arrived, thanks." || got[0].ExternalAuthor != auditor ||
			got[0].AuthorName != auditor || len(got[0].Attachments) != 0 {
			t.Fatalf("external messages after the reply: %+v", got)
		}
		// The handler hears of it as of a customer comment.
		w.stepThroughDelay(t)
		w.wantOutcome(t, got[0].ID, f.Handler, chat.OutcomeSent)
		// The same mail again: stored once.
		wantSMTPCode(t, "the same mail again", w.send(t, auditor, replyTo, raw), 0)
		// Another sender, in the header and the envelope; then only in the header.
		wantSMTPCode(t, "another sender", w.send(t, "mallory@evil.example", replyTo,
			plainReply("mallory@evil.example", replyTo, "x2@evil.example", "", "Let me in")), 550)
		wantSMTPCode(t, "another header From", w.send(t, auditor, replyTo,
			plainReply("mallory@evil.example", replyTo, "x3@evil.example", "", "Let me in")), 550)
		// A user's address for the same conversation is not the external token.
		wantSMTPCode(t, "handler with the external address", w.send(t, f.Handler.Email, replyTo,
			plainReply(f.Handler.Email, replyTo, "x4@mail.example", "", "Me too")), 550)

		// The address leaves the conversation: its replies are refused.
		c, err := w.st.ConversationGet(t.Context(), f.Tenant.ID, v.ID)
		ntNoErr(t, "ConversationGet", err)
		c.ExternalEmails = nil
		ntNoErr(t, "ConversationUpdate", w.st.ConversationUpdate(t.Context(), c))
		wantSMTPCode(t, "removed address", w.send(t, auditor, replyTo,
			plainReply(auditor, replyTo, "x5@outside.example", "", "One more thing")), 550)

		if got := w.externalTexts(t, ch); len(got) != 1 {
			t.Fatalf("%d external messages, want only the first reply", len(got))
		}
		w.wantFates(t, chat.FateAccepted, chat.FateDuplicate, chat.FateWrongSender, chat.FateWrongSender,
			chat.FateWrongSender, chat.FateNoAccess)
	})
}

// externalTexts returns the text messages of external participants in
// ch, oldest first.
func (w *rmWorld) externalTexts(t *testing.T, ch chat.Channel) []chat.Message {
	t.Helper()
	return w.textsBy(t, ch, chat.User{})
}

// wantExternalToken checks that an external address's token names user 0
// and the conversation, and that the same token turned to a topic is no
// token at all: a user-0 token is only ever for a conversation.
func wantExternalToken(t *testing.T, replyTo string, tenantID int64, ch chat.Channel) {
	t.Helper()
	token, ok := chat.ParseReplyAddress(replyTo, rmDomain)
	if !ok {
		t.Fatalf("ParseReplyAddress(%q) refused an external reply address", replyTo)
	}
	tok, err := chat.ParseReplyToken(token)
	ntNoErr(t, "ParseReplyToken", err)
	if tok.UserID != 0 || tok.TenantID != tenantID || tok.Channel != ch {
		t.Fatalf("external token %+v, want user 0 of tenant %d in %s", tok, tenantID, ch)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	raw, err := enc.DecodeString(strings.ToUpper(token))
	ntNoErr(t, "decode token", err)
	if tenantID >= 0x80 || raw[2] != 0 || raw[3] != 2 {
		t.Fatalf("token layout %x: version, tenant, user 0, kind conversation expected", raw[:4])
	}
	raw[3] = 1 // the topic kind
	if _, err := chat.ParseReplyToken(strings.ToLower(enc.EncodeToString(raw))); err == nil {
		t.Fatal("a user-0 token for a topic was taken")
	}
}
