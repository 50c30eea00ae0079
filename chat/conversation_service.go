package chat

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Support conversations: creation, the receiver preview, lists, ownership
// (take, hand over, customer assignee, designated administrator), statuses,
// external email addresses and "notify administrators". The rules are
// written down in docs/conversations.md; the visibility rule is
// canSeeConversation in conversation_access.go.

// Limits on conversation input.
const (
	MaxSubjectLen     = 200
	MaxExternalEmails = 10
)

// NewConversationInput starts a conversation. Zero optional fields take
// their defaults: the category's receiver roles, the employee's own
// company as related company.
type NewConversationInput struct {
	Subject    string `json:"subject"`
	CategoryID int64  `json:"category_id"`
	// RoleIDs replaces the category's receiver roles; only holders of a
	// message-handler role and tenant admins may change them.
	RoleIDs []int64 `json:"role_ids,omitempty"`
	// RelatedCompanyID and RelatedUserID say whom the matter concerns
	// (managers, message handlers and tenant admins). A related person is
	// never notified and gains no access.
	RelatedCompanyID *int64  `json:"related_company_id,omitempty"`
	RelatedUserID    *int64  `json:"related_user_id,omitempty"`
	Body             string  `json:"body"`
	AttachmentIDs    []int64 `json:"attachment_ids,omitempty"`
	// ExternalEmails receive the conversation by email (message handlers
	// only; email is less secure than the conversation itself).
	ExternalEmails []string `json:"external_emails,omitempty"`
	// NotifyAdmins and AdminID (the designated administrator): message
	// handlers and tenant admins.
	NotifyAdmins bool   `json:"notify_admins"`
	AdminID      *int64 `json:"admin_id,omitempty"`
	// ToUserID or ToCompanyID address the conversation from the office to
	// a customer user (made its customer assignee) or to a customer
	// company (all its users), in one step (message handlers and tenant
	// admins; conversation_address.go).
	ToUserID    *int64 `json:"to_user_id,omitempty"`
	ToCompanyID *int64 `json:"to_company_id,omitempty"`
	// ClientMsgID makes creation idempotent: a retry returns the
	// conversation the first attempt created.
	ClientMsgID string `json:"client_msg_id,omitempty"`
	// DraftID, when set, is discarded with the creation.
	DraftID int64 `json:"draft_id,omitempty"`
}

// ChangeKind names what a conversation change event changed.
type ChangeKind string

// Conversation changes recorded as MessageStatus messages in the thread.
const (
	ChangeStatus         ChangeKind = "status"
	ChangeHandler        ChangeKind = "handler"
	ChangeAssignee       ChangeKind = "customer_assignee"
	ChangeAdmin          ChangeKind = "admin"
	ChangeNotifyAdmins   ChangeKind = "notify_admins"
	ChangeExternalEmails ChangeKind = "external_emails"
)

// ConversationChange is the JSON body of a MessageStatus message: what
// changed; the message's author and time say who and when.
type ConversationChange struct {
	What ChangeKind         `json:"what"`
	From ConversationStatus `json:"from,omitempty"`
	To   ConversationStatus `json:"to,omitempty"`
	// UserID is the new handler, assignee or administrator (nil: removed),
	// UserName their name at the time.
	UserID   *int64   `json:"user_id,omitempty"`
	UserName string   `json:"user_name,omitempty"`
	Emails   []string `json:"emails,omitempty"`
}

// ConversationActions says which actions the caller may take, computed by
// the same checks the actions run.
type ConversationActions struct {
	Take             bool `json:"take"`
	SetHandler       bool `json:"set_handler"`
	SetStatus        bool `json:"set_status"`
	SetAssignee      bool `json:"set_assignee"`
	SetAdmin         bool `json:"set_admin"`
	AddExternalEmail bool `json:"add_external_email"`
	NotifyAdmins     bool `json:"notify_admins"`
	// Notes: the caller reads and writes the internal notes.
	Notes bool `json:"notes"`
}

// ConversationView is a conversation as one user sees it.
type ConversationView struct {
	Conversation
	StatusLabel string              `json:"status_label"`
	ReadSeq     int64               `json:"read_seq"`
	Unread      int64               `json:"unread"`
	Can         ConversationActions `json:"can"`
	// Names are the display names of the conversation's people (creator,
	// handler, customer assignee, administrator, related person): whoever
	// may see a conversation may see who has a part in it, as its status
	// events already say (see conversationPeople).
	Names map[int64]string `json:"names"`
}

// ConversationQuery filters the caller's conversation list. Zero fields
// do not filter.
type ConversationQuery struct {
	// Mine keeps conversations the caller created, handles, is customer
	// assignee or designated administrator of.
	Mine       bool               `json:"mine"`
	Status     ConversationStatus `json:"status"`
	CategoryID int64              `json:"category_id"`
	HandlerID  int64              `json:"handler_id"`
	CompanyID  int64              `json:"company_id"`
	// Queue selects a queue view (QueueNew, ...), oldest first; with
	// QueueCategory, CategoryID names the category. The handler side only.
	Queue Queue `json:"queue"`
	Page  Page  `json:"page"`
}

// Receiver is one user who can see a conversation and why.
type Receiver struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	// Reasons: creator, handler, customer_assignee, admin, role,
	// customer_company, tenant_admin.
	Reasons []string `json:"reasons"`
}

// ReceiverList is who will see a conversation. Hidden counts receivers
// the caller may not find in the directory (the company rule); they are
// counted, not named.
type ReceiverList struct {
	Receivers []Receiver `json:"receivers"`
	Hidden    int        `json:"hidden"`
}

// errUnchanged rolls back a change transaction that changed nothing.
var errUnchanged = errors.New("conversation unchanged")

// --- creation ---

// CreateConversation starts a conversation and posts its first message
// (seq 1) in the same transaction, then queues the new_conversation
// notification (and notify_admins, external_email when asked).
// Errors: EUnauthenticated, ENotFound (category, company, person),
// EForbidden (a field the caller's role may not set), EInvalid, ETooLarge.
func (s *ConversationService) CreateConversation(ctx context.Context, in NewConversationInput) (ConversationView, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return ConversationView{}, err
	}
	subject, body, err := validNewConversation(in)
	if err != nil {
		return ConversationView{}, err
	}
	if in.ClientMsgID != "" {
		if v, ok, err := s.conversationByClientID(ctx, p, in.ClientMsgID); ok || err != nil {
			return v, err
		}
	}
	var c Conversation
	var first Message
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		c, first, err = s.insertConversation(ctx, tx, p, in, subject, body)
		return err
	})
	if IsCode(err, EConflict) && in.ClientMsgID != "" {
		// A parallel attempt with the same client id won: answer with its
		// conversation.
		if v, ok, err2 := s.conversationByClientID(ctx, p, in.ClientMsgID); ok || err2 != nil {
			return v, err2
		}
	}
	if err != nil {
		return ConversationView{}, err
	}
	s.log.Info().Int64("tenant", p.TenantID).Int64("user", p.UserID).Int64("conversation", c.ID).Msg("conversation created")
	s.publish(ctx, Event{Channel: first.Channel, Type: EventMessageNew, Seq: first.Seq, Data: first})
	s.publishConversation(ctx, s.store, nil, c)
	return s.viewFor(ctx, s.store, p, c)
}

