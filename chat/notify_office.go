package chat

import (
	"context"
	"strings"
)

// sendOffice emails the tenant's office notification address
// (TenantSettings.NotificationEmail) about a new conversation (the job's
// message is the conversation's first, seq 1) or a customer-side message.
// It goes through the outbox like every notification and is recorded in
// the decision log as user 0 with the address in Detail, like an external
// address; an address already recorded for the message is not sent
// again, so a retry or a second worker never sends twice. The address is
// read when the job runs: removed meanwhile, nothing is sent.
func (n *Notifier) sendOffice(ctx context.Context, j NotifyJob) error {
	st := n.svc.store
	m, loaded, done, err := n.addressJob(ctx, j)
	if err != nil || loaded == nil {
		return err
	}
	ev := *loaded
	addr := ev.tenant.Settings.NotificationEmail
	if addr == "" || done[addr] {
		return n.drop(ctx, j)
	}
	if err := n.loadUsers(ctx, j.TenantID, []int64{m.AuthorID}, ev.users); err != nil {
		return err
	}
	e, err := n.tmpl.render("notify", officeEmailInput(n.svc.cfg.PublicURL, ev, m))
	if err != nil {
		return Internal(err, "render office email")
	}
	record := func(out NotifyOutcome, detail string) error {
		d := n.decision(j, Recipient{0, j.Reason}, ViaEmail, out, strings.TrimSpace(addr+" "+detail))
		return st.NotifyDecisionRecord(context.WithoutCancel(ctx), &d)
	}
	if n.cfg.Mailer == nil {
		if err := record(OutcomeFailed, "email is not configured"); err != nil {
			return err
		}
		return n.drop(ctx, j)
	}
	email := n.envelope(ev.tenant, ConversationChannel(ev.conv.ID), e)
	email.To = addr
	err = n.send(ctx, email)
	switch {
	case err == nil:
		err = record(OutcomeSent, "")
	case IsCode(err, EUnavailable) && j.Attempts < n.cfg.MaxAttempts:
		return err // temporary: retried
	default:
		err = record(OutcomeFailed, ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return n.drop(ctx, j)
}

// officeEmailInput is the office email about m: the phrases of a new
// conversation for the first message, of a customer message otherwise,
// in the tenant's NotificationLocale, with an excerpt only when the
// tenant allows excerpts (as for every notification email).
func officeEmailInput(publicURL string, ev event, m Message) notifyEmailInput {
	reason := ReasonCustomerMessage
	if m.Seq == 1 {
		reason = ReasonNewConversation
	}
	in := notifyEmailInput{Reason: reason, Office: true, Locale: ev.tenant.Settings.NotificationLocale,
		RecipientName: ev.tenant.Name, AuthorName: authorName(m, ev.users), TenantName: ev.tenant.Name,
		Link: ThreadURL(publicURL, ConversationChannel(ev.conv.ID))}
	if ev.tenant.Settings.EmailExcerpts {
		in.Excerpt, in.Subject = excerptOf(m.Body), ev.conv.Subject
	}
	return in
}
