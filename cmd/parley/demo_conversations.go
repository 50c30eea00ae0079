package main

import (
	"context"
	"strconv"
	"strings"

	"parley/chat"
)

// conversationSeed is the conversations part of the demo, as a script.
type conversationSeed struct {
	demoScript
	cats                     map[string]chat.Category // by short key
	hannu, matti, emma, carl context.Context          // acting as each user
}

// seedConversations adds support categories and a conversation in every
// status, each made by the users themselves through the service, so the
// demo passes through the same rules as real use:
//   - New: Emma's missing payslip, not yet taken;
//   - Open: Carl's bank account change, taken and answered by Hannu;
//   - Waiting: Matti's question about his team member Emma, where Hannu
//     asks for more information;
//   - Solved: Emma's holiday pay question with an attachment;
//   - Open, started by the provider: Hannu's year-end message to Contoso
//     with Carl as customer assignee, Aino as designated administrator and
//     the administrators notified.
//
// The demo tenant has company-based visibility on, so Hannu, the
// provider's message handler, is assigned to both customer companies.
func (d *demo) seedConversations() error {
	s := &conversationSeed{demoScript: demoScript{d: d}}
	return s.run(s.assignHandler, s.categories, s.logIn, s.newConversation, s.openConversation,
		s.waitingConversation, s.solvedConversation, s.providerConversation, s.draft)
}

// assignHandler assigns Hannu to both customer companies.
func (s *conversationSeed) assignHandler() {
	d := s.d
	companies := []int64{d.companies["northwind"].ID, d.companies["contoso"].ID}
	h := try(&s.demoScript, func() (chat.User, error) {
		return d.svc.Directory.UserUpdate(d.op, d.tenant.ID, d.users["handler"].ID, chat.UserPatch{CompanyIDs: &companies})
	})
	if s.err == nil {
		d.users["handler"] = h
	}
}

// categories creates the support categories as the admin.
func (s *conversationSeed) categories() {
	admin := s.as("admin")
	handlerRole, adminRole := s.d.roles[chat.RoleMessageHandler].ID, s.d.roles[chat.RoleTenantAdmin].ID
	year := 365
	s.cats = map[string]chat.Category{}
	for _, c := range []struct {
		key string
		in  chat.CategoryInput
	}{
		{"payroll", chat.CategoryInput{NameEN: "Payroll", NameFI: "Palkanlaskenta", RoleIDs: []int64{handlerRole}}},
		{"employment", chat.CategoryInput{NameEN: "Employment and contracts", NameFI: "Työsuhdeasiat", RoleIDs: []int64{handlerRole}}},
		{"technical", chat.CategoryInput{NameEN: "Technical support", NameFI: "Tekninen tuki",
			RoleIDs: []int64{handlerRole, adminRole}, RetentionDays: &year}},
	} {
		s.cats[c.key] = try(&s.demoScript, func() (chat.Category, error) { return s.d.svc.Conversations.CreateCategory(admin, c.in) })
	}
}

// logIn logs in everyone who acts here besides the admin.
func (s *conversationSeed) logIn() {
	s.hannu, s.matti, s.emma, s.carl = s.as("handler"), s.as("manager"), s.as("employee"), s.as("customer")
}

// newConversation is Emma's missing payslip, not yet taken.
func (s *conversationSeed) newConversation() {
	s.create(s.emma, chat.NewConversationInput{CategoryID: s.cats["payroll"].ID,
		Subject: "Payslip for March is missing", Body: "Hi, I cannot find my **March** payslip. Could you check?"})
}

// openConversation is Carl's bank account change, taken and answered.
func (s *conversationSeed) openConversation() {
	bank := s.create(s.carl, chat.NewConversationInput{CategoryID: s.cats["payroll"].ID,
		Subject: "Change of bank account", Body: "My salary account changes from next month. What do you need from me?"})
	s.take(bank)
	s.reply(s.hannu, bank, "Thanks Carl! Please send the new IBAN here; it takes effect from the next payroll run.")
}

