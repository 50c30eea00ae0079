package chat

import (
	"context"
	"slices"
)

// Administration of tenants, companies, users and roles.
//
// Who may do what:
//   - superusers (operators) manage every tenant;
//   - tenant admins manage their own tenant;
//   - everyone else reads themselves, their tenant's basic info, their own
//     companies, the tenant's roles and the directory of active users of the
//     tenant.
//
// Another tenant's things answer ENotFound, never EForbidden: a caller
// learns nothing about what lies outside its tenant.

// Limits on administrative input.
const (
	MaxRetentionDays = 100 * 365
	maxStatusLabel   = 50
)

// TenantInput creates a tenant.
type TenantInput struct {
	Name     string         `json:"name"`
	Settings TenantSettings `json:"settings"`
}

// TenantPatch changes a tenant; nil fields stay as they are.
type TenantPatch struct {
	Name     *string         `json:"name"`
	Settings *TenantSettings `json:"settings"`
}

// UserInput creates a user.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Locale   string `json:"locale"` // "" means English
	Password string `json:"password"`
	// CompanyIDs and RoleIDs must belong to the user's tenant.
	CompanyIDs []int64 `json:"company_ids"`
	RoleIDs    []int64 `json:"role_ids"`
	ManagerID  *int64  `json:"manager_id"`
	// Superuser makes the user an operator of every tenant; only
	// superusers may set it.
	Superuser bool `json:"superuser"`
	// EmailNotifications defaults to on.
	EmailNotifications *bool `json:"email_notifications"`
}

// UserPatch changes a user; nil fields stay as they are. A ManagerID
// pointing at 0 removes the manager.
type UserPatch struct {
	Email              *string  `json:"email"`
	Name               *string  `json:"name"`
	Locale             *string  `json:"locale"`
	Active             *bool    `json:"active"`
	Superuser          *bool    `json:"superuser"`
	CompanyIDs         *[]int64 `json:"company_ids"`
	RoleIDs            *[]int64 `json:"role_ids"`
	ManagerID          *int64   `json:"manager_id"`
	EmailNotifications *bool    `json:"email_notifications"`
}

// selfOnly reports whether the patch touches only what users may change
// about themselves.
func (p UserPatch) selfOnly() bool {
	return p.Email == nil && p.Active == nil && p.Superuser == nil && p.CompanyIDs == nil &&
		p.RoleIDs == nil && p.ManagerID == nil
}

// RoleInput creates a tenant-defined role.
type RoleInput struct {
	Name    string `json:"name"`
	Handler bool   `json:"handler"`
}

// RolePatch changes a role; nil fields stay as they are. Key may only
// repeat the role's current key: roles are never re-keyed.
type RolePatch struct {
	Name    *string  `json:"name"`
	Handler *bool    `json:"handler"`
	Key     *RoleKey `json:"key"`
}

// BootstrapInput creates a tenant with its first admin.
type BootstrapInput struct {
	TenantName    string
	AdminEmail    string
	AdminName     string
	AdminPassword string
	// Superuser makes the admin an operator of every tenant (the first
	// run's admin is one).
	Superuser bool
}

// OperatorContext returns ctx acting as an operator of every tenant. Only
// trusted code (the CLI, first run) may use it; no adapter ever hands it
// to a remote caller.
func OperatorContext(ctx context.Context) context.Context {
	return WithPrincipal(ctx, &Principal{UserID: -1, Name: "operator", Superuser: true})
}

// memberOf returns the caller when it may read tenantID: superusers any
// existing tenant, everyone else their own. Errors: EUnauthenticated,
// ENotFound.
func (s *DirectoryService) memberOf(ctx context.Context, tenantID int64) (*Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Superuser && p.TenantID != tenantID {
		if _, err := s.store.TenantGet(ctx, tenantID); err != nil {
			return nil, err
		}
		return p, nil
	}
	if p.TenantID != tenantID {
		return nil, NotFound("tenant")
	}
	return p, nil
}