// validNewConversation checks what a new conversation's input may hold
// before anything is read, and returns its subject and first body.
func validNewConversation(in NewConversationInput) (subject, body string, err error) {
	if subject, err = ValidateName("subject", in.Subject, MaxSubjectLen); err != nil {
		return "", "", err
	}
	if body, err = validateBody(in.Body, len(in.AttachmentIDs)); err != nil {
		return "", "", err
	}
	if len(in.ClientMsgID) > MaxClientMsgID {
		return "", "", Errorf(EInvalid, "client_msg_id is longer than %d characters", MaxClientMsgID)
	}
	if len(in.AttachmentIDs) > MaxAttachmentsIn {
		return "", "", Errorf(EInvalid, "at most %d attachments per message", MaxAttachmentsIn)
	}
	return subject, body, nil
}

// insertConversation stores the conversation planned for in, with its
// first message, its notify jobs and the author's read marker, in tx.
func (s *ConversationService) insertConversation(ctx context.Context, tx Store, p *Principal, in NewConversationInput, subject, body string) (Conversation, Message, error) {
	facts, err := loadTenantFacts(ctx, tx, p.TenantID)
	if err != nil {
		return Conversation{}, Message{}, err
	}
	c, err := s.planConversation(ctx, tx, p, facts, in)
	if err != nil {
		return Conversation{}, Message{}, err
	}
	now := s.clock.Now()
	c.Subject, c.CreatedAt, c.LastActivityAt = subject, now, now
	c.AwaitingSince = awaitingAfterPost(c, isHandlerSide(viewerOf(p), c), now)
	if err := tx.ConversationCreate(ctx, &c); err != nil {
		return Conversation{}, Message{}, err
	}
	atts, err := s.claimAttachments(ctx, tx, p, in.AttachmentIDs)
	if err != nil {
		return Conversation{}, Message{}, err
	}
	ch := ConversationChannel(c.ID)
	seq, err := tx.ChannelNextSeq(ctx, p.TenantID, ch)
	if err != nil {
		return Conversation{}, Message{}, err
	}
	first := Message{TenantID: p.TenantID, Channel: ch, Seq: seq, AuthorID: p.UserID, AuthorName: p.Name,
		ClientMsgID: in.ClientMsgID, Kind: MessageText, Body: body, Attachments: atts, CreatedAt: now}
	if err := tx.MessageInsert(ctx, &first); err != nil {
		return Conversation{}, Message{}, err
	}
	if err := tx.ChannelEventInsert(ctx, p.TenantID, ch, seq, EventMessageNew, first.ID, now); err != nil {
		return Conversation{}, Message{}, err
	}
	c.LastSeq = seq
	for _, r := range newConversationReasons(c, facts.settings) {
		if err := tx.NotifyJobEnqueue(ctx, &NotifyJob{TenantID: p.TenantID, Reason: r, Channel: ch,
			MessageID: first.ID, DueAt: now}); err != nil {
			return Conversation{}, Message{}, err
		}
	}
	if _, err := tx.ReadStateSet(ctx, p.TenantID, p.UserID, ch, seq); err != nil {
		return Conversation{}, Message{}, err
	}
	if in.DraftID != 0 {
		if err := tx.DraftDelete(ctx, p.TenantID, p.UserID, in.DraftID); err != nil && !IsCode(err, ENotFound) {
			return Conversation{}, Message{}, err
		}
	}
	return c, first, nil
}

// newConversationReasons are the notifications a new conversation causes:
// its receivers always, the administrators and external recipients when
// the conversation asks for them, the office address when the tenant has
// one.
func newConversationReasons(c Conversation, ts TenantSettings) []NotifyReason {
	reasons := append([]NotifyReason{ReasonNewConversation}, officeReasons(ts)...)
	if c.NotifyAdmins {
		reasons = append(reasons, ReasonNotifyAdmins)
	}
	if len(c.ExternalEmails) > 0 {
		reasons = append(reasons, ReasonExternalEmail)
	}
	return reasons
}

// officeReasons: the office notification address, when the tenant has
// one, hears of what it is set up for (a new conversation, a customer-side
// message).
func officeReasons(ts TenantSettings) []NotifyReason {
	if ts.NotificationEmail == "" {
		return nil
	}
	return []NotifyReason{ReasonOfficeEmail}
}

// conversationByClientID finds the conversation an earlier attempt with
// the same client_msg_id created.
func (s *ConversationService) conversationByClientID(ctx context.Context, p *Principal, clientMsgID string) (ConversationView, bool, error) {
	m, err := s.store.MessageByClientID(ctx, p.TenantID, p.UserID, clientMsgID)
	if IsCode(err, ENotFound) {
		return ConversationView{}, false, nil
	}
	if err != nil {
		return ConversationView{}, false, err
	}
	if m.Channel.Kind != KindConversation || m.Seq != 1 {
		return ConversationView{}, false, Errorf(EConflict, "client_msg_id was already used for another message")
	}
	c, err := s.conversationForRead(ctx, s.store, p, m.Channel.ID)
	if err != nil {
		return ConversationView{}, false, err
	}
	v, err := s.viewFor(ctx, s.store, p, c)
	return v, true, err
}