// waitingConversation is Matti's question about Emma, waiting for more
// information.
func (s *conversationSeed) waitingConversation() {
	emmaID := s.d.users["employee"].ID
	sick := s.create(s.matti, chat.NewConversationInput{CategoryID: s.cats["employment"].ID,
		Subject: "Sick leave for Emma", Body: "Emma has a doctor's note for two weeks. How is it paid?", RelatedUserID: &emmaID})
	s.take(sick)
	s.reply(s.hannu, sick, "Could you tell us the exact dates of the sick leave?")
	s.setStatus(sick, chat.StatusWaiting)
}

// solvedConversation is Emma's holiday pay question, with an attachment.
func (s *conversationSeed) solvedConversation() {
	att := try(&s.demoScript, func() (chat.Attachment, error) {
		return s.d.svc.Messages.UploadAttachment(s.emma, "holiday-days.csv", strings.NewReader("month;days\nJune;10\nJuly;12\n"))
	})
	holiday := s.create(s.emma, chat.NewConversationInput{CategoryID: s.cats["payroll"].ID,
		Subject: "Holiday pay calculation", Body: "Is my holiday pay computed from these days?", AttachmentIDs: []int64{att.ID}})
	s.reply(s.hannu, holiday, "Yes, 22 days in total; it is paid with the June salary.")
	s.reply(s.emma, holiday, "Great, thank you!")
	s.setStatus(holiday, chat.StatusSolved)
}

// providerConversation is started by the provider, with a customer
// assignee and a designated administrator.
func (s *conversationSeed) providerConversation() {
	contoso, adminID := s.d.companies["contoso"].ID, s.d.users["admin"].ID
	yearEnd := s.create(s.hannu, chat.NewConversationInput{CategoryID: s.cats["payroll"].ID,
		Subject: "Year-end: tax cards for 2026", Body: "Please upload the new tax cards of your employees by January 10.",
		RelatedCompanyID: &contoso, AdminID: &adminID, NotifyAdmins: true})
	carlID := s.d.users["customer"].ID
	try(&s.demoScript, func() (chat.ConversationView, error) {
		return s.d.svc.Conversations.SetCustomerAssignee(s.hannu, yearEnd.ID, &carlID)
	})
}

// draft is one Emma can resume.
func (s *conversationSeed) draft() {
	try(&s.demoScript, func() (chat.Draft, error) {
		return s.d.svc.Messages.SaveDraft(s.emma, chat.DraftInput{Subject: "Parental leave", Body: "I am planning parental leave from",
			Data: `{"category_id":` + strconv.FormatInt(s.cats["employment"].ID, 10) + `}`})
	})
}

func (s *conversationSeed) create(who context.Context, in chat.NewConversationInput) chat.ConversationView {
	return try(&s.demoScript, func() (chat.ConversationView, error) { return s.d.svc.Conversations.CreateConversation(who, in) })
}

// take assigns the conversation to Hannu.
func (s *conversationSeed) take(c chat.ConversationView) {
	try(&s.demoScript, func() (chat.ConversationView, error) { return s.d.svc.Conversations.TakeConversation(s.hannu, c.ID) })
}

func (s *conversationSeed) reply(who context.Context, c chat.ConversationView, body string) {
	try(&s.demoScript, func() (chat.Message, error) {
		return s.d.svc.Messages.Publish(who, chat.PublishInput{Channel: chat.ConversationChannel(c.ID), Body: body})
	})
}

// setStatus sets the conversation's status as Hannu.
func (s *conversationSeed) setStatus(c chat.ConversationView, status chat.ConversationStatus) {
	try(&s.demoScript, func() (chat.ConversationView, error) {
		return s.d.svc.Conversations.SetConversationStatus(s.hannu, c.ID, status)
	})
}
