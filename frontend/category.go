package frontend

import (
	"net/http"

	"parley/chat"
)

// registerCategories adds the category routes: everyone lists the active
// categories; tenant admins list all (?all=1), create and replace them.
func (s *Server) registerCategories(m *http.ServeMux) {
	const p = "/api/v1/categories"
	m.Handle("GET "+p, s.authed(s.categoryList))
	m.Handle("POST "+p, s.authed(s.categoryCreate))
	m.Handle("GET "+p+"/{id}", s.authed(s.categoryGet))
	m.Handle("PUT "+p+"/{id}", s.authed(s.categoryUpdate))
}

type categoryView struct {
	ID            int64   `json:"id"`
	NameEN        string  `json:"name_en"`
	NameFI        string  `json:"name_fi"`
	RoleIDs       []int64 `json:"role_ids"`
	RetentionDays *int    `json:"retention_days"`
	Active        bool    `json:"active"`
}

func viewCategory(c chat.Category) categoryView {
	return categoryView{ID: c.ID, NameEN: c.NameEN, NameFI: c.NameFI, RoleIDs: nonNil(c.RoleIDs),
		RetentionDays: c.RetentionDays, Active: c.Active}
}

func (s *Server) categoryList(w http.ResponseWriter, r *http.Request) error {
	all := false
	switch r.URL.Query().Get("all") {
	case "", "0", "false":
	case "1", "true":
		all = true
	default:
		return chat.Errorf(chat.EInvalid, "all must be true or false")
	}
	cs, err := s.conversations.Categories(r.Context(), all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, allItems(cs, viewCategory))
	return nil
}

func (s *Server) categoryCreate(w http.ResponseWriter, r *http.Request) error {
	id := func(c chat.Category) int64 { return c.ID }
	return createItem(s.conversations.CreateCategory, id, viewCategory)(w, r)
}

func (s *Server) categoryGet(w http.ResponseWriter, r *http.Request) error {
	return answerItem("category", s.conversations.Category, viewCategory)(w, r)
}

func (s *Server) categoryUpdate(w http.ResponseWriter, r *http.Request) error {
	return updateItem("category", s.conversations.UpdateCategory, viewCategory)(w, r)
}
