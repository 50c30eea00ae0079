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
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	var in chat.RoleInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	role, err := s.directory.RoleCreate(r.Context(), tid, in)
	if err != nil {
		return err
	}
	writeCreated(w, r, role.ID, viewRole(role))
	return nil
}

func (s *Server) roleGet(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "role")
	if err != nil {
		return err
	}
	role, err := s.directory.RoleGet(r.Context(), tid, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRole(role))
	return nil
}

func (s *Server) roleUpdate(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "role")
	if err != nil {
		return err
	}
	var patch chat.RolePatch
	if err := decodeJSON(w, r, &patch); err != nil {
		return err
	}
	role, err := s.directory.RoleUpdate(r.Context(), tid, id, patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRole(role))
	return nil
}

func (s *Server) roleDelete(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "role")
	if err != nil {
		return err
	}
	if err := s.directory.RoleDelete(r.Context(), tid, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
