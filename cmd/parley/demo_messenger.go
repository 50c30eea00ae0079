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
	s := &messengerSeed{demoScript: demoScript{d: d}}
	return s.run(s.logIn, s.payrollTeam, s.northwindHR, s.inactiveGroup)
}

// messengerSeed is the messenger part of the demo, as a script.
type messengerSeed struct {
	demoScript
	admin, mira, hannu, matti, emma context.Context // acting as each user
	posts                           int             // so far, for client_msg_id
}

// logIn logs in everyone who acts here.
func (s *messengerSeed) logIn() {
	s.admin, s.mira, s.hannu = s.as("admin"), s.as("messenger"), s.as("handler")
	s.matti, s.emma = s.as("manager"), s.as("employee")
}

// payrollTeam is the provider's own group: an edited message, a question
// with a mention and its reply, a deleted message, and an archived topic.
func (s *messengerSeed) payrollTeam() {
	payroll := s.group("Payroll team", "The provider's payroll specialists. Everything here is visible to every member.",
		"admin", "messenger", "handler")
	payments := s.topic(payroll, "Payments processing", true, time.Hour)
	taxCards := s.topic(payroll, "Tax cards 2025", false, 0)
	s.post(s.mira, payments, "Welcome! Questions about payment runs go here; everyone in the Payroll team group sees this topic.", nil)
	run := s.post(s.hannu, payments, "The March payment run is on the 25th. Bank files go out on the 24th by 14:00.", nil)
	s.edit(s.hannu, run, "The March payment run is on the 25th. Bank files go out on the 24th by 12:00.")
	ask := s.post(s.admin, payments, "Thanks. @Hannu Handler, is the Contoso bonus file in the batch?", nil, "handler")
	s.post(s.hannu, payments, "Confirmed: the bonus file is in the batch.", &ask)
	oops := s.post(s.mira, payments, "Sorry, wrong topic.", nil)
	s.delete(s.mira, oops)
	s.post(s.hannu, taxCards, "New tax cards arrive in January: import them before the first payroll of the year.", nil)
	archived := s.topic(payroll, "Year-end 2023", false, 0)
	s.post(s.hannu, archived, "Year-end reports for 2023 are done.", nil)
	s.archive(archived)
}

// northwindHR is a customer's group with the provider, where Emma has an
// unread answer.
func (s *messengerSeed) northwindHR() {
	hr := s.group("Northwind HR", "Salary and holiday matters of Northwind Traders with the provider.",
		"admin", "messenger", "manager", "employee")
	salary := s.topic(hr, "Salary questions", true, 30*time.Minute)
	holidays := s.topic(hr, "Holiday calendar", false, 0)
	s.post(s.matti, salary, "When will the new collective agreement raises show on payslips?", nil)
	s.post(s.mira, salary, "From the April payroll, backdated to March 1st.", nil)
	retro := s.post(s.emma, salary, "Will the backdated part be paid separately?", nil)
	s.markRead(s.emma, salary)
	// Emma has not read the answer yet: the list shows it as unread.
	s.post(s.mira, salary, "Yes, as its own line on the April payslip. @Emma Employee", &retro, "employee")
	s.post(s.matti, holidays, "Please add your summer holiday wishes here by the end of March.", nil)
	s.post(s.emma, holidays, "Weeks 28 to 30 for me.", nil)
}

// inactiveGroup: its topics are hidden from everyone until an admin turns
// it back on.
func (s *messengerSeed) inactiveGroup() {
	old := s.group("Migration 2022", "The payroll system migration project.", "admin", "messenger", "handler")
	cutover := s.topic(old, "Cut-over plan", false, 0)
	s.post(s.hannu, cutover, "Cut-over done, the old system is read-only.", nil)
	s.deactivate(old)
}

// group creates an active group (as the admin) with the given members.
func (s *messengerSeed) group(name, description string, members ...string) chat.Group {
	return try(&s.demoScript, func() (chat.Group, error) {
		g, err := s.d.svc.Messenger.CreateGroup(s.admin, chat.GroupInput{Name: name, Description: description, Active: true})
		if err != nil {
			return g, err
		}
		var ids []int64
		for _, m := range members {
			ids = append(ids, s.d.users[m].ID)
		}
		return s.d.svc.Messenger.SetGroupMembers(s.admin, g.ID, ids)
	})
}

// deactivate turns the group off (as the admin).
func (s *messengerSeed) deactivate(g chat.Group) {
	try(&s.demoScript, func() (chat.Group, error) {
		return s.d.svc.Messenger.UpdateGroup(s.admin, g.ID, chat.GroupInput{Name: g.Name, Description: g.Description})
	})
}

// topic creates an active topic (as the messenger manager).
func (s *messengerSeed) topic(g chat.Group, name string, email bool, interval time.Duration) chat.Topic {
	return try(&s.demoScript, func() (chat.Topic, error) {
		return s.d.svc.Messenger.CreateTopic(s.mira, g.ID, chat.TopicInput{Name: name, EmailNotify: email, NotifyInterval: interval, Active: true})
	})
}

// archive turns the topic off (as the messenger manager).
func (s *messengerSeed) archive(t chat.Topic) {
	try(&s.demoScript, func() (chat.Topic, error) {
		return s.d.svc.Messenger.UpdateTopic(s.mira, t.ID, chat.TopicInput{Name: t.Name})
	})
}

// post publishes body in the topic as who, mentioning the users by key.
func (s *messengerSeed) post(who context.Context, t chat.Topic, body string, replyTo *chat.Message, mentions ...string) chat.Message {
	return try(&s.demoScript, func() (chat.Message, error) {
		s.posts++
		in := chat.PublishInput{Channel: chat.TopicChannel(t.ID), Body: body, ClientMsgID: fmt.Sprintf("demo-%d", s.posts)}
		if replyTo != nil {
			in.ReplyToID = &replyTo.ID
		}
		for _, m := range mentions {
			in.Mentions = append(in.Mentions, s.d.users[m].ID)
		}
		return s.d.svc.Messages.Publish(who, in)
	})
}

func (s *messengerSeed) edit(who context.Context, m chat.Message, body string) {
	try(&s.demoScript, func() (chat.Message, error) { return s.d.svc.Messages.EditMessage(who, m.ID, body) })
}

func (s *messengerSeed) delete(who context.Context, m chat.Message) {
	try(&s.demoScript, func() (chat.Message, error) { return s.d.svc.Messages.DeleteMessage(who, m.ID) })
}

// markRead marks the topic read as who, up to its newest event.
func (s *messengerSeed) markRead(who context.Context, t chat.Topic) {
	try(&s.demoScript, func() (int64, error) { return s.d.svc.Messenger.MarkTopicRead(who, t.ID, 0) })
}

// demoScript runs seeding steps as a script, so that a seeding function
// reads as the story it tells: once a step has failed the later ones do
// nothing, and err is the first failure.
type demoScript struct {
	d   *demo
	err error
}

// run runs the steps in order and returns the first failure.
func (s *demoScript) run(steps ...func()) error {
	for _, step := range steps {
		step()
	}
	return s.err
}

// try runs step unless an earlier one failed.
func try[T any](s *demoScript, step func() (T, error)) T {
	var v T
	if s.err == nil {
		v, s.err = step()
	}
	return v
}

// as returns a context acting as the user with the key.
func (s *demoScript) as(key string) context.Context {
	return try(s, func() (context.Context, error) { return s.d.actAs(s.d.op, s.d.users[key]) })
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