// planConversation checks the input against p's roles and returns the
// conversation to create (no subject, id or times).
func (s *ConversationService) planConversation(ctx context.Context, st Store, p *Principal, f tenantFacts, in NewConversationInput) (Conversation, error) {
	cat, err := st.CategoryGet(ctx, p.TenantID, in.CategoryID)
	if IsCode(err, ENotFound) || (err == nil && !cat.Active) {
		return Conversation{}, NotFound("category")
	}
	if err != nil {
		return Conversation{}, err
	}
	privileged := p.Handler || p.TenantAdmin()
	c := Conversation{TenantID: p.TenantID, CategoryID: cat.ID, Status: StatusNew, CreatorID: p.UserID,
		RoleIDs: slices.Clone(cat.RoleIDs)}
	if len(in.RoleIDs) > 0 {
		roles := uniqueSorted(in.RoleIDs)
		if !slices.Equal(roles, uniqueSorted(cat.RoleIDs)) && !privileged {
			return Conversation{}, Errorf(EForbidden, "your role may not change the receivers of this category")
		}
		for _, id := range roles {
			if !slices.ContainsFunc(f.roles, func(r Role) bool { return r.ID == id }) {
				return Conversation{}, Errorf(EInvalid, "role %d does not exist", id)
			}
		}
		c.RoleIDs = roles
	}
	if len(c.RoleIDs) == 0 {
		return Conversation{}, Errorf(EInvalid, "the conversation needs at least one receiver role")
	}
	c.RelatedCompanyID, c.RelatedUserID, err = s.relate(ctx, st, p, f, in.RelatedCompanyID, in.RelatedUserID)
	if err != nil {
		return Conversation{}, err
	}
	if err := addressConversation(ctx, st, p, f, in, &c); err != nil {
		return Conversation{}, err
	}
	if len(in.ExternalEmails) > 0 {
		if !p.Handler {
			return Conversation{}, Errorf(EForbidden, "only message handlers may add email addresses")
		}
		if c.ExternalEmails, err = addEmails(nil, in.ExternalEmails); err != nil {
			return Conversation{}, err
		}
	}
	if in.NotifyAdmins || in.AdminID != nil {
		if !privileged {
			return Conversation{}, Errorf(EForbidden, "only message handlers and tenant admins may notify or designate administrators")
		}
		c.NotifyAdmins = in.NotifyAdmins
	}
	if in.AdminID != nil {
		u, err := s.checkAdminCandidate(ctx, st, p, f, *in.AdminID)
		if err != nil {
			return Conversation{}, err
		}
		c.AdminID = &u.ID
	}
	// A handler who starts a conversation routed to their own role has
	// taken it: it starts Open with them as handler.
	if p.Handler && isReceiver(p, c) {
		c.HandlerID = &p.UserID
		c.Status = StatusOpen
	}
	return c, nil
}

// relate checks and completes the related company and person. Employees
// get their own company by default and may name only their own companies;
// managers their companies, their team members and the team members'
// companies; message handlers and tenant admins anyone they may find.
// Naming a person fills the company from the person's employment.
func (s *ConversationService) relate(ctx context.Context, st Store, p *Principal, f tenantFacts, companyID, userID *int64) (*int64, *int64, error) {
	restricted := f.settings.CompanyVisibility && !p.TenantAdmin() && !p.Superuser
	person, err := relatedPerson(ctx, st, p, f, userID)
	if err != nil {
		return nil, nil, err
	}
	if companyID == nil && person != nil && len(person.CompanyIDs) > 0 {
		companyID = personsCompany(p, person, restricted)
	}
	if companyID == nil {
		if person == nil && !p.Handler && len(p.CompanyIDs) > 0 {
			own := slices.Min(p.CompanyIDs)
			return &own, nil, nil
		}
		return nil, userIDOf(person), nil
	}
	if _, err := st.CompanyGet(ctx, p.TenantID, *companyID); err != nil {
		if IsCode(err, ENotFound) {
			return nil, nil, NotFound("company")
		}
		return nil, nil, err
	}
	// A company the caller may not relate to answers as nonexistent, like
	// CompanyGet: a different answer would tell which ids exist.
	allowed, err := mayRelateCompany(ctx, st, p, person, *companyID, restricted)
	if err != nil {
		return nil, nil, err
	}
	if !allowed {
		return nil, nil, NotFound("company")
	}
	if person != nil && !slices.Contains(person.CompanyIDs, *companyID) {
		return nil, nil, Errorf(EInvalid, "the related person is not employed by the related company")
	}
	return companyID, userIDOf(person), nil
}

// relatedPerson is the person userID names (nil for none) if p may relate
// a conversation to them: handlers and admins anyone they can find,
// managers their team members and themselves.
func relatedPerson(ctx context.Context, st Store, p *Principal, f tenantFacts, userID *int64) (*User, error) {
	if userID == nil {
		return nil, nil
	}
	privileged := p.Handler || p.TenantAdmin()
	if !privileged && !p.HasRole(RoleManager) {
		return nil, Errorf(EForbidden, "only managers and message handlers may name a related person")
	}
	u, err := st.UserGet(ctx, p.TenantID, *userID)
	if IsCode(err, ENotFound) || (err == nil && !f.findable(p, u)) {
		return nil, NotFound("person")
	}
	if err != nil {
		return nil, err
	}
	if !privileged && !isID(u.ManagerID, p.UserID) && u.ID != p.UserID {
		return nil, Errorf(EForbidden, "a manager may name only members of their team")
	}
	return &u, nil
}

// personsCompany is the company a conversation about person relates to
// when none is named: the lowest of theirs, or under company visibility the
// first one p shares with them.
func personsCompany(p *Principal, person *User, restricted bool) *int64 {
	ids := uniqueSorted(person.CompanyIDs)
	pick := ids[0]
	if restricted {
		if i := slices.IndexFunc(ids, p.InCompany); i >= 0 {
			pick = ids[i]
		}
	}
	return &pick
}

// mayRelateCompany reports whether p may relate a conversation to the
// company: their own, any for admins, any for handlers unless company
// visibility restricts them, and for managers one of their team's.
func mayRelateCompany(ctx context.Context, st Store, p *Principal, person *User, companyID int64, restricted bool) (bool, error) {
	switch {
	case p.InCompany(companyID), p.TenantAdmin():
		return true, nil
	case p.Handler:
		return !restricted, nil
	case p.HasRole(RoleManager):
		if person != nil && slices.Contains(person.CompanyIDs, companyID) {
			return true, nil
		}
		return teamHasCompany(ctx, st, p, companyID)
	}
	return false, nil
}

func userIDOf(u *User) *int64 {
	if u == nil {
		return nil
	}
	return &u.ID
}

// teamHasCompany reports whether one of p's team members works for the
// company.
func teamHasCompany(ctx context.Context, st Store, p *Principal, companyID int64) (bool, error) {
	page := Page{Limit: MaxPageSize}
	for {
		us, err := st.UserList(ctx, p.TenantID, UserFilter{CompanyIDs: []int64{companyID}, ActiveOnly: true}, page)
		if err != nil {
			return false, err
		}
		for _, u := range us {
			if isID(u.ManagerID, p.UserID) {
				return true, nil
			}
		}
		if len(us) < page.Limit {
			return false, nil
		}
		page.After = us[len(us)-1].ID
	}
}

