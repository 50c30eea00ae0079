package frontend

import (
	"net/http"
	"time"

	"parley/chat"
)

// registerSearch adds full-text search over every topic and conversation
// the caller can read.
func (s *Server) registerSearch(m *http.ServeMux) {
	m.Handle("GET /api/v1/search", s.authed(s.limited(s.searchLimit, s.search)))
}

type searchHitView struct {
	Channel    chat.Channel `json:"channel"`
	MessageID  int64        `json:"message_id"`
	Seq        int64        `json:"seq"`
	Title      string       `json:"title"`
	AuthorID   int64        `json:"author_id"`
	AuthorName string       `json:"author_name"`
	Excerpt    string       `json:"excerpt"`
	CreatedAt  time.Time    `json:"created_at"`
}

// search answers ?q=words&limit=n, newest first.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := limitParam(r, 0, chat.MaxSearchLimit)
	if err != nil {
		return err
	}
	hits, err := s.messages.Search(r.Context(), q.Get("q"), limit)
	if err != nil {
		return err
	}
	out := list[searchHitView]{Items: make([]searchHitView, 0, len(hits))}
	for _, h := range hits {
		out.Items = append(out.Items, searchHitView{Channel: h.Channel, MessageID: h.MessageID, Seq: h.Seq, Title: h.Title,
			AuthorID: h.AuthorID, AuthorName: h.AuthorName, Excerpt: h.Excerpt, CreatedAt: h.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
