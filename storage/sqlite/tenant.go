package sqlite

import (
	"context"
	"encoding/json"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func toTenant(r db.Tenant) (chat.Tenant, error) {
	t := chat.Tenant{ID: r.ID, Name: r.Name, CreatedAt: fromMicros(r.CreatedAt)}
	if err := json.Unmarshal([]byte(r.Settings), &t.Settings); err != nil {
		return chat.Tenant{}, chat.Internal(err, "decode tenant settings")
	}
	return t, nil
}

func settingsJSON(s chat.TenantSettings) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", chat.Internal(err, "encode tenant settings")
	}
	return string(b), nil
}

func (s *Store) TenantCreate(ctx context.Context, t *chat.Tenant) error {
	settings, err := settingsJSON(t.Settings)
	if err != nil {
		return err
	}
	created := orNow(t.CreatedAt)
	id, err := s.write.TenantInsert(ctx, db.TenantInsertParams{Name: t.Name, Settings: settings, CreatedAt: micros(created)})
	if err != nil {
		return translate(err, "tenant")
	}
	t.ID, t.CreatedAt = id, created
	return nil
}

func (s *Store) TenantGet(ctx context.Context, id int64) (chat.Tenant, error) {
	r, err := s.read.TenantGet(ctx, id)
	if err != nil {
		return chat.Tenant{}, translate(err, "tenant")
	}
	return toTenant(r)
}

func (s *Store) TenantList(ctx context.Context, page chat.Page) ([]chat.Tenant, error) {
	page = page.Normalize()
	return tryList("tenants", toTenant)(s.read.TenantList(ctx, db.TenantListParams{After: page.After, Lim: int64(page.Limit)}))
}

func (s *Store) TenantUpdate(ctx context.Context, t chat.Tenant) error {
	settings, err := settingsJSON(t.Settings)
	if err != nil {
		return err
	}
	return mustAffect("tenant")(s.write.TenantUpdate(ctx, db.TenantUpdateParams{ID: t.ID, Name: t.Name, Settings: settings}))
}

func (s *Store) TenantCount(ctx context.Context) (int64, error) {
	n, err := s.read.TenantCount(ctx)
	return n, translate(err, "tenants")
}

func toCompany(r db.Company) chat.Company {
	return chat.Company{ID: r.ID, TenantID: r.TenantID, Name: r.Name, CreatedAt: fromMicros(r.CreatedAt)}
}

func (s *Store) CompanyCreate(ctx context.Context, c *chat.Company) error {
	created := orNow(c.CreatedAt)
	id, err := s.write.CompanyInsert(ctx, db.CompanyInsertParams{TenantID: c.TenantID, Name: c.Name, CreatedAt: micros(created)})
	if err != nil {
		return translate(err, "company")
	}
	c.ID, c.CreatedAt = id, created
	return nil
}

func (s *Store) CompanyGet(ctx context.Context, tenantID, id int64) (chat.Company, error) {
	return one("company", toCompany)(s.read.CompanyGet(ctx, db.CompanyGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) CompanyList(ctx context.Context, tenantID int64, page chat.Page) ([]chat.Company, error) {
	page = page.Normalize()
	return list("companies", toCompany)(s.read.CompanyList(ctx, db.CompanyListParams{TenantID: tenantID, After: page.After, Lim: int64(page.Limit)}))
}

func (s *Store) CompanyUpdate(ctx context.Context, c chat.Company) error {
	return mustAffect("company")(s.write.CompanyUpdate(ctx, db.CompanyUpdateParams{TenantID: c.TenantID, ID: c.ID, Name: c.Name}))
}

func toRole(r db.Role) chat.Role {
	return chat.Role{ID: r.ID, TenantID: r.TenantID, Key: chat.RoleKey(r.Key), Name: r.Name, Handler: r.Handler}
}

func (s *Store) RoleCreate(ctx context.Context, r *chat.Role) error {
	id, err := s.write.RoleInsert(ctx, db.RoleInsertParams{TenantID: r.TenantID, Key: string(r.Key), Name: r.Name, Handler: r.Handler})
	if err != nil {
		return translate(err, "role")
	}
	r.ID = id
	return nil
}

func (s *Store) RoleGet(ctx context.Context, tenantID, id int64) (chat.Role, error) {
	return one("role", toRole)(s.read.RoleGet(ctx, db.RoleGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) RoleList(ctx context.Context, tenantID int64) ([]chat.Role, error) {
	return list("roles", toRole)(s.read.RoleList(ctx, tenantID))
}

// RoleUpdate saves name and handler; the key never changes.
func (s *Store) RoleUpdate(ctx context.Context, r chat.Role) error {
	return mustAffect("role")(s.write.RoleUpdate(ctx, db.RoleUpdateParams{
		TenantID: r.TenantID, ID: r.ID, Name: r.Name, Handler: r.Handler,
	}))
}

// RoleDelete removes a tenant-defined role; built-in roles stay (EInvalid).
func (s *Store) RoleDelete(ctx context.Context, tenantID, id int64) error {
	return s.inTx(ctx, func(ts *Store) error {
		r, err := ts.RoleGet(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if r.Builtin() {
			return chat.Errorf(chat.EInvalid, "built-in role %q cannot be deleted", r.Key)
		}
		return mustAffect("role")(ts.write.RoleDelete(ctx, db.RoleDeleteParams{TenantID: tenantID, ID: id}))
	})
}