// adminOf returns the caller when it may administer tenantID. Errors:
// EUnauthenticated, ENotFound (another tenant), EForbidden (not an admin).
func (s *DirectoryService) adminOf(ctx context.Context, tenantID int64) (*Principal, error) {
	p, err := s.memberOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !p.Superuser && !p.TenantAdmin() {
		return nil, Errorf(EForbidden, "only tenant admins may do this")
	}
	return p, nil
}

// requireSuperuser lets only operators through.
func requireSuperuser(ctx context.Context) (*Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Superuser {
		return nil, Errorf(EForbidden, "only operators may do this")
	}
	return p, nil
}

// Me returns the caller. Errors: EUnauthenticated.
func (s *DirectoryService) Me(ctx context.Context) (User, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.UserGet(ctx, p.TenantID, p.UserID)
	if IsCode(err, ENotFound) {
		return User{}, Errorf(EUnauthenticated, "login required")
	}
	return u, err
}

// --- tenants ---

// validateSettings checks and normalises tenant settings.
func validateSettings(st TenantSettings) (TenantSettings, error) {
	if st.RetentionDays < 0 || st.RetentionDays > MaxRetentionDays {
		return st, Errorf(EInvalid, "retention_days must be between 0 (default) and %d", MaxRetentionDays)
	}
	if st.StaleHours < 0 || st.StaleHours > MaxStaleHours {
		return st, Errorf(EInvalid, "stale_hours must be between 0 (default: %d) and %d", DefaultStaleHours, MaxStaleHours)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"mail_from", &st.MailFrom}, {"reply_to", &st.ReplyTo}, {"notification_email", &st.NotificationEmail}} {
		if *f.v == "" {
			continue
		}
		e, err := NormalizeEmail(*f.v)
		if err != nil {
			return st, Errorf(EInvalid, "%s: %s", f.name, ErrorMessage(err))
		}
		*f.v = e
	}
	switch st.NotificationLocale {
	case "", LocaleEnglish, LocaleFinnish:
	default:
		return st, Errorf(EInvalid, "notification_locale must be %q or %q", LocaleEnglish, LocaleFinnish)
	}
	if len(st.StatusLabels) > 0 {
		labels := make(map[string]map[ConversationStatus]string, len(st.StatusLabels))
		for loc, m := range st.StatusLabels {
			if loc != LocaleEnglish && loc != LocaleFinnish {
				return st, Errorf(EInvalid, "status_labels: locale must be %q or %q", LocaleEnglish, LocaleFinnish)
			}
			labels[loc] = make(map[ConversationStatus]string, len(m))
			for status, label := range m {
				switch status {
				case StatusNew, StatusOpen, StatusWaiting, StatusSolved:
				default:
					return st, Errorf(EInvalid, "status_labels: status %q is unknown", status)
				}
				l, err := ValidateName("status label", label, maxStatusLabel)
				if err != nil {
					return st, err
				}
				labels[loc][status] = l
			}
		}
		st.StatusLabels = labels
	}
	return st, nil
}

// TenantCreate creates a tenant with the built-in roles. Operators only.
// Errors: EUnauthenticated, EForbidden, EInvalid.
func (s *DirectoryService) TenantCreate(ctx context.Context, in TenantInput) (Tenant, error) {
	if _, err := requireSuperuser(ctx); err != nil {
		return Tenant{}, err
	}
	name, err := ValidateName("name", in.Name, MaxNameLen)
	if err != nil {
		return Tenant{}, err
	}
	settings, err := validateSettings(in.Settings)
	if err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		t, _, err = createTenant(ctx, tx, name, settings)
		return err
	})
	if err != nil {
		return Tenant{}, err
	}
	s.log.Info().Int64("tenant", t.ID).Msg("tenant created")
	return t, nil
}

// createTenant inserts a tenant and its built-in roles.
func createTenant(ctx context.Context, tx Store, name string, settings TenantSettings) (Tenant, map[RoleKey]Role, error) {
	t := Tenant{Name: name, Settings: settings}
	if err := tx.TenantCreate(ctx, &t); err != nil {
		return Tenant{}, nil, err
	}
	roles := make(map[RoleKey]Role, len(BuiltinRoles))
	for _, b := range BuiltinRoles {
		r := Role{TenantID: t.ID, Key: b.Key, Name: b.Name, Handler: b.Handler}
		if err := tx.RoleCreate(ctx, &r); err != nil {
			return Tenant{}, nil, err
		}
		roles[b.Key] = r
	}
	return t, roles, nil
}

