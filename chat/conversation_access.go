package chat

import (
	"context"
	"slices"
)

// viewer is what the conversation visibility rule needs to know about a
// user. One rule serves access checks (from the principal), the receiver
// preview and live fan-out (from stored users), so that what the preview
// shows is exactly who can read.
type viewer struct {
	userID      int64
	roleIDs     []int64
	companyIDs  []int64
	tenantAdmin bool
	handler     bool // holds a message-handler role
}

func viewerOf(p *Principal) viewer {
	return viewer{userID: p.UserID, roleIDs: p.RoleIDs, companyIDs: p.CompanyIDs, tenantAdmin: p.TenantAdmin(),
		handler: p.Handler}
}

// canSeeConversation is the visibility rule: tenant admins see every
// conversation of their tenant; its creator, handler, customer assignee
// and designated administrator see it; the users of the customer company
// it is addressed to see it; members of its receiver roles see it, with
// company-based visibility on only when it is related to one of their
// companies. Access follows current roles and companies.
func canSeeConversation(v viewer, c Conversation, companyVisibility bool) bool {
	return v.tenantAdmin || isParty(v.userID, c) || isAddressee(v, c) || roleRouted(v, c, companyVisibility)
}

// isAddressee reports whether c is addressed to v's customer company: v
// works for it and holds no message-handler role (the office's own
// people are never its customers).
func isAddressee(v viewer, c Conversation) bool {
	return c.CustomerCompanyID != nil && !v.handler && !v.tenantAdmin && slices.Contains(v.companyIDs, *c.CustomerCompanyID)
}

// roleRouted reports whether c reaches v through a receiver role.
func roleRouted(v viewer, c Conversation, companyVisibility bool) bool {
	if !slices.ContainsFunc(c.RoleIDs, func(id int64) bool { return slices.Contains(v.roleIDs, id) }) {
		return false
	}
	return !companyVisibility || (c.RelatedCompanyID != nil && slices.Contains(v.companyIDs, *c.RelatedCompanyID))
}

// conversationForRead returns the conversation when p may see it (see
// canSeeConversation); anything else, another tenant's conversation
// included, is ENotFound.
func (s *core) conversationForRead(ctx context.Context, st Store, p *Principal, id int64) (Conversation, error) {
	c, err := st.ConversationGet(ctx, p.TenantID, id)
	if err != nil {
		return Conversation{}, err
	}
	if isParty(p.UserID, c) || p.TenantAdmin() {
		return c, nil
	}
	t, err := st.TenantGet(ctx, p.TenantID)
	if err != nil {
		return Conversation{}, err
	}
	if canSeeConversation(viewerOf(p), c, t.Settings.CompanyVisibility) {
		return c, nil
	}
	return Conversation{}, NotFound("conversation")
}

// canReadNotes is the rule of internal notes, the one place that decides
// who reads and writes them, through every path: history, replay and the
// socket (threadFor on the note channel), edits, mentions, attachments,
// access revocation (conversationEvents) and the notes flag of the
// conversation view. Notes are for the users who may handle the
// conversation: its handler, its designated administrator and the members
// of its receiver roles (with company-based visibility on, only for
// conversations of their companies, as for reading the conversation).
// The customer side (isCustomerSide: the creator, the customer assignee
// and the users of the customer company it is addressed to, unless they
// are its handler or designated administrator) never reads them, whatever
// roles they hold; a tenant admin who is none of these does not either. Search,
// notification emails, external emails and the customer's
// notifications never carry a note: they read only the conversation
// channel, and a note lives on its own channel (KindNote).
func canReadNotes(v viewer, c Conversation, companyVisibility bool) bool {
	if isCustomerSide(v, c) {
		return false
	}
	return isID(c.HandlerID, v.userID) || isID(c.AdminID, v.userID) || roleRouted(v, c, companyVisibility)
}

// notesForRead returns the conversation whose notes p may read (see
// canReadNotes); anything else is ENotFound, exactly as a conversation
// that does not exist, so that the answer tells a customer nothing.
func (s *core) notesForRead(ctx context.Context, st Store, p *Principal, id int64) (Conversation, error) {
	c, err := s.conversationForRead(ctx, st, p, id)
	if err != nil {
		return Conversation{}, err
	}
	t, err := st.TenantGet(ctx, p.TenantID)
	if err != nil {
		return Conversation{}, err
	}
	if !canReadNotes(viewerOf(p), c, t.Settings.CompanyVisibility) {
		return Conversation{}, NotFound("notes")
	}
	return c, nil
}

// isParty reports whether the user is named on the conversation.
func isParty(userID int64, c Conversation) bool {
	return c.CreatorID == userID || isID(c.HandlerID, userID) || isID(c.CustomerAssigneeID, userID) || isID(c.AdminID, userID)
}

func isID(p *int64, id int64) bool { return p != nil && *p == id }

// checkConversationPost: everyone who can see a conversation may reply.
func (s *MessageService) checkConversationPost(ctx context.Context, st Store, p *Principal, c Conversation) error {
	return nil
}

// isCustomerSide reports whether the viewer is the conversation's creator
// (unless the office started it to a customer), its customer assignee or
// a user of the customer company it is addressed to, and not its handler
// or designated administrator.
func isCustomerSide(v viewer, c Conversation) bool {
	if isID(c.HandlerID, v.userID) || isID(c.AdminID, v.userID) {
		return false
	}
	return (c.CreatorID == v.userID && !c.ToCustomer) || isID(c.CustomerAssigneeID, v.userID) || isAddressee(v, c)
}

// isHandlerSide reports whether the viewer answers for the tenant in the
// conversation: everyone who can see it but the customer side (handler,
// designated administrator, receiver-role members, tenant admins, the
// office creator of a conversation to a customer).
func isHandlerSide(v viewer, c Conversation) bool { return !isCustomerSide(v, c) }

// isReceiver reports whether p holds one of the conversation's receiver
// roles.
func isReceiver(p *Principal, c Conversation) bool {
	return slices.ContainsFunc(c.RoleIDs, p.HasRoleID)
}

// Permission checks of conversation actions, shared by the actions and by
// ConversationView.Can so the UI offers exactly what the service allows.
// Each assumes p can already see c.

// canTake: receiver-role members take the conversation as its handler.
func canTake(p *Principal, c Conversation) bool {
	return isReceiver(p, c) && !isID(c.HandlerID, p.UserID)
}

// canSetHandler: the handler, receiver-role members and tenant admins
// hand the conversation over.
func canSetHandler(p *Principal, c Conversation) bool {
	return isID(c.HandlerID, p.UserID) || isReceiver(p, c) || p.TenantAdmin()
}

// canSetStatus: the handler side sets Open, Waiting and Solved.
func canSetStatus(p *Principal, c Conversation) bool { return isHandlerSide(viewerOf(p), c) }

// canSetAssignee: both sides may name the customer assignee.
func canSetAssignee(p *Principal, c Conversation) bool { return true }

// canSetAdmin: the handler side names the designated administrator.
func canSetAdmin(p *Principal, c Conversation) bool { return isHandlerSide(viewerOf(p), c) }

// canAddExternalEmail: only holders of a message-handler role.
func canAddExternalEmail(p *Principal, c Conversation) bool {
	return p.Handler && isHandlerSide(viewerOf(p), c)
}

// canNotifyAdmins: the handler side sends "notify administrators".
func canNotifyAdmins(p *Principal, c Conversation) bool { return isHandlerSide(viewerOf(p), c) }
