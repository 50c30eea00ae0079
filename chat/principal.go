package chat

import (
	"context"
	"slices"
)

// Principal is the authenticated caller. It rides in the context; every
// Service method reads it from there.
type Principal struct {
	TenantID  int64
	UserID    int64
	SessionID string
	Name      string
	Locale    string
	// Superuser may manage every tenant (operators). Tenant admins manage
	// their own tenant only.
	Superuser  bool
	RoleIDs    []int64
	RoleKeys   []RoleKey // built-in keys of the roles held
	Handler    bool      // holds at least one message-handler role
	CompanyIDs []int64
}

// HasRole reports whether the principal holds the built-in role k.
func (p *Principal) HasRole(k RoleKey) bool { return p != nil && slices.Contains(p.RoleKeys, k) }

// HasRoleID reports whether the principal holds the role id.
func (p *Principal) HasRoleID(id int64) bool { return p != nil && slices.Contains(p.RoleIDs, id) }

// TenantAdmin reports whether the principal administers its tenant.
func (p *Principal) TenantAdmin() bool { return p.HasRole(RoleTenantAdmin) }

// InCompany reports whether the principal belongs to company id.
func (p *Principal) InCompany(id int64) bool { return p != nil && slices.Contains(p.CompanyIDs, id) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// mustPrincipal returns the caller or an unauthenticated error.
func mustPrincipal(ctx context.Context) (*Principal, error) {
	p := PrincipalFrom(ctx)
	if p == nil || p.UserID == 0 {
		return nil, Errorf(EUnauthenticated, "login required")
	}
	return p, nil
}
