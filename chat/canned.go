package chat

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Canned replies: saved answers the handler side inserts into a
// conversation reply, tenant-wide (kept by tenant admins, like categories)
// or personal (each handler's own), each in English or Finnish, with
// placeholders filled from the conversation. The rules are in
// docs/conversations.md (Canned replies).

// Limits on canned replies.
const (
	MaxCannedTitle         = 100
	MaxCannedBody          = 4000 // characters
	MaxSharedCannedReplies = 500  // tenant-wide, per tenant
	MaxOwnCannedReplies    = 200  // personal, per user
)

// CannedReply is a saved answer. OwnerID nil: tenant-wide.
type CannedReply struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	OwnerID   *int64    `json:"owner_id,omitempty"`
	Locale    string    `json:"locale"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CannedReplyInput creates or replaces a canned reply. Shared makes a new
// reply tenant-wide (tenant admins); it cannot be changed later.
type CannedReplyInput struct {
	Shared bool   `json:"shared"`
	Locale string `json:"locale"`
	Title  string `json:"title"`
	Body   string `json:"body"`
}

// CannedReplyView is a canned reply with what the caller may do with it.
type CannedReplyView struct {
	CannedReply
	Shared  bool `json:"shared"`
	CanEdit bool `json:"can_edit"`
}

// Placeholders a canned reply may hold, with their Finnish aliases.
const (
	PlaceholderCustomer = "customer_name"
	PlaceholderHandler  = "handler_name"
	PlaceholderSubject  = "subject"
)

var placeholderAliases = map[string]string{
	PlaceholderCustomer: PlaceholderCustomer, "asiakkaan_nimi": PlaceholderCustomer,
	PlaceholderHandler: PlaceholderHandler, "käsittelijän_nimi": PlaceholderHandler,
	PlaceholderSubject: PlaceholderSubject, "aihe": PlaceholderSubject,
}

// placeholderRe finds {word} placeholders; other braces are plain text.
var placeholderRe = regexp.MustCompile(`\{([\p{L}_]+)\}`)

// validCannedReply checks and normalises an input.
func validCannedReply(in CannedReplyInput) (CannedReplyInput, error) {
	var err error
	if in.Locale, err = ValidateLocale(in.Locale); err != nil {
		return in, err
	}
	if in.Title, err = ValidateName("title", in.Title, MaxCannedTitle); err != nil {
		return in, err
	}
	if !utf8.ValidString(in.Body) {
		return in, Errorf(EInvalid, "body is not valid UTF-8")
	}
	if strings.TrimSpace(in.Body) == "" {
		return in, Errorf(EInvalid, "body is required")
	}
	if utf8.RuneCountInString(in.Body) > MaxCannedBody {
		return in, Errorf(ETooLarge, "body is longer than %d characters", MaxCannedBody)
	}
	for _, m := range placeholderRe.FindAllStringSubmatch(in.Body, -1) {
		if _, ok := placeholderAliases[strings.ToLower(m[1])]; !ok {
			return in, Errorf(EInvalid, "unknown placeholder %s: use {customer_name}, {handler_name} or {subject}", m[0])
		}
	}
	return in, nil
}

// ExpandPlaceholders fills the placeholders of body with vals (keyed by
// the English names). Values are inserted as plain text made inert: line
// breaks and control characters become spaces and "](" is broken, so a
// name or subject cannot add lines, quotes, lists or a disguised link to
// the reply. Unknown placeholders stay as written.
func ExpandPlaceholders(body string, vals map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(body, func(m string) string {
		key, ok := placeholderAliases[strings.ToLower(m[1:len(m)-1])]
		if !ok {
			return m
		}
		return inertText(vals[key])
	})
}

// inertText is s on one line without markup that spans a link.
func inertText(s string) string {
	return strings.ReplaceAll(oneLine(s), "](", "] (")
}

// mayUseCanned: canned replies are a handler-side tool.
func mayUseCanned(p *Principal) bool { return p.Handler || p.TenantAdmin() }

func (s *CannedReplyService) caller(ctx context.Context) (*Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if !mayUseCanned(p) {
		return nil, Errorf(EForbidden, "canned replies are for message handlers and tenant admins")
	}
	return p, nil
}

// cannedFor returns the reply when p may see it: tenant-wide ones and p's
// own; another user's answers ENotFound.
func cannedFor(ctx context.Context, st Store, p *Principal, id int64) (CannedReply, error) {
	r, err := st.CannedReplyGet(ctx, p.TenantID, id)
	if err != nil {
		return CannedReply{}, err
	}
	if r.OwnerID != nil && *r.OwnerID != p.UserID {
		return CannedReply{}, NotFound("canned reply")
	}
	return r, nil
}

// canEditCanned: tenant admins keep the tenant-wide replies, everyone
// their own.
func canEditCanned(p *Principal, r CannedReply) bool {
	if r.OwnerID == nil {
		return p.TenantAdmin()
	}
	return *r.OwnerID == p.UserID
}

func cannedView(p *Principal, r CannedReply) CannedReplyView {
	return CannedReplyView{CannedReply: r, Shared: r.OwnerID == nil, CanEdit: canEditCanned(p, r)}
}

// CannedReplies lists the tenant-wide replies and the caller's own whose
// title or body contains query (case-insensitive; "" for all), in the
// caller's language first, then by title. Errors: EUnauthenticated,
// EForbidden, EInvalid.
func (s *CannedReplyService) CannedReplies(ctx context.Context, query string) ([]CannedReplyView, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if len(query) > MaxCannedTitle {
		return nil, Errorf(EInvalid, "the search is longer than %d bytes", MaxCannedTitle)
	}
	rs, err := s.store.CannedReplyList(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	out := []CannedReplyView{}
	for _, r := range rs {
		if q == "" || strings.Contains(strings.ToLower(r.Title), q) || strings.Contains(strings.ToLower(r.Body), q) {
			out = append(out, cannedView(p, r))
		}
	}
	slices.SortStableFunc(out, func(a, b CannedReplyView) int {
		if (a.Locale == p.Locale) != (b.Locale == p.Locale) {
			if a.Locale == p.Locale {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	})
	return out, nil
}

// CreateCannedReply saves a new reply: personal, or tenant-wide for
// tenant admins. Errors: EUnauthenticated, EForbidden, EInvalid,
// ETooLarge, EConflict (the limit of replies is reached).
func (s *CannedReplyService) CreateCannedReply(ctx context.Context, in CannedReplyInput) (CannedReplyView, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return CannedReplyView{}, err
	}
	if in, err = validCannedReply(in); err != nil {
		return CannedReplyView{}, err
	}
	if in.Shared && !p.TenantAdmin() {
		return CannedReplyView{}, Errorf(EForbidden, "only tenant admins keep the tenant-wide canned replies")
	}
	now := s.clock.Now()
	r := CannedReply{TenantID: p.TenantID, Locale: in.Locale, Title: in.Title, Body: in.Body, CreatedAt: now, UpdatedAt: now}
	owner, limit := p.UserID, int64(MaxOwnCannedReplies)
	if in.Shared {
		owner, limit = 0, MaxSharedCannedReplies
	} else {
		r.OwnerID = &p.UserID
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		n, err := tx.CannedReplyCount(ctx, p.TenantID, owner)
		if err != nil {
			return err
		}
		if n >= limit {
			return Errorf(EConflict, "at most %d canned replies here: delete one first", limit)
		}
		return tx.CannedReplyCreate(ctx, &r)
	})
	if err != nil {
		return CannedReplyView{}, err
	}
	return cannedView(p, r), nil
}

// UpdateCannedReply replaces a reply's language, title and body (Shared
// is ignored). Errors: EUnauthenticated, ENotFound, EForbidden, EInvalid,
// ETooLarge.
func (s *CannedReplyService) UpdateCannedReply(ctx context.Context, id int64, in CannedReplyInput) (CannedReplyView, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return CannedReplyView{}, err
	}
	if in, err = validCannedReply(in); err != nil {
		return CannedReplyView{}, err
	}
	r, err := cannedFor(ctx, s.store, p, id)
	if err != nil {
		return CannedReplyView{}, err
	}
	if !canEditCanned(p, r) {
		return CannedReplyView{}, Errorf(EForbidden, "only tenant admins change the tenant-wide canned replies")
	}
	r.Locale, r.Title, r.Body, r.UpdatedAt = in.Locale, in.Title, in.Body, s.clock.Now()
	if err := s.store.CannedReplyUpdate(ctx, r); err != nil {
		return CannedReplyView{}, err
	}
	return cannedView(p, r), nil
}

// DeleteCannedReply removes a reply. Errors: EUnauthenticated, ENotFound,
// EForbidden.
func (s *CannedReplyService) DeleteCannedReply(ctx context.Context, id int64) error {
	p, err := s.caller(ctx)
	if err != nil {
		return err
	}
	r, err := cannedFor(ctx, s.store, p, id)
	if err != nil {
		return err
	}
	if !canEditCanned(p, r) {
		return Errorf(EForbidden, "only tenant admins delete the tenant-wide canned replies")
	}
	return s.store.CannedReplyDelete(ctx, p.TenantID, id)
}

// ExpandedReply is a canned reply filled in for one conversation.
type ExpandedReply struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// ExpandCannedReply fills a reply's placeholders from a conversation the
// caller can see: {customer_name} is the customer assignee, else the
// creator when on the customer side, else the addressed company;
// {handler_name} the handler, else the caller; {subject} the subject.
// Errors: EUnauthenticated, EForbidden, ENotFound (reply or conversation).
func (s *CannedReplyService) ExpandCannedReply(ctx context.Context, id, conversationID int64) (ExpandedReply, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return ExpandedReply{}, err
	}
	r, err := cannedFor(ctx, s.store, p, id)
	if err != nil {
		return ExpandedReply{}, err
	}
	c, err := s.conversationForRead(ctx, s.store, p, conversationID)
	if err != nil {
		return ExpandedReply{}, err
	}
	vals := map[string]string{PlaceholderSubject: c.Subject, PlaceholderHandler: p.Name}
	if c.HandlerID != nil {
		if vals[PlaceholderHandler], err = s.userName(ctx, p.TenantID, *c.HandlerID); err != nil {
			return ExpandedReply{}, err
		}
	}
	if vals[PlaceholderCustomer], err = s.customerName(ctx, c); err != nil {
		return ExpandedReply{}, err
	}
	return ExpandedReply{ID: r.ID, Body: ExpandPlaceholders(r.Body, vals)}, nil
}

// customerName names the conversation's customer (see ExpandCannedReply).
func (s *CannedReplyService) customerName(ctx context.Context, c Conversation) (string, error) {
	switch {
	case c.CustomerAssigneeID != nil:
		return s.userName(ctx, c.TenantID, *c.CustomerAssigneeID)
	case !c.ToCustomer:
		return s.userName(ctx, c.TenantID, c.CreatorID)
	case c.CustomerCompanyID != nil:
		co, err := s.store.CompanyGet(ctx, c.TenantID, *c.CustomerCompanyID)
		if IsCode(err, ENotFound) {
			return "", nil
		}
		return co.Name, err
	}
	return "", nil
}

// userName is a user's name, "" for one that is gone.
func (s *CannedReplyService) userName(ctx context.Context, tenantID, id int64) (string, error) {
	u, err := s.store.UserGet(ctx, tenantID, id)
	if IsCode(err, ENotFound) {
		return "", nil
	}
	return u.Name, err
}
