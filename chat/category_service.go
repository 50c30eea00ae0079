package chat

import (
	"context"
	"slices"
)

// Categories route new conversations to receiver roles. Tenant admins
// manage them; every user of the tenant lists the active ones.

// MaxCategoryName bounds a category name in either language.
const MaxCategoryName = 100

// CategoryInput creates a category or, in UpdateCategory, replaces one.
type CategoryInput struct {
	NameEN string `json:"name_en"`
	// NameFI defaults to NameEN.
	NameFI string `json:"name_fi"`
	// RoleIDs are the default receiver roles (at least one).
	RoleIDs []int64 `json:"role_ids"`
	// RetentionDays overrides the tenant's retention when set.
	RetentionDays *int `json:"retention_days,omitempty"`
	// Active defaults to true on creation.
	Active *bool `json:"active,omitempty"`
}

// categoryAdmin returns the caller when it administers its tenant.
func categoryAdmin(ctx context.Context) (*Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.TenantAdmin() {
		return nil, Errorf(EForbidden, "only tenant admins manage categories")
	}
	return p, nil
}

func (s *ConversationService) validateCategory(ctx context.Context, p *Principal, in CategoryInput, c *Category) error {
	en, err := ValidateName("English name", in.NameEN, MaxCategoryName)
	if err != nil {
		return err
	}
	fi := en
	if in.NameFI != "" {
		if fi, err = ValidateName("Finnish name", in.NameFI, MaxCategoryName); err != nil {
			return err
		}
	}
	roles := uniqueSorted(in.RoleIDs)
	if len(roles) == 0 {
		return Errorf(EInvalid, "a category needs at least one receiver role")
	}
	have, err := s.store.RoleList(ctx, p.TenantID)
	if err != nil {
		return err
	}
	for _, id := range roles {
		if !slices.ContainsFunc(have, func(r Role) bool { return r.ID == id }) {
			return Errorf(EInvalid, "role %d does not exist", id)
		}
	}
	if in.RetentionDays != nil && (*in.RetentionDays < 1 || *in.RetentionDays > MaxRetentionDays) {
		return Errorf(EInvalid, "retention must be between 1 and %d days", MaxRetentionDays)
	}
	c.NameEN, c.NameFI, c.RoleIDs, c.RetentionDays = en, fi, roles, in.RetentionDays
	if in.Active != nil {
		c.Active = *in.Active
	}
	return nil
}

// CreateCategory adds a category. Errors: EUnauthenticated, EForbidden,
// EInvalid.
func (s *ConversationService) CreateCategory(ctx context.Context, in CategoryInput) (Category, error) {
	p, err := categoryAdmin(ctx)
	if err != nil {
		return Category{}, err
	}
	c := Category{TenantID: p.TenantID, Active: true}
	if err := s.validateCategory(ctx, p, in, &c); err != nil {
		return Category{}, err
	}
	if err := s.store.CategoryCreate(ctx, &c); err != nil {
		return Category{}, err
	}
	s.categoriesChanged(ctx, p.TenantID)
	return c, nil
}

// UpdateCategory replaces a category's names, roles, retention and (when
// given) active flag. Existing conversations keep their receiver roles.
// Errors: EUnauthenticated, EForbidden, ENotFound, EInvalid.
func (s *ConversationService) UpdateCategory(ctx context.Context, id int64, in CategoryInput) (Category, error) {
	// What the caller cannot see (another tenant's) is not found, before
	// whether they may change it.
	c, err := s.Category(ctx, id)
	if err != nil {
		return Category{}, err
	}
	p, err := categoryAdmin(ctx)
	if err != nil {
		return Category{}, err
	}
	if err := s.validateCategory(ctx, p, in, &c); err != nil {
		return Category{}, err
	}
	if err := s.store.CategoryUpdate(ctx, c); err != nil {
		return Category{}, err
	}
	s.categoriesChanged(ctx, p.TenantID)
	return c, nil
}

// Categories lists the tenant's active categories; tenant admins get the
// inactive ones too when all is set. Errors: EUnauthenticated.
func (s *ConversationService) Categories(ctx context.Context, all bool) ([]Category, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.store.CategoryList(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if all && p.TenantAdmin() {
		return cs, nil
	}
	return slices.DeleteFunc(cs, func(c Category) bool { return !c.Active }), nil
}

// Category returns one category; inactive ones only to tenant admins.
// Errors: EUnauthenticated, ENotFound.
func (s *ConversationService) Category(ctx context.Context, id int64) (Category, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Category{}, err
	}
	c, err := s.store.CategoryGet(ctx, p.TenantID, id)
	if err != nil {
		return Category{}, err
	}
	if !c.Active && !p.TenantAdmin() {
		return Category{}, NotFound("category")
	}
	return c, nil
}

// categoriesChanged lets the tenant's open clients reload the categories
// (the new-conversation form, list filters), after commit.
func (s *ConversationService) categoriesChanged(ctx context.Context, tenantID int64) {
	t, err := s.store.TenantGet(ctx, tenantID)
	if err == nil {
		err = s.tenantChanged(ctx, TenantChangedData{TenantID: tenantID, MessengerEnabled: t.Settings.MessengerEnabled, What: TenantChangedCategories})
	}
	if err != nil {
		s.log.Warn().Err(err).Int64("tenant", tenantID).Msg("category change events")
	}
}
