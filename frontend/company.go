package frontend

import (
	"context"
	"net/http"

	"parley/chat"
)

type companyRequest struct {
	Name string `json:"name"`
}

func (s *Server) companyList(w http.ResponseWriter, r *http.Request) error {
	return listTenantItems(s.directory.CompanyList, companyID, viewCompany)(w, r)
}

func (s *Server) companyCreate(w http.ResponseWriter, r *http.Request) error {
	create := func(ctx context.Context, tenantID int64, req companyRequest) (chat.Company, error) {
		return s.directory.CompanyCreate(ctx, tenantID, req.Name)
	}
	return createTenantItem(create, companyID, viewCompany)(w, r)
}

func (s *Server) companyGet(w http.ResponseWriter, r *http.Request) error {
	return getTenantItem("company", s.directory.CompanyGet, viewCompany)(w, r)
}

func (s *Server) companyUpdate(w http.ResponseWriter, r *http.Request) error {
	update := func(ctx context.Context, tenantID, id int64, req companyRequest) (chat.Company, error) {
		return s.directory.CompanyUpdate(ctx, tenantID, id, req.Name)
	}
	return updateTenantItem("company", update, viewCompany)(w, r)
}
