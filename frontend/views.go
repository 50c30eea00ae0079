package frontend

import (
	"time"

	"parley/chat"
)

// The API's JSON shapes. They are declared here, apart from the domain
// types, so that the wire format stays stable when chat changes.

type userView struct {
	ID                 int64     `json:"id"`
	TenantID           int64     `json:"tenant_id"`
	Email              string    `json:"email"`
	Name               string    `json:"name"`
	Locale             string    `json:"locale"`
	Active             bool      `json:"active"`
	Superuser          bool      `json:"superuser"`
	CompanyIDs         []int64   `json:"company_ids"`
	RoleIDs            []int64   `json:"role_ids"`
	ManagerID          *int64    `json:"manager_id"`
	EmailNotifications bool      `json:"email_notifications"`
	CreatedAt          time.Time `json:"created_at"`
}

func viewUser(u chat.User) userView {
	return userView{ID: u.ID, TenantID: u.TenantID, Email: u.Email, Name: u.Name, Locale: u.Locale, Active: u.Active,
		Superuser: u.Superuser, CompanyIDs: nonNil(u.CompanyIDs), RoleIDs: nonNil(u.RoleIDs), ManagerID: u.ManagerID,
		EmailNotifications: u.EmailNotifications, CreatedAt: u.CreatedAt}
}

type tenantView struct {
	ID        int64               `json:"id"`
	Name      string              `json:"name"`
	Settings  chat.TenantSettings `json:"settings"`
	CreatedAt time.Time           `json:"created_at"`
}

func viewTenant(t chat.Tenant) tenantView {
	return tenantView{ID: t.ID, Name: t.Name, Settings: t.Settings, CreatedAt: t.CreatedAt}
}

type companyView struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func viewCompany(c chat.Company) companyView {
	return companyView{ID: c.ID, TenantID: c.TenantID, Name: c.Name, CreatedAt: c.CreatedAt}
}

type roleView struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"tenant_id"`
	Key      string `json:"key"`
	Name     string `json:"name"`
	Handler  bool   `json:"handler"`
	Builtin  bool   `json:"builtin"`
}

func viewRole(r chat.Role) roleView {
	return roleView{ID: r.ID, TenantID: r.TenantID, Key: string(r.Key), Name: r.Name, Handler: r.Handler, Builtin: r.Builtin()}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func userID(u chat.User) int64       { return u.ID }
func tenantID(t chat.Tenant) int64   { return t.ID }
func companyID(c chat.Company) int64 { return c.ID }
func roleID(r chat.Role) int64       { return r.ID }