// TenantGet returns a tenant: any to operators, their own to everyone
// else. Errors: EUnauthenticated, ENotFound.
func (s *DirectoryService) TenantGet(ctx context.Context, id int64) (Tenant, error) {
	p, err := s.memberOf(ctx, id)
	if err != nil {
		return Tenant{}, err
	}
	t, err := s.store.TenantGet(ctx, id)
	return tenantAsSeenBy(p, t), err
}

// tenantAsSeenBy hides the office notification address from users who
// do not administer the tenant: it is an internal address of the office,
// not something its customers need.
func tenantAsSeenBy(p *Principal, t Tenant) Tenant {
	if !p.Superuser && !p.TenantAdmin() {
		t.Settings.NotificationEmail = ""
	}
	return t
}

// TenantList lists every tenant to operators and the caller's own tenant
// to everyone else. Errors: EUnauthenticated.
func (s *DirectoryService) TenantList(ctx context.Context, page Page) ([]Tenant, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	page = page.Normalize()
	if p.Superuser {
		return s.store.TenantList(ctx, page)
	}
	if page.After >= p.TenantID {
		return []Tenant{}, nil
	}
	t, err := s.store.TenantGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return []Tenant{tenantAsSeenBy(p, t)}, nil
}

// TenantUpdate changes a tenant's name and settings: operators any tenant,
// tenant admins their own. Errors: EUnauthenticated, ENotFound,
// EForbidden, EInvalid.
func (s *DirectoryService) TenantUpdate(ctx context.Context, id int64, patch TenantPatch) (Tenant, error) {
	if _, err := s.adminOf(ctx, id); err != nil {
		return Tenant{}, err
	}
	var name *string
	if patch.Name != nil {
		n, err := ValidateName("name", *patch.Name, MaxNameLen)
		if err != nil {
			return Tenant{}, err
		}
		name = &n
	}
	var settings *TenantSettings
	if patch.Settings != nil {
		st, err := validateSettings(*patch.Settings)
		if err != nil {
			return Tenant{}, err
		}
		settings = &st
	}
	var t Tenant
	var wasOn bool
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if t, err = tx.TenantGet(ctx, id); err != nil {
			return err
		}
		wasOn = t.Settings.MessengerEnabled
		if name != nil {
			t.Name = *name
		}
		if settings != nil {
			t.Settings = *settings
		}
		return tx.TenantUpdate(ctx, t)
	})
	if err != nil {
		return Tenant{}, err
	}
	if t.Settings.MessengerEnabled != wasOn {
		// Live effects after commit: subscriptions end, clients refresh.
		if err := s.messengerEnabledChanged(ctx, id, t.Settings.MessengerEnabled); err != nil {
			s.log.Warn().Err(err).Int64("tenant", id).Msg("messenger switch events")
		}
	} else if settings != nil || name != nil {
		// Status labels and the like: open clients refresh them.
		data := TenantChangedData{TenantID: id, MessengerEnabled: t.Settings.MessengerEnabled, What: TenantChangedSettings}
		if err := s.tenantChanged(ctx, data); err != nil {
			s.log.Warn().Err(err).Int64("tenant", id).Msg("tenant change events")
		}
	}
	return t, nil
}

// --- companies ---

// CompanyCreate adds a company to a tenant. Errors: EUnauthenticated,
// ENotFound, EForbidden, EInvalid.
func (s *DirectoryService) CompanyCreate(ctx context.Context, tenantID int64, name string) (Company, error) {
	if _, err := s.adminOf(ctx, tenantID); err != nil {
		return Company{}, err
	}
	name, err := ValidateName("name", name, MaxNameLen)
	if err != nil {
		return Company{}, err
	}
	c := Company{TenantID: tenantID, Name: name}
	if err := s.store.CompanyCreate(ctx, &c); err != nil {
		return Company{}, err
	}
	return c, nil
}

