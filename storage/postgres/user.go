package postgres

import (
	"context"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

// UserCreate inserts u with its companies and roles in one transaction.
func (s *Store) UserCreate(ctx context.Context, u *chat.User, passwordHash string) error {
	createdAt := orNow(u.CreatedAt)
	return s.inTx(ctx, func(tx *Store) error {
		id, err := tx.q.UserInsert(ctx, db.UserInsertParams{
			TenantID:           u.TenantID,
			Email:              u.Email,
			Name:               u.Name,
			Locale:             u.Locale,
			Active:             u.Active,
			Superuser:          u.Superuser,
			ManagerID:          u.ManagerID,
			EmailNotifications: u.EmailNotifications,
			PasswordHash:       passwordHash,
			CreatedAt:          createdAt,
		})
		if err != nil {
			return translate(err, "user")
		}
		if err := tx.setUserLinks(ctx, u.TenantID, id, u.CompanyIDs, u.RoleIDs, false); err != nil {
			return err
		}
		u.ID, u.CreatedAt = id, createdAt
		return nil
	})
}

// setUserLinks stores the user's companies and roles, replacing old ones
// when replace.
func (s *Store) setUserLinks(ctx context.Context, tenantID, userID int64, companyIDs, roleIDs []int64, replace bool) error {
	if replace {
		if err := s.q.UserCompaniesDelete(ctx, db.UserCompaniesDeleteParams{TenantID: tenantID, UserID: userID}); err != nil {
			return translate(err, "user companies")
		}
		if err := s.q.UserRolesDelete(ctx, db.UserRolesDeleteParams{TenantID: tenantID, UserID: userID}); err != nil {
			return translate(err, "user roles")
		}
	}
	if len(companyIDs) > 0 {
		if err := s.q.UserCompaniesInsert(ctx, db.UserCompaniesInsertParams{TenantID: tenantID, UserID: userID, CompanyIds: companyIDs}); err != nil {
			return translate(err, "company")
		}
	}
	if len(roleIDs) > 0 {
		if err := s.q.UserRolesInsert(ctx, db.UserRolesInsertParams{TenantID: tenantID, UserID: userID, RoleIds: roleIDs}); err != nil {
			return translate(err, "role")
		}
	}
	return nil
}

func (s *Store) UserGet(ctx context.Context, tenantID, id int64) (chat.User, error) {
	return one("user", toUser)(s.q.UserGet(ctx, db.UserGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) UserByEmail(ctx context.Context, email string) (chat.User, string, error) {
	r, err := s.q.UserByEmail(ctx, email)
	if err != nil {
		return chat.User{}, "", translate(err, "user")
	}
	u := toUser(db.UserGetRow{
		ID: r.ID, TenantID: r.TenantID, Email: r.Email, Name: r.Name, Locale: r.Locale,
		Active: r.Active, Superuser: r.Superuser, ManagerID: r.ManagerID,
		EmailNotifications: r.EmailNotifications, CreatedAt: r.CreatedAt,
		CompanyIds: r.CompanyIds, RoleIds: r.RoleIds,
	})
	return u, r.PasswordHash, nil
}

func (s *Store) UserList(ctx context.Context, tenantID int64, f chat.UserFilter, p chat.Page) ([]chat.User, error) {
	after, lim := page(p)
	return list("users", func(r db.UserListRow) chat.User {
		return toUser(db.UserGetRow(r))
	})(s.q.UserList(ctx, db.UserListParams{
		TenantID:   tenantID,
		After:      after,
		CompanyIds: nonNil(f.CompanyIDs),
		OrHandlers: f.OrHandlers,
		RoleIds:    nonNil(f.RoleIDs),
		Query:      f.Query,
		ActiveOnly: f.ActiveOnly,
		Ids:        nonNil(f.IDs),
		Lim:        lim,
	}))
}

func (s *Store) UserUpdate(ctx context.Context, u chat.User) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.q.UserUpdate(ctx, db.UserUpdateParams{
			TenantID:           u.TenantID,
			ID:                 u.ID,
			Email:              u.Email,
			Name:               u.Name,
			Locale:             u.Locale,
			Active:             u.Active,
			Superuser:          u.Superuser,
			ManagerID:          u.ManagerID,
			EmailNotifications: u.EmailNotifications,
		})
		if err := mustAffect("user")(n, err); err != nil {
			return err
		}
		return tx.setUserLinks(ctx, u.TenantID, u.ID, u.CompanyIDs, u.RoleIDs, true)
	})
}

func (s *Store) UserSetPassword(ctx context.Context, tenantID, id int64, passwordHash string) error {
	n, err := s.q.UserSetPassword(ctx, db.UserSetPasswordParams{TenantID: tenantID, ID: id, PasswordHash: passwordHash})
	return mustAffect("user")(n, err)
}

func (s *Store) UserCount(ctx context.Context) (int64, error) {
	n, err := s.q.UserCount(ctx)
	return n, translate(err, "users")
}

func toUser(r db.UserGetRow) chat.User {
	return chat.User{
		ID:                 r.ID,
		TenantID:           r.TenantID,
		Email:              r.Email,
		Name:               r.Name,
		Locale:             r.Locale,
		Active:             r.Active,
		Superuser:          r.Superuser,
		CompanyIDs:         nilIfEmpty(r.CompanyIds),
		RoleIDs:            nilIfEmpty(r.RoleIds),
		ManagerID:          r.ManagerID,
		EmailNotifications: r.EmailNotifications,
		CreatedAt:          r.CreatedAt,
	}
}
