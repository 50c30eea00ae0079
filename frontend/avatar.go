package frontend

import (
	"io"
	"net/http"
	"strconv"
)

// registerAvatars adds the caller's own avatar (upload, removal) and
// everyone's avatar pictures, served by the rule of names
// (chat.DirectoryService.Avatar).
func (s *Server) registerAvatars(m *http.ServeMux) {
	m.Handle("PUT /api/v1/me/avatar", s.authed(s.limited(s.uploadLimit, s.avatarUpload)))
	m.Handle("DELETE /api/v1/me/avatar", s.authed(s.avatarRemove))
	m.Handle("GET /api/v1/users/{id}/avatar", s.authed(s.avatarGet))
}

type avatarView struct {
	// Version goes in the picture's URL (?v=) so a browser may cache it.
	Version int64 `json:"version"`
}

// avatarMaxAge is how long a browser keeps an avatar asked for by its
// current version: a new picture has a new version, so a cached one is
// never shown for it; a day bounds how long a person who may no longer
// see someone still has their picture.
const avatarMaxAge = "86400"

// avatarUpload makes the caller's avatar of an uploaded picture, sent as
// an attachment upload is (readUpload).
func (s *Server) avatarUpload(w http.ResponseWriter, r *http.Request) error {
	return s.readUpload(w, r, func(name string, body io.Reader) error {
		v, err := s.directory.SetAvatar(r.Context(), name, body)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, avatarView{Version: v})
		return nil
	})
}

func (s *Server) avatarRemove(w http.ResponseWriter, r *http.Request) error {
	if err := s.directory.RemoveAvatar(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// avatarGet serves a person's avatar to those who may see them; others,
// and people without one, get 404. Asked with its current ?v= it may be
// cached; otherwise the browser asks again each time.
func (s *Server) avatarGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	a, err := s.directory.Avatar(r.Context(), id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.URL.Query().Get("v") == strconv.FormatInt(a.Version, 10) {
		h.Set("Cache-Control", "private, max-age="+avatarMaxAge)
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.Data)
	return nil
}
