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

// search answers ?q=words&limit=n, newest first, narrowed by where=
// (topic, conversation, or a channel such as topic:12), author=<user id>
// and after=/before= (RFC 3339 times; after inclusive, before exclusive).
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q, err := searchQuery(r)
	if err != nil {
		return err
	}
	hits, err := s.messages.SearchIn(r.Context(), q)
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

func searchQuery(r *http.Request) (chat.SearchQuery, error) {
	v := r.URL.Query()
	q := chat.SearchQuery{Query: v.Get("q")}
	var err error
	if q.Limit, err = limitParam(r, 0, chat.MaxSearchLimit); err != nil {
		return q, err
	}
	switch where := v.Get("where"); where {
	case "":
	case string(chat.KindTopic), string(chat.KindConversation):
		q.Kind = chat.ChannelKind(where)
	default:
		ch, err := chat.ParseChannel(where)
		if err != nil {
			return q, chat.Errorf(chat.EInvalid, "where must be topic, conversation or a channel such as topic:12")
		}
		q.Channel = &ch
	}
	if q.AuthorID, err = queryID(r, "author"); err != nil {
		return q, err
	}
	for name, dst := range map[string]*time.Time{"after": &q.After, "before": &q.Before} {
		if s := v.Get(name); s != "" {
			if *dst, err = time.Parse(time.RFC3339, s); err != nil {
				return q, chat.Errorf(chat.EInvalid, "%s must be a time such as 2026-03-01T00:00:00Z", name)
			}
		}
	}
	return q, nil
}
