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
	return listItems(s.directory.TenantList, tenantID, viewTenant)(w, r)
}

func (s *Server) tenantCreate(w http.ResponseWriter, r *http.Request) error {
	return createItem(s.directory.TenantCreate, tenantID, viewTenant)(w, r)
}

func (s *Server) tenantGet(w http.ResponseWriter, r *http.Request) error {
	return answerItem("tenant", s.directory.TenantGet, viewTenant)(w, r)
}

func (s *Server) tenantUpdate(w http.ResponseWriter, r *http.Request) error {
	return updateItem("tenant", s.directory.TenantUpdate, viewTenant)(w, r)
}
