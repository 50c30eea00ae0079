package postgres

import (
	"context"
	"encoding/json"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

func (s *Store) TenantCreate(ctx context.Context, t *chat.Tenant) error {
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return chat.Internal(err, "encode tenant settings")
	}
	createdAt := orNow(t.CreatedAt)
	id, err := s.q.TenantInsert(ctx, db.TenantInsertParams{Name: t.Name, Settings: settings, CreatedAt: createdAt})
	if err != nil {
		return translate(err, "tenant")
	}
	t.ID, t.CreatedAt = id, createdAt
	return nil
}

func (s *Store) TenantGet(ctx context.Context, id int64) (chat.Tenant, error) {
	r, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return chat.Tenant{}, translate(err, "tenant")
	}
	return toTenant(r)
}

func (s *Store) TenantList(ctx context.Context, p chat.Page) ([]chat.Tenant, error) {
	after, lim := page(p)
	return tryList("tenants", toTenant)(s.q.TenantList(ctx, db.TenantListParams{After: after, Lim: lim}))
}

func (s *Store) TenantUpdate(ctx context.Context, t chat.Tenant) error {
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return chat.Internal(err, "encode tenant settings")
	}
	n, err := s.q.TenantUpdate(ctx, db.TenantUpdateParams{ID: t.ID, Name: t.Name, Settings: settings})
	return mustAffect("tenant")(n, err)
}

func (s *Store) TenantCount(ctx context.Context) (int64, error) {
	n, err := s.q.TenantCount(ctx)
	return n, translate(err, "tenants")
}

func toTenant(r db.Tenant) (chat.Tenant, error) {
	t := chat.Tenant{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
	if err := json.Unmarshal(r.Settings, &t.Settings); err != nil {
		return chat.Tenant{}, chat.Internal(err, "decode tenant settings")
	}
	return t, nil
}

func (s *Store) CompanyCreate(ctx context.Context, c *chat.Company) error {
	createdAt := orNow(c.CreatedAt)
	id, err := s.q.CompanyInsert(ctx, db.CompanyInsertParams{TenantID: c.TenantID, Name: c.Name, CreatedAt: createdAt})
	if err != nil {
		return translate(err, "company")
	}
	c.ID, c.CreatedAt = id, createdAt
	return nil
}

func (s *Store) CompanyGet(ctx context.Context, tenantID, id int64) (chat.Company, error) {
	return one("company", toCompany)(s.q.CompanyGet(ctx, db.CompanyGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) CompanyList(ctx context.Context, tenantID int64, p chat.Page) ([]chat.Company, error) {
	after, lim := page(p)
	return list("companies", toCompany)(s.q.CompanyList(ctx, db.CompanyListParams{TenantID: tenantID, After: after, Lim: lim}))
}

func (s *Store) CompanyUpdate(ctx context.Context, c chat.Company) error {
	n, err := s.q.CompanyUpdate(ctx, db.CompanyUpdateParams{TenantID: c.TenantID, ID: c.ID, Name: c.Name})
	return mustAffect("company")(n, err)
}

func (s *Store) RoleCreate(ctx context.Context, r *chat.Role) error {
	id, err := s.q.RoleInsert(ctx, db.RoleInsertParams{TenantID: r.TenantID, Key: string(r.Key), Name: r.Name, Handler: r.Handler})
	if err != nil {
		return translate(err, "role")
	}
	r.ID = id
	return nil
}

func (s *Store) RoleGet(ctx context.Context, tenantID, id int64) (chat.Role, error) {
	return one("role", toRole)(s.q.RoleGet(ctx, db.RoleGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) RoleList(ctx context.Context, tenantID int64) ([]chat.Role, error) {
	return list("roles", toRole)(s.q.RoleList(ctx, tenantID))
}

// RoleUpdate saves name and handler; a role's key never changes.
func (s *Store) RoleUpdate(ctx context.Context, r chat.Role) error {
	n, err := s.q.RoleUpdate(ctx, db.RoleUpdateParams{TenantID: r.TenantID, ID: r.ID, Name: r.Name, Handler: r.Handler})
	return mustAffect("role")(n, err)
}

// RoleDelete removes a tenant-defined role; a built-in role is EInvalid.
func (s *Store) RoleDelete(ctx context.Context, tenantID, id int64) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.q.RoleDelete(ctx, db.RoleDeleteParams{TenantID: tenantID, ID: id})
		if err != nil {
			return translate(err, "role")
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.RoleGet(ctx, tenantID, id); err != nil {
			return err
		}
		return errorf(chat.EInvalid, "built-in roles cannot be deleted")
	})
}

func toRole(r db.Role) chat.Role {
	return chat.Role{ID: r.ID, TenantID: r.TenantID, Key: chat.RoleKey(r.Key), Name: r.Name, Handler: r.Handler}
}

// toCompany converts a company row; the two have the same fields.
func toCompany(r db.Company) chat.Company { return chat.Company(r) }
