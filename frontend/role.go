package frontend

import (
	"net/http"

	"parley/chat"
)

// roleList answers every role of the tenant in one page: a tenant has few.
func (s *Server) roleList(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	rs, err := s.directory.RoleList(r.Context(), tid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(rs, chat.Page{}, roleID, viewRole))
	return nil
}

func (s *Server) roleCreate(w http.ResponseWriter, r *http.Request) error {
	return createTenantItem(s.directory.RoleCreate, roleID, viewRole)(w, r)
}

func (s *Server) roleGet(w http.ResponseWriter, r *http.Request) error {
	return getTenantItem("role", s.directory.RoleGet, viewRole)(w, r)
}

func (s *Server) roleUpdate(w http.ResponseWriter, r *http.Request) error {
	return updateTenantItem("role", s.directory.RoleUpdate, viewRole)(w, r)
}

func (s *Server) roleDelete(w http.ResponseWriter, r *http.Request) error {
	return actOnTenantItem("role", s.directory.RoleDelete)(w, r)
}