// CompanyGet returns a company: admins any of their tenant, everyone else
// only the companies they belong to. Errors: EUnauthenticated, ENotFound.
func (s *DirectoryService) CompanyGet(ctx context.Context, tenantID, id int64) (Company, error) {
	p, err := s.memberOf(ctx, tenantID)
	if err != nil {
		return Company{}, err
	}
	// A customer must not learn the names of the tenant's other customers.
	if !p.Superuser && !p.TenantAdmin() && !p.InCompany(id) {
		return Company{}, NotFound("company")
	}
	return s.store.CompanyGet(ctx, tenantID, id)
}

// CompanyList lists a tenant's companies: all of them to admins, the
// caller's own to everyone else. Errors: EUnauthenticated, ENotFound.
func (s *DirectoryService) CompanyList(ctx context.Context, tenantID int64, page Page) ([]Company, error) {
	p, err := s.memberOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	page = page.Normalize()
	if p.Superuser || p.TenantAdmin() {
		return s.store.CompanyList(ctx, tenantID, page)
	}
	ids := slices.Clone(p.CompanyIDs)
	slices.Sort(ids)
	out := []Company{}
	for _, id := range ids {
		if id <= page.After {
			continue
		}
		if len(out) == page.Limit {
			break
		}
		c, err := s.store.CompanyGet(ctx, tenantID, id)
		if IsCode(err, ENotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// CompanyUpdate renames a company. Errors: EUnauthenticated, ENotFound,
// EForbidden, EInvalid.
func (s *DirectoryService) CompanyUpdate(ctx context.Context, tenantID, id int64, name string) (Company, error) {
	if _, err := s.adminOf(ctx, tenantID); err != nil {
		return Company{}, err
	}
	name, err := ValidateName("name", name, MaxNameLen)
	if err != nil {
		return Company{}, err
	}
	var c Company
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		if c, err = tx.CompanyGet(ctx, tenantID, id); err != nil {
			return err
		}
		c.Name = name
		return tx.CompanyUpdate(ctx, c)
	})
	if err != nil {
		return Company{}, err
	}
	return c, nil
}

// --- users ---

// checkRefs verifies that companies, roles and the manager belong to the
// tenant, and returns the ids deduplicated and sorted.
func checkRefs(ctx context.Context, st Store, tenantID int64, companyIDs, roleIDs []int64, managerID *int64) ([]int64, []int64, error) {
	companies := uniqueIDs(companyIDs)
	for _, id := range companies {
		if _, err := st.CompanyGet(ctx, tenantID, id); err != nil {
			if IsCode(err, ENotFound) {
				return nil, nil, Errorf(EInvalid, "company %d does not exist", id)
			}
			return nil, nil, err
		}
	}
	roles := uniqueIDs(roleIDs)
	if len(roles) > 0 {
		all, err := st.RoleList(ctx, tenantID)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range roles {
			if !slices.ContainsFunc(all, func(r Role) bool { return r.ID == id }) {
				return nil, nil, Errorf(EInvalid, "role %d does not exist", id)
			}
		}
	}
	if managerID != nil && *managerID != 0 {
		if _, err := st.UserGet(ctx, tenantID, *managerID); err != nil {
			if IsCode(err, ENotFound) {
				return nil, nil, Errorf(EInvalid, "manager %d does not exist", *managerID)
			}
			return nil, nil, err
		}
	}
	return companies, roles, nil
}

func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// emailConflict turns a unique violation on the email into a clear message.
func emailConflict(err error) error {
	if IsCode(err, EConflict) {
		return Errorf(EConflict, "email is already in use")
	}
	return err
}

// UserCreate adds a user to a tenant. Errors: EUnauthenticated, ENotFound,
// EForbidden, EInvalid, EConflict (email in use).
func (s *DirectoryService) UserCreate(ctx context.Context, tenantID int64, in UserInput) (User, error) {
	p, err := s.adminOf(ctx, tenantID)
	if err != nil {
		return User{}, err
	}
	if in.Superuser && !p.Superuser {
		return User{}, Errorf(EForbidden, "only operators may create operators")
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	name, err := ValidateName("name", in.Name, MaxNameLen)
	if err != nil {
		return User{}, err
	}
	locale, err := ValidateLocale(in.Locale)
	if err != nil {
		return User{}, err
	}
	if err := ValidatePassword(in.Password); err != nil {
		return User{}, err
	}
	companies, roles, err := checkRefs(ctx, s.store, tenantID, in.CompanyIDs, in.RoleIDs, in.ManagerID)
	if err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{TenantID: tenantID, Email: email, Name: name, Locale: locale, Active: true, Superuser: in.Superuser,
		CompanyIDs: companies, RoleIDs: roles, EmailNotifications: in.EmailNotifications == nil || *in.EmailNotifications}
	if in.ManagerID != nil && *in.ManagerID != 0 {
		m := *in.ManagerID
		u.ManagerID = &m
	}
	if err := s.store.UserCreate(ctx, &u, hash); err != nil {
		return User{}, emailConflict(err)
	}
	s.log.Info().Int64("tenant", tenantID).Int64("user", u.ID).Msg("user created")
	return u, nil
}

// UserGet returns a user of a tenant: admins see every user, members
// themselves and the active users the directory lets them find (the
// company rule). Errors: EUnauthenticated, ENotFound.
func (s *DirectoryService) UserGet(ctx context.Context, tenantID, id int64) (User, error) {
	p, err := s.memberOf(ctx, tenantID)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.UserGet(ctx, tenantID, id)
	if err != nil {
		return User{}, err
	}
	if p.Superuser || p.TenantAdmin() || u.ID == p.UserID {
		return u, nil
	}
	if !u.Active {
		return User{}, NotFound("user")
	}
	// The company rule of the directory holds for single users too.
	f, err := loadTenantFacts(ctx, s.store, tenantID)
	if err != nil {
		return User{}, err
	}
	if !f.findable(p, u) {
		return User{}, NotFound("user")
	}
	return u, nil
}

// UserByEmail finds a user by email: operators in any tenant, everyone
// else in their own. Errors: EUnauthenticated, ENotFound, EInvalid.
func (s *DirectoryService) UserByEmail(ctx context.Context, email string) (User, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return User{}, err
	}
	email, err = NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	u, _, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	if !p.Superuser && u.TenantID != p.TenantID {
		return User{}, NotFound("user")
	}
	return s.UserGet(ctx, u.TenantID, u.ID)
}

// UserList is the user directory of a tenant: admins see every user with
// any filter, members the active users. Errors: EUnauthenticated,
// ENotFound.
func (s *DirectoryService) UserList(ctx context.Context, tenantID int64, f UserFilter, page Page) ([]User, error) {
	p, err := s.memberOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !p.Superuser && !p.TenantAdmin() {
		f.ActiveOnly = true
		// The company rule: people of one's own companies and the
		// handler side only.
		if f, err = s.DirectoryScope(ctx, s.store, p, f); err != nil {
			return nil, err
		}
	}
	return s.store.UserList(ctx, tenantID, f, page.Normalize())
}

// UserUpdate changes a user. Admins change anything but may not lock
// themselves out; users may change their own name, locale and email
// notifications. Deactivating a user or changing their roles or operator
// flag ends every session of theirs. Errors: EUnauthenticated, ENotFound,
// EForbidden, EInvalid, EConflict (email in use).
func (s *DirectoryService) UserUpdate(ctx context.Context, tenantID, id int64, patch UserPatch) (User, error) {
	p, err := s.memberOf(ctx, tenantID)
	if err != nil {
		return User{}, err
	}
	if err := s.mayPatchUser(ctx, p, tenantID, id, patch); err != nil {
		return User{}, err
	}
	// Validate everything before writing anything.
	v, err := s.validUserPatch(ctx, p, tenantID, id, patch)
	if err != nil {
		return User{}, err
	}
	var u User
	var revoke bool
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		if u, err = tx.UserGet(ctx, tenantID, id); err != nil {
			return err
		}
		if u.Superuser && !p.Superuser {
			// Else a tenant admin could take over an operator's account.
			return Errorf(EForbidden, "only operators may change an operator's account")
		}
		revoke = v.apply(&u)
		return tx.UserUpdate(ctx, u)
	})
	if err != nil {
		return User{}, emailConflict(err)
	}
	if revoke {
		if err := s.revokeUserSessions(ctx, tenantID, id); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// mayPatchUser is UserUpdate's permission rule: admins change anything
// (operator rights only operators), users only their own name, locale
// and email notifications, and nobody deactivates themselves.
func (s *DirectoryService) mayPatchUser(ctx context.Context, p *Principal, tenantID, id int64, patch UserPatch) error {
	admin := p.Superuser || p.TenantAdmin()
	self := p.TenantID == tenantID && p.UserID == id
	switch {
	case admin:
	case self && patch.selfOnly():
	case self:
		return Errorf(EForbidden, "only tenant admins may change email, roles, companies, manager or status")
	default:
		if _, err := s.UserGet(ctx, tenantID, id); err != nil {
			return err
		}
		return Errorf(EForbidden, "only tenant admins may change other users")
	}
	if patch.Superuser != nil && !p.Superuser {
		return Errorf(EForbidden, "only operators may grant or remove operator rights")
	}
	if self && patch.Active != nil && !*patch.Active {
		return Errorf(EInvalid, "you cannot deactivate yourself")
	}
	return nil
}

// validatedUserPatch is a UserPatch whose values are checked and
// normalized: companies and roles exist in the tenant, the manager is
// another user of it.
type validatedUserPatch struct {
	UserPatch
	email, name, locale string
	companies, roles    []int64
}

func (s *DirectoryService) validUserPatch(ctx context.Context, p *Principal, tenantID, id int64, patch UserPatch) (validatedUserPatch, error) {
	v := validatedUserPatch{UserPatch: patch}
	var err error
	if patch.Email != nil {
		if v.email, err = NormalizeEmail(*patch.Email); err != nil {
			return v, err
		}
	}
	if patch.Name != nil {
		if v.name, err = ValidateName("name", *patch.Name, MaxNameLen); err != nil {
			return v, err
		}
	}
	if patch.Locale != nil {
		if v.locale, err = ValidateLocale(*patch.Locale); err != nil {
			return v, err
		}
	}
	var companyIDs, roleIDs []int64
	if patch.CompanyIDs != nil {
		companyIDs = *patch.CompanyIDs
	}
	if patch.RoleIDs != nil {
		roleIDs = *patch.RoleIDs
	}
	if patch.ManagerID != nil && *patch.ManagerID == id {
		return v, Errorf(EInvalid, "a user cannot be their own manager")
	}
	if v.companies, v.roles, err = checkRefs(ctx, s.store, tenantID, companyIDs, roleIDs, patch.ManagerID); err != nil {
		return v, err
	}
	self := p.TenantID == tenantID && p.UserID == id
	if self && patch.RoleIDs != nil && p.TenantAdmin() && !p.Superuser {
		return v, s.keepsOwnAdminRole(ctx, tenantID, v.roles)
	}
	return v, nil
}

// keepsOwnAdminRole refuses a tenant admin's change of their own roles
// that would drop the tenant admin role (they would lock themselves out).
func (s *DirectoryService) keepsOwnAdminRole(ctx context.Context, tenantID int64, roles []int64) error {
	all, err := s.store.RoleList(ctx, tenantID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(all, func(r Role) bool { return r.Key == RoleTenantAdmin && slices.Contains(roles, r.ID) }) {
		return Errorf(EInvalid, "you cannot remove your own tenant admin role")
	}
	return nil
}

// apply writes the patch into u and reports whether u's sessions must
// end: deactivated, or operator rights, companies or roles changed (open
// sockets hold the principal's companies and roles, which decide what it
// sees, so they must reconnect with the new ones).
func (v validatedUserPatch) apply(u *User) (revoke bool) {
	if v.Email != nil {
		u.Email = v.email
	}
	if v.Name != nil {
		u.Name = v.name
	}
	if v.Locale != nil {
		u.Locale = v.locale
	}
	if v.Active != nil {
		revoke = revoke || (u.Active && !*v.Active)
		u.Active = *v.Active
	}
	if v.Superuser != nil {
		revoke = revoke || u.Superuser != *v.Superuser
		u.Superuser = *v.Superuser
	}
	if v.CompanyIDs != nil {
		revoke = revoke || !slices.Equal(uniqueIDs(u.CompanyIDs), v.companies)
		u.CompanyIDs = v.companies
	}
	if v.RoleIDs != nil {
		revoke = revoke || !slices.Equal(uniqueIDs(u.RoleIDs), v.roles)
		u.RoleIDs = v.roles
	}
	if v.ManagerID != nil {
		u.ManagerID = nil
		if m := *v.ManagerID; m != 0 {
			u.ManagerID = &m
		}
	}
	if v.EmailNotifications != nil {
		u.EmailNotifications = *v.EmailNotifications
	}
	return revoke
}

// UserResetPassword sets a user's password (a generated one when password
// is "") and ends every session of theirs; it returns the new password.
// Admins only. Errors: EUnauthenticated, ENotFound, EForbidden, EInvalid.
func (s *DirectoryService) UserResetPassword(ctx context.Context, tenantID, id int64, password string) (string, error) {
	p, err := s.adminOf(ctx, tenantID)
	if err != nil {
		return "", err
	}
	if password == "" {
		if password, err = GeneratePassword(); err != nil {
			return "", err
		}
	}
	if err := ValidatePassword(password); err != nil {
		return "", err
	}
	target, err := s.store.UserGet(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	if target.Superuser && !p.Superuser {
		return "", Errorf(EForbidden, "only operators may reset an operator's password")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	if err := s.store.UserSetPassword(ctx, tenantID, id, hash); err != nil {
		return "", err
	}
	if err := s.revokeUserSessions(ctx, tenantID, id); err != nil {
		return "", err
	}
	s.log.Info().Int64("tenant", tenantID).Int64("user", id).Msg("password reset")
	return password, nil
}

// --- roles ---

// RoleCreate adds a tenant-defined role. Errors: EUnauthenticated,
// ENotFound, EForbidden, EInvalid.
func (s *DirectoryService) RoleCreate(ctx context.Context, tenantID int64, in RoleInput) (Role, error) {
	if _, err := s.adminOf(ctx, tenantID); err != nil {
		return Role{}, err
	}
	name, err := ValidateName("name", in.Name, MaxNameLen)
	if err != nil {
		return Role{}, err
	}
	r := Role{TenantID: tenantID, Name: name, Handler: in.Handler}
	if err := s.store.RoleCreate(ctx, &r); err != nil {
		return Role{}, err
	}
	return r, nil
}

// RoleGet returns a role of the tenant. Errors: EUnauthenticated,
// ENotFound.
func (s *DirectoryService) RoleGet(ctx context.Context, tenantID, id int64) (Role, error) {
	if _, err := s.memberOf(ctx, tenantID); err != nil {
		return Role{}, err
	}
	return s.store.RoleGet(ctx, tenantID, id)
}

// RoleList returns every role of the tenant. Errors: EUnauthenticated,
// ENotFound.
func (s *DirectoryService) RoleList(ctx context.Context, tenantID int64) ([]Role, error) {
	if _, err := s.memberOf(ctx, tenantID); err != nil {
		return nil, err
	}
	return s.store.RoleList(ctx, tenantID)
}

// RoleUpdate renames a role or changes whether it handles conversations.
// Built-in roles keep their key and handler flag. Errors: EUnauthenticated,
// ENotFound, EForbidden, EInvalid.
func (s *DirectoryService) RoleUpdate(ctx context.Context, tenantID, id int64, patch RolePatch) (Role, error) {
	if _, err := s.adminOf(ctx, tenantID); err != nil {
		return Role{}, err
	}
	var name string
	if patch.Name != nil {
		var err error
		if name, err = ValidateName("name", *patch.Name, MaxNameLen); err != nil {
			return Role{}, err
		}
	}
	var r Role
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if r, err = tx.RoleGet(ctx, tenantID, id); err != nil {
			return err
		}
		if patch.Key != nil && *patch.Key != r.Key {
			return Errorf(EInvalid, "the key of a role cannot be changed")
		}
		if patch.Handler != nil && r.Builtin() && *patch.Handler != r.Handler {
			return Errorf(EInvalid, "the handler flag of a built-in role cannot be changed")
		}
		if patch.Name != nil {
			r.Name = name
		}
		if patch.Handler != nil {
			r.Handler = *patch.Handler
		}
		return tx.RoleUpdate(ctx, r)
	})
	if err != nil {
		return Role{}, err
	}
	return r, nil
}

// RoleDelete removes a tenant-defined role; its holders lose it and their
// sessions end. Built-in roles cannot be deleted. Errors: EUnauthenticated,
// ENotFound, EForbidden, EInvalid.
func (s *DirectoryService) RoleDelete(ctx context.Context, tenantID, id int64) error {
	if _, err := s.adminOf(ctx, tenantID); err != nil {
		return err
	}
	r, err := s.store.RoleGet(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if r.Builtin() {
		return Errorf(EInvalid, "built-in roles cannot be deleted")
	}
	var holders []int64
	for page := (Page{Limit: MaxPageSize}); ; {
		users, err := s.store.UserList(ctx, tenantID, UserFilter{RoleIDs: []int64{id}}, page)
		if err != nil {
			return err
		}
		for _, u := range users {
			holders = append(holders, u.ID)
		}
		if len(users) < page.Limit {
			break
		}
		page.After = users[len(users)-1].ID
	}
	if err := s.store.RoleDelete(ctx, tenantID, id); err != nil {
		return err
	}
	for _, uid := range holders {
		if err := s.revokeUserSessions(ctx, tenantID, uid); err != nil {
			return err
		}
	}
	return nil
}

// --- bootstrap ---

// Bootstrap creates a tenant with its built-in roles and a first admin
// holding the tenant admin and employee roles. It checks no principal:
// only trusted code (first run, the CLI) calls it, never an adapter.
// Errors: EInvalid, EConflict (email in use).
func (s *DirectoryService) Bootstrap(ctx context.Context, in BootstrapInput) (Tenant, User, error) {
	tenantName, err := ValidateName("tenant name", in.TenantName, MaxNameLen)
	if err != nil {
		return Tenant{}, User{}, err
	}
	email, err := NormalizeEmail(in.AdminEmail)
	if err != nil {
		return Tenant{}, User{}, err
	}
	adminName, err := ValidateName("admin name", in.AdminName, MaxNameLen)
	if err != nil {
		return Tenant{}, User{}, err
	}
	if err := ValidatePassword(in.AdminPassword); err != nil {
		return Tenant{}, User{}, err
	}
	hash, err := HashPassword(in.AdminPassword)
	if err != nil {
		return Tenant{}, User{}, err
	}
	var t Tenant
	var u User
	err = s.store.InTx(ctx, func(tx Store) error {
		var roles map[RoleKey]Role
		var err error
		if t, roles, err = createTenant(ctx, tx, tenantName, TenantSettings{}); err != nil {
			return err
		}
		u = User{TenantID: t.ID, Email: email, Name: adminName, Locale: LocaleEnglish, Active: true,
			Superuser: in.Superuser, EmailNotifications: true,
			RoleIDs: uniqueIDs([]int64{roles[RoleTenantAdmin].ID, roles[RoleEmployee].ID})}
		return tx.UserCreate(ctx, &u, hash)
	})
	if err != nil {
		return Tenant{}, User{}, emailConflict(err)
	}
	s.log.Info().Int64("tenant", t.ID).Int64("user", u.ID).Bool("superuser", u.Superuser).Msg("tenant bootstrapped")
	return t, u, nil
}
