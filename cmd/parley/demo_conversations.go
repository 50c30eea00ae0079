package main

import (
	"context"
	"strconv"
	"strings"

	"parley/chat"
)

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
	ctx := d.op
	companies := []int64{d.companies["northwind"].ID, d.companies["contoso"].ID}
	h, err := d.svc.Directory.UserUpdate(ctx, d.tenant.ID, d.users["handler"].ID, chat.UserPatch{CompanyIDs: &companies})
	if err != nil {
		return err
	}
	d.users["handler"] = h
	admin, err := d.actAs(ctx, d.users["admin"])
	if err != nil {
		return err
	}
	handlerRole, adminRole := d.roles[chat.RoleMessageHandler].ID, d.roles[chat.RoleTenantAdmin].ID
	year := 365
	cats := map[string]chat.Category{}
	for _, c := range []struct {
		key string
		in  chat.CategoryInput
	}{
		{"payroll", chat.CategoryInput{NameEN: "Payroll", NameFI: "Palkanlaskenta", RoleIDs: []int64{handlerRole}}},
		{"employment", chat.CategoryInput{NameEN: "Employment and contracts", NameFI: "Työsuhdeasiat", RoleIDs: []int64{handlerRole}}},
		{"technical", chat.CategoryInput{NameEN: "Technical support", NameFI: "Tekninen tuki",
			RoleIDs: []int64{handlerRole, adminRole}, RetentionDays: &year}},
	} {
		cat, err := d.svc.Conversations.CreateCategory(admin, c.in)
		if err != nil {
			return err
		}
		cats[c.key] = cat
	}

	as := map[string]context.Context{}
	for _, key := range []string{"handler", "manager", "employee", "customer"} {
		if as[key], err = d.actAs(ctx, d.users[key]); err != nil {
			return err
		}
	}
	hannu, emma, matti, carl := as["handler"], as["employee"], as["manager"], as["customer"]
	reply := func(who context.Context, c chat.ConversationView, body string) error {
		_, err := d.svc.Messages.Publish(who, chat.PublishInput{Channel: chat.ConversationChannel(c.ID), Body: body})
		return err
	}
	status := func(c chat.ConversationView, s chat.ConversationStatus) error {
		_, err := d.svc.Conversations.SetConversationStatus(hannu, c.ID, s)
		return err
	}

	// New.
	if _, err := d.svc.Conversations.CreateConversation(emma, chat.NewConversationInput{CategoryID: cats["payroll"].ID,
		Subject: "Payslip for March is missing", Body: "Hi, I cannot find my **March** payslip. Could you check?"}); err != nil {
		return err
	}

	// Open.
	bank, err := d.svc.Conversations.CreateConversation(carl, chat.NewConversationInput{CategoryID: cats["payroll"].ID,
		Subject: "Change of bank account", Body: "My salary account changes from next month. What do you need from me?"})
	if err != nil {
		return err
	}
	if _, err := d.svc.Conversations.TakeConversation(hannu, bank.ID); err != nil {
		return err
	}
	if err := reply(hannu, bank, "Thanks Carl! Please send the new IBAN here; it takes effect from the next payroll run."); err != nil {
		return err
	}

	// Waiting.
	emmaID := d.users["employee"].ID
	sick, err := d.svc.Conversations.CreateConversation(matti, chat.NewConversationInput{CategoryID: cats["employment"].ID,
		Subject: "Sick leave for Emma", Body: "Emma has a doctor's note for two weeks. How is it paid?", RelatedUserID: &emmaID})
	if err != nil {
		return err
	}
	if _, err := d.svc.Conversations.TakeConversation(hannu, sick.ID); err != nil {
		return err
	}
	if err := reply(hannu, sick, "Could you tell us the exact dates of the sick leave?"); err != nil {
		return err
	}
	if err := status(sick, chat.StatusWaiting); err != nil {
		return err
	}

	// Solved, with an attachment.
	att, err := d.svc.Messages.UploadAttachment(emma, "holiday-days.csv", strings.NewReader("month;days\nJune;10\nJuly;12\n"))
	if err != nil {
		return err
	}
	holiday, err := d.svc.Conversations.CreateConversation(emma, chat.NewConversationInput{CategoryID: cats["payroll"].ID,
		Subject: "Holiday pay calculation", Body: "Is my holiday pay computed from these days?", AttachmentIDs: []int64{att.ID}})
	if err != nil {
		return err
	}
	if err := reply(hannu, holiday, "Yes, 22 days in total; it is paid with the June salary."); err != nil {
		return err
	}
	if err := reply(emma, holiday, "Great, thank you!"); err != nil {
		return err
	}
	if err := status(holiday, chat.StatusSolved); err != nil {
		return err
	}

	// Started by the provider, with a customer assignee and a designated
	// administrator.
	contoso, adminID := d.companies["contoso"].ID, d.users["admin"].ID
	yearEnd, err := d.svc.Conversations.CreateConversation(hannu, chat.NewConversationInput{CategoryID: cats["payroll"].ID,
		Subject: "Year-end: tax cards for 2026", Body: "Please upload the new tax cards of your employees by January 10.",
		RelatedCompanyID: &contoso, AdminID: &adminID, NotifyAdmins: true})
	if err != nil {
		return err
	}
	carlID := d.users["customer"].ID
	if _, err := d.svc.Conversations.SetCustomerAssignee(hannu, yearEnd.ID, &carlID); err != nil {
		return err
	}

	// A draft Emma can resume.
	_, err = d.svc.Messages.SaveDraft(emma, chat.DraftInput{Subject: "Parental leave", Body: "I am planning parental leave from",
		Data: `{"category_id":` + strconv.FormatInt(cats["employment"].ID, 10) + `}`})
	return err
}