// checkAdminCandidate: a designated administrator is an active tenant
// admin, or a message handler whom p may find. Tenant admins are not
// subject to the company rule here: they see every conversation anyway,
// so naming one discloses nothing. The rule is adminCandidateErr, which
// AdminCandidates lists by, so the UI offers exactly whom this accepts.
func (s *ConversationService) checkAdminCandidate(ctx context.Context, st Store, p *Principal, f tenantFacts, id int64) (User, error) {
	u, err := st.UserGet(ctx, p.TenantID, id)
	if IsCode(err, ENotFound) {
		return User{}, NotFound("user")
	}
	if err != nil {
		return User{}, err
	}
	if err := adminCandidateErr(p, f, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// adminCandidateErr is the designated-administrator rule: nil when p may
// name u, ENotFound when p may not find u (a message handler outside the
// company rule answers as one that does not exist), EInvalid when u is
// findable but inactive or neither a tenant admin nor a message handler.
func adminCandidateErr(p *Principal, f tenantFacts, u User) error {
	admin := f.adminRole != 0 && slices.Contains(u.RoleIDs, f.adminRole)
	if !admin && !f.findable(p, u) {
		return NotFound("user")
	}
	if !u.Active || !(admin || f.isHandlerUser(u)) {
		return Errorf(EInvalid, "the designated administrator must be an active tenant admin or message handler")
	}
	return nil
}

// MaxAdminCandidates bounds the AdminCandidates list.
const MaxAdminCandidates = 1000

// AdminCandidates lists, by name, the users the caller may designate as
// the administrator of conversation id, or of a new conversation when id
// is 0: exactly those SetConversationAdmin and CreateConversation accept
// (adminCandidateErr), at most MaxAdminCandidates. Errors:
// EUnauthenticated, ENotFound (the conversation), EForbidden (the caller
// may not designate one).
func (s *ConversationService) AdminCandidates(ctx context.Context, id int64) ([]User, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if id == 0 && !p.Handler && !p.TenantAdmin() {
		return nil, Errorf(EForbidden, "only message handlers and tenant admins may designate administrators")
	}
	if id != 0 {
		c, err := s.conversationForRead(ctx, s.store, p, id)
		if err != nil {
			return nil, err
		}
		if !canSetAdmin(p, c) {
			return nil, Errorf(EForbidden, "only the handler side may designate the administrator")
		}
	}
	f, err := loadTenantFacts(ctx, s.store, p.TenantID)
	if err != nil {
		return nil, err
	}
	roles := slices.Clone(f.handlerRoles)
	if f.adminRole != 0 {
		roles = append(roles, f.adminRole)
	}
	out := []User{}
	for page := (Page{Limit: MaxPageSize}); len(roles) > 0 && len(out) < MaxAdminCandidates; {
		us, err := s.store.UserList(ctx, p.TenantID, UserFilter{RoleIDs: roles, ActiveOnly: true}, page)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if adminCandidateErr(p, f, u) == nil && len(out) < MaxAdminCandidates {
				out = append(out, u)
			}
		}
		if len(us) < page.Limit {
			break
		}
		page.After = us[len(us)-1].ID
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// addEmails normalises addresses and appends the new ones to have.
func addEmails(have, add []string) ([]string, error) {
	out := slices.Clone(have)
	for _, a := range add {
		e, err := NormalizeExternalEmail(a)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) > MaxExternalEmails {
		return nil, Errorf(EInvalid, "at most %d email addresses per conversation", MaxExternalEmails)
	}
	return out, nil
}

func uniqueSorted(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// --- reading ---

// Conversation returns one conversation as the caller sees it.
// Errors: EUnauthenticated, ENotFound.
func (s *ConversationService) Conversation(ctx context.Context, id int64) (ConversationView, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return ConversationView{}, err
	}
	c, err := s.conversationForRead(ctx, s.store, p, id)
	if err != nil {
		return ConversationView{}, err
	}
	return s.viewFor(ctx, s.store, p, c)
}

// Conversations lists the conversations the caller can see, most recently
// active first; q.Page.After is the id of the last conversation of the
// previous page. Errors: EUnauthenticated, EInvalid.
func (s *ConversationService) Conversations(ctx context.Context, q ConversationQuery) ([]ConversationView, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	switch q.Status {
	case "", StatusNew, StatusOpen, StatusWaiting, StatusSolved:
	default:
		return nil, Errorf(EInvalid, "unknown status %q", q.Status)
	}
	t, err := s.store.TenantGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	f := visibleConversations(p, t.Settings, q.Mine)
	f.Status, f.CategoryID, f.HandlerID, f.CompanyID = q.Status, q.CategoryID, q.HandlerID, q.CompanyID
	if q.Queue != "" {
		if err := queueFilter(p, t.Settings, q, s.clock.Now(), &f); err != nil {
			return nil, err
		}
	}
	cs, err := s.store.ConversationList(ctx, p.TenantID, f, q.Page.Normalize())
	if err != nil {
		return nil, err
	}
	return s.viewsFor(ctx, s.store, p, cs)
}

func (s *ConversationService) viewFor(ctx context.Context, st Store, p *Principal, c Conversation) (ConversationView, error) {
	vs, err := s.viewsFor(ctx, st, p, []Conversation{c})
	if err != nil {
		return ConversationView{}, err
	}
	return vs[0], nil
}

// viewsFor adds read state, labels and permitted actions.
func (s *ConversationService) viewsFor(ctx context.Context, st Store, p *Principal, cs []Conversation) ([]ConversationView, error) {
	out := make([]ConversationView, 0, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	t, err := st.TenantGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	chs := make([]Channel, len(cs))
	for i, c := range cs {
		chs[i] = ConversationChannel(c.ID)
	}
	states, err := st.ReadStateList(ctx, p.TenantID, p.UserID, chs)
	if err != nil {
		return nil, err
	}
	read := make(map[Channel]int64, len(states))
	for _, r := range states {
		read[r.Channel] = r.Seq
	}
	names, err := s.peopleNames(ctx, st, p.TenantID, cs)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		r := read[ConversationChannel(c.ID)]
		v := ConversationView{Conversation: c, StatusLabel: StatusLabel(t.Settings, p.Locale, c.Status),
			ReadSeq: r, Unread: max(c.LastSeq-r, 0), Can: actionsFor(p, c, t.Settings.CompanyVisibility), Names: map[int64]string{}}
		for _, id := range conversationPeople(c) {
			if n, ok := names[id]; ok {
				v.Names[id] = n
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// conversationPeople are the users who have a part in c.
func conversationPeople(c Conversation) []int64 {
	ids := []int64{c.CreatorID}
	for _, id := range []*int64{c.HandlerID, c.CustomerAssigneeID, c.AdminID, c.RelatedUserID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	return ids
}

// peopleNames looks up the names of the people of cs in one pass.
func (s *ConversationService) peopleNames(ctx context.Context, st Store, tenantID int64, cs []Conversation) (map[int64]string, error) {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, conversationPeople(c)...)
	}
	users, err := s.usersByID(ctx, st, tenantID, distinctIDs(ids))
	if err != nil {
		return nil, err
	}
	return namesByID(users), nil
}

func actionsFor(p *Principal, c Conversation, companyVisibility bool) ConversationActions {
	return ConversationActions{Take: canTake(p, c), SetHandler: canSetHandler(p, c), SetStatus: canSetStatus(p, c),
		SetAssignee: canSetAssignee(p, c), SetAdmin: canSetAdmin(p, c), AddExternalEmail: canAddExternalEmail(p, c),
		NotifyAdmins: canNotifyAdmins(p, c), Notes: canReadNotes(viewerOf(p), c, companyVisibility)}
}

// MarkConversationRead moves the caller's read marker. Errors:
// EUnauthenticated, ENotFound, EInvalid.
func (s *ConversationService) MarkConversationRead(ctx context.Context, id, seq int64) (int64, error) {
	return s.markRead(ctx, ConversationChannel(id), seq)
}

// --- receivers ---

// ReceiverPreview lists who would see a conversation started with in,
// computed by the visibility rule itself. Errors: as CreateConversation,
// without the subject and body checks.
func (s *ConversationService) ReceiverPreview(ctx context.Context, in NewConversationInput) (ReceiverList, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return ReceiverList{}, err
	}
	f, err := loadTenantFacts(ctx, s.store, p.TenantID)
	if err != nil {
		return ReceiverList{}, err
	}
	c, err := s.planConversation(ctx, s.store, p, f, in)
	if err != nil {
		return ReceiverList{}, err
	}
	return s.receivers(ctx, s.store, p, f, c)
}

// ConversationReceivers lists who can see the conversation now.
// Errors: EUnauthenticated, ENotFound.
func (s *ConversationService) ConversationReceivers(ctx context.Context, id int64) (ReceiverList, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return ReceiverList{}, err
	}
	c, err := s.conversationForRead(ctx, s.store, p, id)
	if err != nil {
		return ReceiverList{}, err
	}
	f, err := loadTenantFacts(ctx, s.store, p.TenantID)
	if err != nil {
		return ReceiverList{}, err
	}
	return s.receivers(ctx, s.store, p, f, c)
}

func (s *ConversationService) receivers(ctx context.Context, st Store, p *Principal, f tenantFacts, c Conversation) (ReceiverList, error) {
	us, err := conversationAudience(ctx, st, f, c)
	if err != nil {
		return ReceiverList{}, err
	}
	out := ReceiverList{Receivers: []Receiver{}}
	for _, u := range us {
		if !f.findable(p, u) {
			out.Hidden++
			continue
		}
		out.Receivers = append(out.Receivers, Receiver{UserID: u.ID, Name: u.Name, Reasons: receiverReasons(f, u, c)})
	}
	return out, nil
}

func receiverReasons(f tenantFacts, u User, c Conversation) []string {
	var rs []string
	for _, x := range []struct {
		ok  bool
		why string
	}{
		{c.CreatorID == u.ID, "creator"},
		{isID(c.HandlerID, u.ID), "handler"},
		{isID(c.CustomerAssigneeID, u.ID), "customer_assignee"},
		{isID(c.AdminID, u.ID), "admin"},
		{roleRouted(f.viewerOfUser(u), c, f.settings.CompanyVisibility), "role"},
		{isAddressee(f.viewerOfUser(u), c), "customer_company"},
		{f.viewerOfUser(u).tenantAdmin, "tenant_admin"},
	} {
		if x.ok {
			rs = append(rs, x.why)
		}
	}
	return rs
}

// conversationAudience returns the active users who can see c, by id.
func conversationAudience(ctx context.Context, st Store, f tenantFacts, c Conversation) ([]User, error) {
	seen := map[int64]bool{}
	var out []User
	keep := func(us []User) {
		for _, u := range us {
			if !seen[u.ID] && canSeeConversation(f.viewerOfUser(u), c, f.settings.CompanyVisibility) {
				seen[u.ID] = true
				out = append(out, u)
			}
		}
	}
	roles := slices.Clone(c.RoleIDs)
	if f.adminRole != 0 {
		roles = append(roles, f.adminRole)
	}
	if err := eachUserPage(ctx, st, c.TenantID, UserFilter{RoleIDs: roles, ActiveOnly: true}, keep); err != nil {
		return nil, err
	}
	if c.CustomerCompanyID != nil {
		uf := UserFilter{CompanyIDs: []int64{*c.CustomerCompanyID}, ActiveOnly: true}
		if err := eachUserPage(ctx, st, c.TenantID, uf, keep); err != nil {
			return nil, err
		}
	}
	var parties []int64
	for _, id := range []*int64{&c.CreatorID, c.HandlerID, c.CustomerAssigneeID, c.AdminID} {
		if id != nil && !seen[*id] && !slices.Contains(parties, *id) {
			parties = append(parties, *id)
		}
	}
	if len(parties) > 0 {
		us, err := st.UserList(ctx, c.TenantID, UserFilter{IDs: parties, ActiveOnly: true}, Page{Limit: len(parties)})
		if err != nil {
			return nil, err
		}
		keep(us)
	}
	slices.SortFunc(out, func(a, b User) int { return cmpInt(a.ID, b.ID) })
	return out, nil
}

// eachUserPage hands fn every page of the users f keeps.
func eachUserPage(ctx context.Context, st Store, tenantID int64, f UserFilter, fn func([]User)) error {
	page := Page{Limit: MaxPageSize}
	for {
		us, err := st.UserList(ctx, tenantID, f, page)
		if err != nil {
			return err
		}
		fn(us)
		if len(us) < page.Limit {
			return nil
		}
		page.After = us[len(us)-1].ID
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// --- live events ---

// conversationEvents are the conversation.changed events for c: on its
// channel and on the user channel of everyone who can see it, plus
// access.revoked for those who could see before but no longer can.
func conversationEvents(ctx context.Context, st Store, before *Conversation, c Conversation) ([]Event, error) {
	f, err := loadTenantFacts(ctx, st, c.TenantID)
	if err != nil {
		return nil, err
	}
	now, err := conversationAudience(ctx, st, f, c)
	if err != nil {
		return nil, err
	}
	evs := []Event{{Channel: ConversationChannel(c.ID), Type: EventConversation, Data: c}}
	still := map[int64]bool{}
	for _, u := range now {
		still[u.ID] = true
		evs = append(evs, Event{Channel: UserChannel(u.ID), Type: EventConversation, Data: c})
	}
	if before != nil {
		was, err := conversationAudience(ctx, st, f, *before)
		if err != nil {
			return nil, err
		}
		for _, u := range was {
			if chs := revokedFrom(f, u, *before, c, still[u.ID]); len(chs) > 0 {
				evs = append(evs, Event{Channel: UserChannel(u.ID), Type: EventAccessRevoked, Data: RevokedChannels{Channels: chs}})
			}
		}
	}
	return evs, nil
}

// revokedFrom lists the channels of a conversation that u, who could see
// it before a change, may no longer read after it: the conversation when
// u lost sight of it, and its notes when u lost the right to them
// (canReadNotes), so the hub unsubscribes u's sockets from them.
func revokedFrom(f tenantFacts, u User, before, after Conversation, stillSees bool) []Channel {
	var chs []Channel
	if !stillSees {
		chs = append(chs, ConversationChannel(after.ID))
	}
	v, cv := f.viewerOfUser(u), f.settings.CompanyVisibility
	if canReadNotes(v, before, cv) && (!stillSees || !canReadNotes(v, after, cv)) {
		chs = append(chs, NoteChannel(after.ID))
	}
	return chs
}

// publishConversation publishes conversationEvents after commit; failing
// to compute them is logged, since the change is committed already.
func (s *ConversationService) publishConversation(ctx context.Context, st Store, before *Conversation, c Conversation) {
	if s.cfg.Publisher == nil {
		return
	}
	evs, err := conversationEvents(ctx, st, before, c)
	if err != nil {
		s.log.Warn().Err(err).Int64("conversation", c.ID).Msg("conversation events")
		return
	}
	s.publish(ctx, evs...)
}

// --- replies ---

// conversationPosted applies the status rules to a reply (a handler-side
// reply opens a New conversation; a customer reply reopens a Waiting or
// Solved one), records a status change as an event in the thread, and
// queues the reply's notification: answered for the handler side,
// customer_message for the customer side.
func (s *MessageService) conversationPosted(ctx context.Context, st Store, p *Principal, c Conversation, m *Message) ([]Event, error) {
	// Publish holds the conversation's sequence lock now: read it again so
	// that a change committed meanwhile is not overwritten.
	cur, err := st.ConversationGet(ctx, p.TenantID, c.ID)
	if err != nil {
		return nil, err
	}
	before := cur
	// An external participant (a reply by email, no user: UserID 0) is
	// the customer side.
	handlerSide := p.UserID != 0 && isHandlerSide(viewerOf(p), cur)
	switch {
	case handlerSide && cur.Status == StatusNew:
		cur.Status = StatusOpen
	case !handlerSide && (cur.Status == StatusWaiting || cur.Status == StatusSolved):
		cur.Status = StatusOpen
	}
	cur.LastActivityAt = m.CreatedAt
	cur.AwaitingSince = awaitingAfterPost(cur, handlerSide, m.CreatedAt)
	if err := st.ConversationUpdate(ctx, cur); err != nil {
		return nil, err
	}
	cur.LastSeq = m.Seq
	var evs []Event
	if cur.Status != before.Status {
		seq, err := st.ChannelNextSeq(ctx, p.TenantID, m.Channel)
		if err != nil {
			return nil, err
		}
		sm, err := s.insertChange(ctx, st, p, cur.ID, seq, ConversationChange{What: ChangeStatus, From: before.Status, To: cur.Status}, m.CreatedAt)
		if err != nil {
			return nil, err
		}
		cur.LastSeq = seq
		evs = append(evs, Event{Channel: m.Channel, Type: EventMessageNew, Seq: seq, Data: sm})
	}
	if err := s.enqueueReplyJobs(ctx, st, p, handlerSide, m); err != nil {
		return nil, err
	}
	if p.UserID != 0 {
		if _, err := st.ReadStateSet(ctx, p.TenantID, p.UserID, m.Channel, cur.LastSeq); err != nil {
			return nil, err
		}
	}
	if s.cfg.Publisher == nil {
		return evs, nil
	}
	more, err := conversationEvents(ctx, st, nil, cur)
	if err != nil {
		return nil, err
	}
	return append(evs, more...), nil
}

// enqueueReplyJobs queues a reply's notifications: answered for the
// handler side; customer_message for the customer side, and office_email
// when the tenant has an office notification address.
func (s *MessageService) enqueueReplyJobs(ctx context.Context, st Store, p *Principal, handlerSide bool, m *Message) error {
	reasons := []NotifyReason{ReasonAnswered}
	if !handlerSide {
		t, err := st.TenantGet(ctx, p.TenantID)
		if err != nil {
			return err
		}
		reasons = append([]NotifyReason{ReasonCustomerMessage}, officeReasons(t.Settings)...)
	}
	for _, r := range reasons {
		if err := st.NotifyJobEnqueue(ctx, &NotifyJob{TenantID: p.TenantID, Reason: r, Channel: m.Channel,
			MessageID: m.ID, DueAt: m.CreatedAt}); err != nil {
			return err
		}
	}
	return nil
}

// insertChange appends a MessageStatus message recording ch at seq.
func (s *core) insertChange(ctx context.Context, st Store, p *Principal, convID, seq int64, ch ConversationChange, at time.Time) (Message, error) {
	body, err := json.Marshal(ch)
	if err != nil {
		return Message{}, Internal(err, "encode change")
	}
	m := Message{TenantID: p.TenantID, Channel: ConversationChannel(convID), Seq: seq, AuthorID: p.UserID,
		AuthorName: p.Name, Kind: MessageStatus, Body: string(body), CreatedAt: at}
	if p.UserID == 0 {
		m.ExternalAuthor = p.Name // reopened by an external participant's reply
	}
	if err := st.MessageInsert(ctx, &m); err != nil {
		return Message{}, err
	}
	if err := st.ChannelEventInsert(ctx, p.TenantID, m.Channel, seq, EventMessageNew, m.ID, at); err != nil {
		return Message{}, err
	}
	return m, nil
}

// --- changes ---

// changeFunc applies one action to the current conversation c (read under
// the conversation's sequence lock) and returns the changes to record;
// none means nothing happens.
type changeFunc func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error)

// changeConversation runs an action in one transaction: the change, one
// MessageStatus event per change in the thread (gap-free seqs), the
// notification job of reason (if any) for the last event; then publishes
// the events and conversation.changed to everyone who can see it.
func (s *ConversationService) changeConversation(ctx context.Context, id int64, reason NotifyReason, fn changeFunc) (ConversationView, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return ConversationView{}, err
	}
	if _, err := s.conversationForRead(ctx, s.store, p, id); err != nil {
		return ConversationView{}, err
	}
	var before, after Conversation
	var msgs []Message
	err = s.store.InTx(ctx, func(tx Store) error {
		ch := ConversationChannel(id)
		// Taking the next seq first locks the conversation's counter, so
		// changes to one conversation run one after another and each
		// sees the previous one. An unchanged conversation rolls back and
		// the seq is not used.
		seq, err := tx.ChannelNextSeq(ctx, p.TenantID, ch)
		if err != nil {
			return err
		}
		c, err := s.conversationForRead(ctx, tx, p, id)
		if err != nil {
			return err
		}
		before = c
		f, err := loadTenantFacts(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		changes, err := fn(ctx, tx, p, f, &c)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			return errUnchanged
		}
		now := s.clock.Now()
		c.LastActivityAt = now
		if err := tx.ConversationUpdate(ctx, c); err != nil {
			return err
		}
		if msgs, c.LastSeq, err = s.recordChanges(ctx, tx, p, id, seq, changes, reason, now); err != nil {
			return err
		}
		after = c
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return s.viewFor(ctx, s.store, p, before)
	}
	if err != nil {
		return ConversationView{}, err
	}
	for _, m := range msgs {
		s.publish(ctx, Event{Channel: m.Channel, Type: EventMessageNew, Seq: m.Seq, Data: m})
	}
	s.publishConversation(ctx, s.store, &before, after)
	// The caller may have handed the conversation away and lost sight of
	// it; they get what they can see.
	if _, err := s.conversationForRead(ctx, s.store, p, id); err != nil {
		return ConversationView{Conversation: after}, nil
	}
	return s.viewFor(ctx, s.store, p, after)
}

// recordChanges writes one status message per change, the first at seq
// (already taken) and the others at the next seqs, the notify job for
// reason (none when empty) and the author's read marker; it returns the
// messages and the last seq.
func (s *ConversationService) recordChanges(ctx context.Context, tx Store, p *Principal, id, seq int64, changes []ConversationChange, reason NotifyReason, now time.Time) ([]Message, int64, error) {
	ch := ConversationChannel(id)
	var msgs []Message
	for i, change := range changes {
		if i > 0 {
			var err error
			if seq, err = tx.ChannelNextSeq(ctx, p.TenantID, ch); err != nil {
				return nil, 0, err
			}
		}
		m, err := s.insertChange(ctx, tx, p, id, seq, change, now)
		if err != nil {
			return nil, 0, err
		}
		msgs = append(msgs, m)
	}
	if reason != "" {
		if err := tx.NotifyJobEnqueue(ctx, &NotifyJob{TenantID: p.TenantID, Reason: reason, Channel: ch,
			MessageID: msgs[len(msgs)-1].ID, DueAt: now}); err != nil {
			return nil, 0, err
		}
	}
	if _, err := tx.ReadStateSet(ctx, p.TenantID, p.UserID, ch, seq); err != nil {
		return nil, 0, err
	}
	return msgs, seq, nil
}

// TakeConversation makes the caller, a member of a receiver role, the
// handler; a New conversation becomes Open. Errors: EUnauthenticated,
// ENotFound, EForbidden.
func (s *ConversationService) TakeConversation(ctx context.Context, id int64) (ConversationView, error) {
	return s.changeConversation(ctx, id, "", func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if isID(c.HandlerID, p.UserID) {
			return nil, nil
		}
		if !canTake(p, *c) {
			return nil, Errorf(EForbidden, "only members of the receiver roles may take this conversation")
		}
		return setHandler(c, p.UserID, p.Name), nil
	})
}

func setHandler(c *Conversation, userID int64, name string) []ConversationChange {
	c.HandlerID = &userID
	changes := []ConversationChange{{What: ChangeHandler, UserID: &userID, UserName: name}}
	if c.Status == StatusNew {
		changes = append(changes, ConversationChange{What: ChangeStatus, From: StatusNew, To: StatusOpen})
		c.Status = StatusOpen
	}
	return changes
}

// SetConversationHandler hands the conversation to another member of its
// receiver roles who can see it, or (userID nil) leaves it without a
// handler. The handler, receiver-role members and tenant admins may.
// Errors: EUnauthenticated, ENotFound, EForbidden, EInvalid.
func (s *ConversationService) SetConversationHandler(ctx context.Context, id int64, userID *int64) (ConversationView, error) {
	return s.changeConversation(ctx, id, "", func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if !canSetHandler(p, *c) {
			return nil, Errorf(EForbidden, "only the handler side may hand this conversation over")
		}
		if userID == nil {
			if c.HandlerID == nil {
				return nil, nil
			}
			c.HandlerID = nil
			return []ConversationChange{{What: ChangeHandler}}, nil
		}
		if isID(c.HandlerID, *userID) {
			return nil, nil
		}
		u, err := activeUser(ctx, tx, p, f, *userID)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(c.RoleIDs, func(r int64) bool { return slices.Contains(u.RoleIDs, r) }) ||
			!canSeeConversation(f.viewerOfUser(u), *c, f.settings.CompanyVisibility) {
			return nil, Errorf(EInvalid, "the handler must be a member of the receiver roles who can see the conversation")
		}
		return setHandler(c, u.ID, u.Name), nil
	})
}

// activeUser loads an active user p may find, or ENotFound.
func activeUser(ctx context.Context, st Store, p *Principal, f tenantFacts, id int64) (User, error) {
	u, err := st.UserGet(ctx, p.TenantID, id)
	if IsCode(err, ENotFound) || (err == nil && (!u.Active || !f.findable(p, u))) {
		return User{}, NotFound("user")
	}
	return u, err
}

// SetConversationStatus sets Open, Waiting (the handler side asks the
// customer) or Solved. Only the handler side may. Errors:
// EUnauthenticated, ENotFound, EForbidden, EInvalid.
func (s *ConversationService) SetConversationStatus(ctx context.Context, id int64, status ConversationStatus) (ConversationView, error) {
	switch status {
	case StatusOpen, StatusWaiting, StatusSolved:
	case StatusNew:
		return ConversationView{}, Errorf(EInvalid, "a conversation cannot be set back to new")
	default:
		return ConversationView{}, Errorf(EInvalid, "unknown status %q", status)
	}
	return s.changeConversation(ctx, id, "", func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if !canSetStatus(p, *c) {
			return nil, Errorf(EForbidden, "only the handler side may change the status")
		}
		if c.Status == status {
			return nil, nil
		}
		from := c.Status
		c.Status = status
		if status != StatusOpen {
			// The customer is asked something or answered: nobody waits
			// for the office any more.
			c.AwaitingSince = nil
		}
		return []ConversationChange{{What: ChangeStatus, From: from, To: status}}, nil
	})
}

// SetCustomerAssignee names (or with nil removes) the customer assignee:
// an active user without a message-handler role, employed by the related
// company (or, without one, by one of the creator's companies), whom the
// caller may find. Both sides may. Errors: EUnauthenticated, ENotFound,
// EForbidden, EInvalid.
func (s *ConversationService) SetCustomerAssignee(ctx context.Context, id int64, userID *int64) (ConversationView, error) {
	return s.changeConversation(ctx, id, "", func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if !canSetAssignee(p, *c) {
			return nil, Errorf(EForbidden, "you may not set the customer assignee")
		}
		if userID == nil {
			if c.CustomerAssigneeID == nil {
				return nil, nil
			}
			c.CustomerAssigneeID = nil
			return []ConversationChange{{What: ChangeAssignee}}, nil
		}
		if isID(c.CustomerAssigneeID, *userID) {
			return nil, nil
		}
		u, err := activeUser(ctx, tx, p, f, *userID)
		if err != nil {
			return nil, err
		}
		if f.isHandlerUser(u) {
			return nil, Errorf(EInvalid, "the customer assignee is on the customer side, not a message handler")
		}
		companies := []int64{}
		if c.RelatedCompanyID != nil {
			companies = append(companies, *c.RelatedCompanyID)
		} else if creator, err := tx.UserGet(ctx, p.TenantID, c.CreatorID); err == nil {
			companies = creator.CompanyIDs
		} else if !IsCode(err, ENotFound) {
			return nil, err
		}
		if len(companies) > 0 && !slices.ContainsFunc(u.CompanyIDs, func(id int64) bool { return slices.Contains(companies, id) }) {
			return nil, Errorf(EInvalid, "the customer assignee must work for the conversation's company")
		}
		c.CustomerAssigneeID = &u.ID
		return []ConversationChange{{What: ChangeAssignee, UserID: &u.ID, UserName: u.Name}}, nil
	})
}

// SetConversationAdmin names (or with nil removes) the designated
// administrator, who is notified of every customer message. The handler
// side may. Errors: EUnauthenticated, ENotFound, EForbidden, EInvalid.
func (s *ConversationService) SetConversationAdmin(ctx context.Context, id int64, userID *int64) (ConversationView, error) {
	return s.changeConversation(ctx, id, "", func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if !canSetAdmin(p, *c) {
			return nil, Errorf(EForbidden, "only the handler side may designate the administrator")
		}
		if userID == nil {
			if c.AdminID == nil {
				return nil, nil
			}
			c.AdminID = nil
			return []ConversationChange{{What: ChangeAdmin}}, nil
		}
		if isID(c.AdminID, *userID) {
			return nil, nil
		}
		u, err := s.checkAdminCandidate(ctx, tx, p, f, *userID)
		if err != nil {
			return nil, err
		}
		c.AdminID = &u.ID
		return []ConversationChange{{What: ChangeAdmin, UserID: &u.ID, UserName: u.Name}}, nil
	})
}

