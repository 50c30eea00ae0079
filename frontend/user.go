package frontend

import (
	"context"
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
	f, err := userFilter(r)
	if err != nil {
		return err
	}
	list := func(ctx context.Context, tenantID int64, page chat.Page) ([]chat.User, error) {
		return s.directory.UserList(ctx, tenantID, f, page)
	}
	return listTenantItems(list, userID, viewUser)(w, r)
}

// maxNameIDs bounds one ?ids= question of userNames.
const maxNameIDs = 200

type userNameView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Avatar is the version of the person's avatar
	// (GET /api/v1/users/{id}/avatar?v=), absent when they have none.
	Avatar int64 `json:"avatar,omitempty"`
}

// userNames answers ?ids=1,2,3 with the names and avatars the caller may
// see (chat.DirectoryService.UserCards); the others are left out.
func (s *Server) userNames(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsOf(r, "ids")
	if err != nil {
		return err
	}
	if len(ids) > maxNameIDs {
		return chat.Errorf(chat.EInvalid, "at most %d ids at a time", maxNameIDs)
	}
	cards, err := s.directory.UserCards(r.Context(), ids)
	if err != nil {
		return err
	}
	out := list[userNameView]{Items: make([]userNameView, 0, len(cards))}
	for _, id := range ids {
		if c, ok := cards[id]; ok {
			out.Items = append(out.Items, userNameView{ID: id, Name: c.Name, Avatar: c.Avatar})
			delete(cards, id)
		}
	}
	writeJSON(w, http.StatusOK, out)
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
