package frontend

import (
	"net/http"

	"parley/chat"
)

// registerReactions adds emoji reactions on messages, for clients without
// a socket (the socket's react frame does the same). The message service
// decides access: a message in a thread the caller cannot read answers 404.
func (s *Server) registerReactions(m *http.ServeMux) {
	const p = "/api/v1/messages/{id}/reactions"
	m.Handle("GET /api/v1/reactions", s.authed(s.reactionSet))
	m.Handle("POST "+p, s.authed(s.limited(s.postLimit, s.reactionAdd)))
	m.Handle("DELETE "+p+"/{emoji}", s.authed(s.limited(s.postLimit, s.reactionRemove)))
}

type reactionRequest struct {
	Emoji string `json:"emoji"`
}

type reactionSetView struct {
	Emoji    []string `json:"emoji"`
	MaxKinds int      `json:"max_kinds"`
}

// reactionSet answers which emoji reactions may use.
func (s *Server) reactionSet(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, reactionSetView{Emoji: chat.ReactionEmoji, MaxKinds: chat.MaxReactionKinds})
	return nil
}

func (s *Server) reactionAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	var in reactionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.react(w, r, id, in.Emoji, true)
}

func (s *Server) reactionRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	return s.react(w, r, id, r.PathValue("emoji"), false)
}

// react answers with the message and all its reactions, in the view of
// its thread's API.
func (s *Server) react(w http.ResponseWriter, r *http.Request, id int64, emoji string, add bool) error {
	m, err := s.messages.React(r.Context(), id, emoji, add)
	if err != nil {
		return err
	}
	if m.Channel.Kind == chat.KindConversation {
		writeJSON(w, http.StatusOK, viewConversationMessage(m))
	} else {
		writeJSON(w, http.StatusOK, viewTopicMessage(m))
	}
	return nil
}
