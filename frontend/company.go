package frontend

import (
	"net/http"
)

type companyRequest struct {
	Name string `json:"name"`
}

func (s *Server) companyList(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	cs, err := s.directory.CompanyList(r.Context(), tid, page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cs, page, companyID, viewCompany))
	return nil
}

func (s *Server) companyCreate(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	var req companyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.directory.CompanyCreate(r.Context(), tid, req.Name)
	if err != nil {
		return err
	}
	writeCreated(w, r, c.ID, viewCompany(c))
	return nil
}

func (s *Server) companyGet(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "company")
	if err != nil {
		return err
	}
	c, err := s.directory.CompanyGet(r.Context(), tid, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCompany(c))
	return nil
}

func (s *Server) companyUpdate(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "company")
	if err != nil {
		return err
	}
	var req companyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.directory.CompanyUpdate(r.Context(), tid, id, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCompany(c))
	return nil
}
