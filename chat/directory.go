package chat

import (
	"context"
	"slices"
)

// The company rule of the user directory. With company-based visibility on
// for the tenant, a user finds (as related person, mention, assignee, in
// the receiver preview or the directory) only the people of their own
// companies and the handler side (holders of a message-handler role);
// tenant admins and operators find everyone. With it off, everyone of the
// tenant is findable.

// noCompany is a company id no row has: a filter of only noCompany keeps
// no one by company, where an empty list would keep everyone.
const noCompany = -1

// DirectoryScope narrows f to the users p may find in the directory of its
// own tenant. A caller's own company filter is intersected with p's
// companies, so asking for another company finds no one but the handler
// side. Errors: those of the store.
func (s *DirectoryService) DirectoryScope(ctx context.Context, st Store, p *Principal, f UserFilter) (UserFilter, error) {
	if p.Superuser || p.TenantAdmin() {
		return f, nil
	}
	t, err := st.TenantGet(ctx, p.TenantID)
	if err != nil {
		return UserFilter{}, err
	}
	if !t.Settings.CompanyVisibility {
		return f, nil
	}
	return scopeFilter(p, f), nil
}

func scopeFilter(p *Principal, f UserFilter) UserFilter {
	own := slices.Clone(p.CompanyIDs)
	if len(f.CompanyIDs) > 0 {
		own = slices.DeleteFunc(own, func(id int64) bool { return !slices.Contains(f.CompanyIDs, id) })
	}
	if len(own) == 0 {
		own = []int64{noCompany}
	}
	f.CompanyIDs = own
	f.OrHandlers = true
	return f
}

// directoryAllows reports whether p may find u under the company rule;
// handlerRoles are the tenant's message-handler role ids.
func directoryAllows(p *Principal, companyVisibility bool, u User, handlerRoles []int64) bool {
	if !companyVisibility || p.Superuser || p.TenantAdmin() || u.ID == p.UserID {
		return true
	}
	if slices.ContainsFunc(u.CompanyIDs, p.InCompany) {
		return true
	}
	return slices.ContainsFunc(u.RoleIDs, func(id int64) bool { return slices.Contains(handlerRoles, id) })
}

// tenantFacts are the tenant settings and role facts the conversation and
// directory rules need, loaded once per operation.
type tenantFacts struct {
	settings     TenantSettings
	handlerRoles []int64
	adminRole    int64
	roles        []Role
}

func loadTenantFacts(ctx context.Context, st Store, tenantID int64) (tenantFacts, error) {
	t, err := st.TenantGet(ctx, tenantID)
	if err != nil {
		return tenantFacts{}, err
	}
	roles, err := st.RoleList(ctx, tenantID)
	if err != nil {
		return tenantFacts{}, err
	}
	f := tenantFacts{settings: t.Settings, roles: roles}
	for _, r := range roles {
		if r.Handler {
			f.handlerRoles = append(f.handlerRoles, r.ID)
		}
		if r.Key == RoleTenantAdmin {
			f.adminRole = r.ID
		}
	}
	return f, nil
}

// viewerOfUser builds the visibility viewer of a stored user.
func (f tenantFacts) viewerOfUser(u User) viewer {
	return viewer{userID: u.ID, roleIDs: u.RoleIDs, companyIDs: u.CompanyIDs,
		tenantAdmin: f.adminRole != 0 && slices.Contains(u.RoleIDs, f.adminRole), handler: f.isHandlerUser(u)}
}

// isHandlerUser reports whether u holds a message-handler role.
func (f tenantFacts) isHandlerUser(u User) bool {
	return slices.ContainsFunc(u.RoleIDs, func(id int64) bool { return slices.Contains(f.handlerRoles, id) })
}

// findable reports whether p may find u in the directory.
func (f tenantFacts) findable(p *Principal, u User) bool {
	return directoryAllows(p, f.settings.CompanyVisibility, u, f.handlerRoles)
}

// MaxVisibleUsers bounds one VisibleUsers or UserNames question.
const MaxVisibleUsers = 1000

// VisibleUsers returns those of ids the caller may know about, for
// presence: active users of its own tenant that the directory lets it find
// (the company rule) or that share an active messenger group with it
// (membership is the only rule there). The others are left out, so that
// asking tells nothing about them, not even whether they exist.
// Errors: EUnauthenticated, EInvalid (more than MaxVisibleUsers ids).
func (s *DirectoryService) VisibleUsers(ctx context.Context, ids []int64) ([]int64, error) {
	users, err := s.visibleUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(users))
	for _, u := range users {
		out = append(out, u.ID)
	}
	return out, nil
}

// UserNames returns the display names of those of ids the caller may know
// about, by the rule of VisibleUsers: the one answer for a name the
// client has not seen in a payload (readers of a thread, mentions, the
// audit log). Names of a conversation's people come with the conversation
// (ConversationView.Names). Errors: EUnauthenticated, EInvalid (more than
// MaxVisibleUsers ids).
func (s *DirectoryService) UserNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	users, err := s.visibleUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	return namesByID(users), nil
}

// visibleUsers is the rule of VisibleUsers, returning the users.
func (s *DirectoryService) visibleUsers(ctx context.Context, ids []int64) ([]User, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > MaxVisibleUsers {
		return nil, Errorf(EInvalid, "at most %d users at a time", MaxVisibleUsers)
	}
	ids = slices.DeleteFunc(distinctIDs(ids), func(id int64) bool { return id <= 0 })
	users, err := s.usersByID(ctx, s.store, p.TenantID, ids)
	if err != nil {
		return nil, err
	}
	f, err := loadTenantFacts(ctx, s.store, p.TenantID)
	if err != nil {
		return nil, err
	}
	var mates map[int64]bool // loaded when the company rule is not enough
	out := []User{}
	for _, u := range users {
		if !u.Active {
			continue
		}
		if !f.findable(p, u) {
			if mates == nil {
				if mates, err = s.groupMates(ctx, p, f.settings.MessengerEnabled); err != nil {
					return nil, err
				}
			}
			if !mates[u.ID] {
				continue
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// groupMates returns the members of the active messenger groups p belongs
// to (none when the messenger is off).
func (s *DirectoryService) groupMates(ctx context.Context, p *Principal, messengerOn bool) (map[int64]bool, error) {
	mates := map[int64]bool{}
	if !messengerOn {
		return mates, nil
	}
	for page := (Page{Limit: MaxPageSize}); ; {
		gs, err := s.store.GroupList(ctx, p.TenantID, p.UserID, page)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if !g.Active {
				continue
			}
			for _, id := range g.MemberIDs {
				mates[id] = true
			}
		}
		if len(gs) < page.Limit {
			return mates, nil
		}
		page.After = gs[len(gs)-1].ID
	}
}
