package frontend

import (
	"net/http"

	"parley/chat"
)

// tenantOwn answers the caller's own tenant.
func (s *Server) tenantOwn(w http.ResponseWriter, r *http.Request) error {
	t, err := s.directory.TenantGet(r.Context(), chat.PrincipalFrom(r.Context()).TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTenant(t))
	return nil
}

func (s *Server) tenantList(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	ts, err := s.directory.TenantList(r.Context(), page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ts, page, tenantID, viewTenant))
	return nil
}

func (s *Server) tenantCreate(w http.ResponseWriter, r *http.Request) error {
	var in chat.TenantInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.directory.TenantCreate(r.Context(), in)
	if err != nil {
		return err
	}
	writeCreated(w, r, t.ID, viewTenant(t))
	return nil
}

func (s *Server) tenantGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	t, err := s.directory.TenantGet(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTenant(t))
	return nil
}

func (s *Server) tenantUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	var patch chat.TenantPatch
	if err := decodeJSON(w, r, &patch); err != nil {
		return err
	}
	t, err := s.directory.TenantUpdate(r.Context(), id, patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTenant(t))
	return nil
}