// AddExternalEmails adds addresses that receive the conversation by email
// (message handlers only) and queues external_email for them. Errors:
// EUnauthenticated, ENotFound, EForbidden, EInvalid.
func (s *ConversationService) AddExternalEmails(ctx context.Context, id int64, emails []string) (ConversationView, error) {
	if len(emails) == 0 {
		return ConversationView{}, Errorf(EInvalid, "no email address given")
	}
	return s.changeConversation(ctx, id, ReasonExternalEmail, func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if !canAddExternalEmail(p, *c) {
			return nil, Errorf(EForbidden, "only message handlers may add email addresses")
		}
		all, err := addEmails(c.ExternalEmails, emails)
		if err != nil {
			return nil, err
		}
		added := all[len(c.ExternalEmails):]
		if len(added) == 0 {
			return nil, nil
		}
		c.ExternalEmails = all
		return []ConversationChange{{What: ChangeExternalEmails, Emails: slices.Clone(added)}}, nil
	})
}

// NotifyAdministrators sends "a notification to administrators" about the
// conversation: an event in the thread and a notify_admins job. The
// handler side may. Errors: EUnauthenticated, ENotFound, EForbidden.
func (s *ConversationService) NotifyAdministrators(ctx context.Context, id int64) (ConversationView, error) {
	return s.changeConversation(ctx, id, ReasonNotifyAdmins, func(ctx context.Context, tx Store, p *Principal, f tenantFacts, c *Conversation) ([]ConversationChange, error) {
		if !canNotifyAdmins(p, *c) {
			return nil, Errorf(EForbidden, "only the handler side may notify the administrators")
		}
		c.NotifyAdmins = true
		return []ConversationChange{{What: ChangeNotifyAdmins}}, nil
	})
}

