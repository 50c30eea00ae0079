package main

import (
	"context"
	"fmt"
	"time"

	"parley/chat"
)

// seedMessenger adds messenger groups with topics and some history: the
// provider's payroll team, a customer's HR group, and an inactive group.
// Everything is done as the users themselves (the admin sets up groups,
// the messenger manager creates topics, members post), so the demo passes
// through the same rules as real use.
func (d *demo) seedMessenger() error {
	ctx := d.op
	as := func(key string) (context.Context, error) { return d.actAs(ctx, d.users[key]) }
	admin, err := as("admin")
	if err != nil {
		return err
	}
	mira, err := as("messenger")
	if err != nil {
		return err
	}
	hannu, err := as("handler")
	if err != nil {
		return err
	}
	matti, err := as("manager")
	if err != nil {
		return err
	}
	emma, err := as("employee")
	if err != nil {
		return err
	}
	id := func(key string) int64 { return d.users[key].ID }

	group := func(name, description string, active bool, members ...string) (chat.Group, error) {
		g, err := d.svc.Messenger.CreateGroup(admin, chat.GroupInput{Name: name, Description: description, Active: true})
		if err != nil {
			return g, err
		}
		var ids []int64
		for _, m := range members {
			ids = append(ids, id(m))
		}
		if g, err = d.svc.Messenger.SetGroupMembers(admin, g.ID, ids); err != nil {
			return g, err
		}
		if !active {
			return d.svc.Messenger.UpdateGroup(admin, g.ID, chat.GroupInput{Name: name, Description: description})
		}
		return g, nil
	}
	topic := func(g chat.Group, name string, email bool, interval time.Duration) (chat.Topic, error) {
		return d.svc.Messenger.CreateTopic(mira, g.ID, chat.TopicInput{Name: name, EmailNotify: email, NotifyInterval: interval, Active: true})
	}
	var n int
	post := func(ctx context.Context, t chat.Topic, body string, replyTo *chat.Message, mentions ...string) (chat.Message, error) {
		n++
		in := chat.PublishInput{Channel: chat.TopicChannel(t.ID), Body: body, ClientMsgID: fmt.Sprintf("demo-%d", n)}
		if replyTo != nil {
			in.ReplyToID = &replyTo.ID
		}
		for _, m := range mentions {
			in.Mentions = append(in.Mentions, id(m))
		}
		return d.svc.Messages.Publish(ctx, in)
	}

	payroll, err := group("Payroll team", "The provider's payroll specialists. Everything here is visible to every member.",
		true, "admin", "messenger", "handler")
	if err != nil {
		return err
	}
	payments, err := topic(payroll, "Payments processing", true, time.Hour)
	if err != nil {
		return err
	}
	taxCards, err := topic(payroll, "Tax cards 2025", false, 0)
	if err != nil {
		return err
	}
	if _, err := post(mira, payments, "Welcome! Questions about payment runs go here; everyone in the Payroll team group sees this topic.", nil); err != nil {
		return err
	}
	run, err := post(hannu, payments, "The March payment run is on the 25th. Bank files go out on the 24th by 14:00.", nil)
	if err != nil {
		return err
	}
	if _, err := d.svc.Messages.EditMessage(hannu, run.ID, "The March payment run is on the 25th. Bank files go out on the 24th by 12:00."); err != nil {
		return err
	}
	ask, err := post(admin, payments, "Thanks. @Hannu Handler, is the Contoso bonus file in the batch?", nil, "handler")
	if err != nil {
		return err
	}
	if _, err := post(hannu, payments, "Confirmed: the bonus file is in the batch.", &ask); err != nil {
		return err
	}
	oops, err := post(mira, payments, "Sorry, wrong topic.", nil)
	if err != nil {
		return err
	}
	if _, err := d.svc.Messages.DeleteMessage(mira, oops.ID); err != nil {
		return err
	}
	if _, err := post(hannu, taxCards, "New tax cards arrive in January: import them before the first payroll of the year.", nil); err != nil {
		return err
	}
	archived, err := topic(payroll, "Year-end 2023", false, 0)
	if err != nil {
		return err
	}
	if _, err := post(hannu, archived, "Year-end reports for 2023 are done.", nil); err != nil {
		return err
	}
	if _, err := d.svc.Messenger.UpdateTopic(mira, archived.ID, chat.TopicInput{Name: archived.Name}); err != nil {
		return err
	}

	hr, err := group("Northwind HR", "Salary and holiday matters of Northwind Traders with the provider.",
		true, "admin", "messenger", "manager", "employee")
	if err != nil {
		return err
	}
	salary, err := topic(hr, "Salary questions", true, 30*time.Minute)
	if err != nil {
		return err
	}
	holidays, err := topic(hr, "Holiday calendar", false, 0)
	if err != nil {
		return err
	}
	if _, err := post(matti, salary, "When will the new collective agreement raises show on payslips?", nil); err != nil {
		return err
	}
	if _, err := post(mira, salary, "From the April payroll, backdated to March 1st.", nil); err != nil {
		return err
	}
	retro, err := post(emma, salary, "Will the backdated part be paid separately?", nil)
	if err != nil {
		return err
	}
	if _, err := d.svc.Messenger.MarkTopicRead(emma, salary.ID, 0); err != nil {
		return err
	}
	// Emma has not read the answer yet: the list shows it as unread.
	if _, err := post(mira, salary, "Yes, as its own line on the April payslip. @Emma Employee", &retro, "employee"); err != nil {
		return err
	}
	if _, err := post(matti, holidays, "Please add your summer holiday wishes here by the end of March.", nil); err != nil {
		return err
	}
	if _, err := post(emma, holidays, "Weeks 28 to 30 for me.", nil); err != nil {
		return err
	}

	// An inactive group: its topics are hidden from everyone until an
	// admin turns it back on.
	old, err := group("Migration 2022", "The payroll system migration project.", true, "admin", "messenger", "handler")
	if err != nil {
		return err
	}
	cutover, err := topic(old, "Cut-over plan", false, 0)
	if err != nil {
		return err
	}
	if _, err := post(hannu, cutover, "Cut-over done, the old system is read-only.", nil); err != nil {
		return err
	}
	_, err = d.svc.Messenger.UpdateGroup(admin, old.ID, chat.GroupInput{Name: old.Name, Description: old.Description})
	return err
}

// actAs returns ctx acting as u, with the principal a login of u would
// get; the session is ended right away, the principal stays in ctx.
func (d *demo) actAs(ctx context.Context, u chat.User) (context.Context, error) {
	sess, _, err := d.svc.Sessions.Login(ctx, u.Email, demoPassword, "127.0.0.1", "parley --demo")
	if err != nil {
		return nil, fmt.Errorf("log in %s: %w", u.Email, err)
	}
	p, err := d.svc.Sessions.Authenticate(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	ctx = chat.WithPrincipal(ctx, p)
	if err := d.svc.Sessions.Logout(ctx); err != nil {
		return nil, err
	}
	return ctx, nil
}
