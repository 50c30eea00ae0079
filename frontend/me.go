package frontend

import (
	"context"
	"net/http"
	"slices"

	"parley/chat"
)

// meDocument is what the caller knows about itself after login.
type meDocument struct {
	User   userView   `json:"user"`
	Tenant tenantView `json:"tenant"`
	// Roles are the roles the user holds.
	Roles []roleView `json:"roles"`
	// TenantAdmin tells the UI to show administration.
	TenantAdmin bool `json:"tenant_admin"`
}

func (s *Server) meDoc(ctx context.Context) (meDocument, error) {
	u, err := s.directory.Me(ctx)
	if err != nil {
		return meDocument{}, err
	}
	t, err := s.directory.TenantGet(ctx, u.TenantID)
	if err != nil {
		return meDocument{}, err
	}
	roles, err := s.directory.RoleList(ctx, u.TenantID)
	if err != nil {
		return meDocument{}, err
	}
	doc := meDocument{User: viewUser(u), Tenant: viewTenant(t), Roles: []roleView{},
		TenantAdmin: chat.PrincipalFrom(ctx).TenantAdmin()}
	for _, r := range roles {
		if slices.Contains(u.RoleIDs, r.ID) {
			doc.Roles = append(doc.Roles, viewRole(r))
		}
	}
	return doc, nil
}

// me answers who the caller is.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.meDoc(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// meUpdateRequest holds what users change about themselves.
type meUpdateRequest struct {
	Name               *string `json:"name"`
	Locale             *string `json:"locale"`
	EmailNotifications *bool   `json:"email_notifications"`
}

func (s *Server) meUpdate(w http.ResponseWriter, r *http.Request) error {
	var req meUpdateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p := chat.PrincipalFrom(r.Context())
	u, err := s.directory.UserUpdate(r.Context(), p.TenantID, p.UserID,
		chat.UserPatch{Name: req.Name, Locale: req.Locale, EmailNotifications: req.EmailNotifications})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// mePassword changes the caller's password; every session of theirs ends,
// this one included, so the client logs in again.
func (s *Server) mePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordChangeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.sessions.ChangePassword(r.Context(), req.CurrentPassword, req.NewPassword); err != nil {
		if chat.IsCode(err, chat.EUnauthenticated) {
			// A wrong current password is bad input, not a lost session.
			return chat.Errorf(chat.EInvalid, "%s", chat.ErrorMessage(err))
		}
		return err
	}
	s.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
