package frontend

import (
	"net/http"
	"time"

	"parley/chat"
)

// registerCannedReplies adds canned replies: the caller's list (tenant-wide
// and their own, ?q= searches), create, replace, delete, and the reply
// filled in for a conversation. chat.CannedReplyService decides who may.
func (s *Server) registerCannedReplies(m *http.ServeMux) {
	const p = "/api/v1/canned-replies"
	m.Handle("GET "+p, s.authed(s.cannedList))
	m.Handle("POST "+p, s.authed(s.limited(s.postLimit, s.cannedCreate)))
	m.Handle("PUT "+p+"/{id}", s.authed(s.limited(s.postLimit, s.cannedUpdate)))
	m.Handle("DELETE "+p+"/{id}", s.authed(s.cannedDelete))
	m.Handle("POST "+p+"/{id}/expand", s.authed(s.cannedExpand))
}

type cannedView struct {
	ID        int64     `json:"id"`
	Shared    bool      `json:"shared"`
	Locale    string    `json:"locale"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CanEdit   bool      `json:"can_edit"`
	UpdatedAt time.Time `json:"updated_at"`
}

func viewCanned(v chat.CannedReplyView) cannedView {
	return cannedView{ID: v.ID, Shared: v.Shared, Locale: v.Locale, Title: v.Title, Body: v.Body, CanEdit: v.CanEdit,
		UpdatedAt: v.UpdatedAt}
}

func (s *Server) cannedList(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.canned.CannedReplies(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, allItems(rs, viewCanned))
	return nil
}

func (s *Server) cannedCreate(w http.ResponseWriter, r *http.Request) error {
	id := func(v chat.CannedReplyView) int64 { return v.ID }
	return createItem(s.canned.CreateCannedReply, id, viewCanned)(w, r)
}

func (s *Server) cannedUpdate(w http.ResponseWriter, r *http.Request) error {
	return updateItem("canned reply", s.canned.UpdateCannedReply, viewCanned)(w, r)
}

func (s *Server) cannedDelete(w http.ResponseWriter, r *http.Request) error {
	return actOnItem("canned reply", s.canned.DeleteCannedReply)(w, r)
}

// cannedExpandInput names the conversation whose facts fill the reply.
type cannedExpandInput struct {
	ConversationID int64 `json:"conversation_id"`
}

func (s *Server) cannedExpand(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "canned reply")
	if err != nil {
		return err
	}
	var in cannedExpandInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ConversationID <= 0 {
		return chat.Errorf(chat.EInvalid, "conversation_id is required")
	}
	out, err := s.canned.ExpandCannedReply(r.Context(), id, in.ConversationID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
