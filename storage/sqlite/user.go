package sqlite

import (
	"context"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

// userRow is the shape every user query returns.
type userRow = db.UserGetRow

func toUser(r userRow) (chat.User, error) {
	u := chat.User{
		ID:                 r.User.ID,
		TenantID:           r.User.TenantID,
		Email:              r.User.Email,
		Name:               r.User.Name,
		Locale:             r.User.Locale,
		Active:             r.User.Active,
		Superuser:          r.User.Superuser,
		ManagerID:          r.User.ManagerID,
		EmailNotifications: r.User.EmailNotifications,
		CreatedAt:          fromMicros(r.User.CreatedAt),
	}
	var err error
	if u.CompanyIDs, err = parseIDs(r.CompanyIds); err != nil {
		return chat.User{}, chat.Internal(err, "user companies")
	}
	if u.RoleIDs, err = parseIDs(r.RoleIds); err != nil {
		return chat.User{}, chat.Internal(err, "user roles")
	}
	return u, nil
}

// UserCreate inserts the user with its companies and roles. A company,
// role or manager of another tenant is ENotFound.
func (s *Store) UserCreate(ctx context.Context, u *chat.User, passwordHash string) error {
	created := orNow(u.CreatedAt)
	return s.inTx(ctx, func(ts *Store) error {
		if err := ts.checkManager(ctx, u.TenantID, u.ManagerID); err != nil {
			return err
		}
		id, err := ts.write.UserInsert(ctx, db.UserInsertParams{
			TenantID:           u.TenantID,
			Email:              u.Email,
			Name:               u.Name,
			Locale:             u.Locale,
			Active:             u.Active,
			Superuser:          u.Superuser,
			ManagerID:          nonZero(u.ManagerID),
			EmailNotifications: u.EmailNotifications,
			PasswordHash:       passwordHash,
			CreatedAt:          micros(created),
		})
		if err != nil {
			return translate(err, "user")
		}
		if err := ts.userSetLinks(ctx, u.TenantID, id, u.CompanyIDs, u.RoleIDs); err != nil {
			return err
		}
		u.ID, u.CreatedAt = id, created
		return nil
	})
}

// checkManager answers ENotFound for a manager outside the tenant (the
// column's foreign key alone does not know tenants).
func (s *Store) checkManager(ctx context.Context, tenantID int64, managerID *int64) error {
	if managerID == nil || *managerID == 0 {
		return nil
	}
	if _, err := s.read.UserGet(ctx, db.UserGetParams{TenantID: tenantID, ID: *managerID}); err != nil {
		return translate(err, "manager")
	}
	return nil
}

func (s *Store) userSetLinks(ctx context.Context, tenantID, userID int64, companyIDs, roleIDs []int64) error {
	if len(companyIDs) > 0 {
		if err := s.write.UserCompaniesInsert(ctx, db.UserCompaniesInsertParams{TenantID: tenantID, UserID: userID, CompanyIds: idsJSON(companyIDs)}); err != nil {
			return translate(err, "company")
		}
	}
	if len(roleIDs) > 0 {
		if err := s.write.UserRolesInsert(ctx, db.UserRolesInsertParams{TenantID: tenantID, UserID: userID, RoleIds: idsJSON(roleIDs)}); err != nil {
			return translate(err, "role")
		}
	}
	return nil
}

func (s *Store) UserGet(ctx context.Context, tenantID, id int64) (chat.User, error) {
	r, err := s.read.UserGet(ctx, db.UserGetParams{TenantID: tenantID, ID: id})
	if err != nil {
		return chat.User{}, translate(err, "user")
	}
	return toUser(r)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (chat.User, string, error) {
	r, err := s.read.UserByEmail(ctx, email)
	if err != nil {
		return chat.User{}, "", translate(err, "user")
	}
	u, err := toUser(userRow(r))
	if err != nil {
		return chat.User{}, "", err
	}
	return u, r.User.PasswordHash, nil
}

func (s *Store) UserList(ctx context.Context, tenantID int64, f chat.UserFilter, page chat.Page) ([]chat.User, error) {
	page = page.Normalize()
	return tryList("users", func(r db.UserListRow) (chat.User, error) {
		return toUser(userRow(r))
	})(s.read.UserList(ctx, db.UserListParams{
		TenantID:   tenantID,
		After:      page.After,
		CompanyIds: idsJSON(f.CompanyIDs),
		OrHandlers: f.OrHandlers,
		RoleIds:    idsJSON(f.RoleIDs),
		Query:      f.Query,
		ActiveOnly: f.ActiveOnly,
		Ids:        idsJSON(f.IDs),
		Lim:        int64(page.Limit),
	}))
}

func (s *Store) UserUpdate(ctx context.Context, u chat.User) error {
	return s.inTx(ctx, func(ts *Store) error {
		if err := ts.checkManager(ctx, u.TenantID, u.ManagerID); err != nil {
			return err
		}
		n, err := ts.write.UserUpdate(ctx, db.UserUpdateParams{
			TenantID:           u.TenantID,
			ID:                 u.ID,
			Email:              u.Email,
			Name:               u.Name,
			Locale:             u.Locale,
			Active:             u.Active,
			Superuser:          u.Superuser,
			ManagerID:          nonZero(u.ManagerID),
			EmailNotifications: u.EmailNotifications,
		})
		if err != nil {
			return translate(err, "user")
		}
		if err := mustAffect("user")(n, nil); err != nil {
			return err
		}
		if err := ts.write.UserCompaniesDelete(ctx, db.UserCompaniesDeleteParams{TenantID: u.TenantID, UserID: u.ID}); err != nil {
			return translate(err, "user companies")
		}
		if err := ts.write.UserRolesDelete(ctx, db.UserRolesDeleteParams{TenantID: u.TenantID, UserID: u.ID}); err != nil {
			return translate(err, "user roles")
		}
		return ts.userSetLinks(ctx, u.TenantID, u.ID, u.CompanyIDs, u.RoleIDs)
	})
}

func (s *Store) UserSetPassword(ctx context.Context, tenantID, id int64, passwordHash string) error {
	return mustAffect("user")(s.write.UserSetPassword(ctx, db.UserSetPasswordParams{TenantID: tenantID, ID: id, PasswordHash: passwordHash}))
}

func (s *Store) UserCount(ctx context.Context) (int64, error) {
	n, err := s.read.UserCount(ctx)
	return n, translate(err, "users")
}
