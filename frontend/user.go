package frontend

import (
	"net/http"
	"strconv"

	"parley/chat"
)

// userFilter reads the directory's query: ?q= (name or email), ?company=,
// ?role= (ids, repeated or comma-separated) and ?active=true.
func userFilter(r *http.Request) (chat.UserFilter, error) {
	var f chat.UserFilter
	var err error
	q := r.URL.Query()
	f.Query = q.Get("q")
	if len(f.Query) > chat.MaxNameLen {
		return f, chat.Errorf(chat.EInvalid, "q is longer than %d characters", chat.MaxNameLen)
	}
	if f.CompanyIDs, err = idsOf(r, "company"); err != nil {
		return f, err
	}
	if f.RoleIDs, err = idsOf(r, "role"); err != nil {
		return f, err
	}
	if v := q.Get("active"); v != "" {
		if f.ActiveOnly, err = strconv.ParseBool(v); err != nil {
			return f, chat.Errorf(chat.EInvalid, "active must be true or false")
		}
	}
	return f, nil
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request) error {
	tid, err := tenantOf(r)
	if err != nil {
		return err
	}
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	f, err := userFilter(r)
	if err != nil {
		return err
	}
	us, err := s.directory.UserList(r.Context(), tid, f, page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(us, page, userID, viewUser))
	return nil
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) error {
	return createTenantItem(s.directory.UserCreate, userID, viewUser)(w, r)
}

func (s *Server) userGet(w http.ResponseWriter, r *http.Request) error {
	return getTenantItem("user", s.directory.UserGet, viewUser)(w, r)
}

func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request) error {
	return updateTenantItem("user", s.directory.UserUpdate, viewUser)(w, r)
}

type passwordResetRequest struct {
	// Password is the new password; empty generates one.
	Password string `json:"password"`
}

type passwordResetResponse struct {
	Password string `json:"password"`
}

// userResetPassword sets a user's password and ends their sessions. A
// generated password is answered once, in the response.
func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request) error {
	tid, id, err := tenantItem(r, "user")
	if err != nil {
		return err
	}
	var req passwordResetRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	pw, err := s.directory.UserResetPassword(r.Context(), tid, id, req.Password)
	if err != nil {
		return err
	}
	if req.Password != "" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, passwordResetResponse{Password: pw})
	return nil
}
