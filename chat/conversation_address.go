package chat

import (
	"context"
	"slices"
)

// One-step office-to-customer conversations (seed 003: "Create" to a
// customer): a message handler or tenant admin addresses a new
// conversation to a customer user, who becomes its customer assignee, or
// to a customer company, whose users (without a message-handler role) see
// it as theirs. Either way the creator stays on the handler side
// (Conversation.ToCustomer). The rules are in docs/conversations.md.

// addressConversation applies in.ToUserID or in.ToCompanyID to c, whose
// related company relate() has set. A user or company the caller may not
// address answers ENotFound, like one that does not exist.
func addressConversation(ctx context.Context, st Store, p *Principal, f tenantFacts, in NewConversationInput, c *Conversation) error {
	if in.ToUserID == nil && in.ToCompanyID == nil {
		return nil
	}
	if in.ToUserID != nil && in.ToCompanyID != nil {
		return Errorf(EInvalid, "address the conversation to a customer user or to a customer company, not both")
	}
	if !p.Handler && !p.TenantAdmin() {
		return Errorf(EForbidden, "only message handlers and tenant admins may address a conversation to a customer")
	}
	if in.RelatedCompanyID == nil && in.RelatedUserID == nil {
		// relate() gives a caller without a handler role their own company
		// by default; the addressee's company decides instead.
		c.RelatedCompanyID = nil
	}
	restricted := f.settings.CompanyVisibility && !p.TenantAdmin() && !p.Superuser
	var companyID int64
	if in.ToUserID != nil {
		u, err := activeUser(ctx, st, p, f, *in.ToUserID)
		if err != nil {
			return err
		}
		if f.isHandlerUser(u) || (f.adminRole != 0 && slices.Contains(u.RoleIDs, f.adminRole)) {
			return Errorf(EInvalid, "a conversation is addressed to a customer, not to a message handler or tenant admin")
		}
		if len(u.CompanyIDs) == 0 {
			return Errorf(EInvalid, "the customer works for no company")
		}
		switch {
		case c.RelatedCompanyID != nil:
			if !slices.Contains(u.CompanyIDs, *c.RelatedCompanyID) {
				return Errorf(EInvalid, "the customer does not work for the related company")
			}
			companyID = *c.RelatedCompanyID
		default:
			companyID = *personsCompany(p, &u, restricted)
		}
		c.CustomerAssigneeID = &u.ID
	} else {
		companyID = *in.ToCompanyID
		if c.RelatedCompanyID != nil && *c.RelatedCompanyID != companyID {
			return Errorf(EInvalid, "the related company and the addressed company differ")
		}
		if _, err := st.CompanyGet(ctx, p.TenantID, companyID); err != nil {
			if IsCode(err, ENotFound) {
				return NotFound("company")
			}
			return err
		}
		c.CustomerCompanyID = &companyID
	}
	ok, err := mayRelateCompany(ctx, st, p, nil, companyID, restricted)
	if err != nil {
		return err
	}
	if !ok {
		return NotFound("company")
	}
	c.RelatedCompanyID = &companyID
	c.ToCustomer = true
	return nil
}