// --- status labels ---

var defaultStatusLabels = map[string]map[ConversationStatus]string{
	LocaleEnglish: {StatusNew: "New", StatusOpen: "Open", StatusWaiting: "Waiting", StatusSolved: "Solved"},
	LocaleFinnish: {StatusNew: "Uusi", StatusOpen: "Avoin", StatusWaiting: "Odottaa", StatusSolved: "Ratkaistu"},
}

// StatusLabel names a status for a locale: the tenant's label if it set
// one, else Parley's default (English for unknown locales).
func StatusLabel(ts TenantSettings, locale string, st ConversationStatus) string {
	if l := ts.StatusLabels[locale][st]; l != "" {
		return l
	}
	if d, ok := defaultStatusLabels[locale]; ok {
		return d[st]
	}
	return defaultStatusLabels[LocaleEnglish][st]
}

// StatusLabels returns the labels of every status in the caller's
// locale. Errors: EUnauthenticated.
func (s *ConversationService) StatusLabels(ctx context.Context) (map[ConversationStatus]string, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.store.TenantGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := map[ConversationStatus]string{}
	for _, st := range []ConversationStatus{StatusNew, StatusOpen, StatusWaiting, StatusSolved} {
		out[st] = StatusLabel(t.Settings, p.Locale, st)
	}
	return out, nil
}
