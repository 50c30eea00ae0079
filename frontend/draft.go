package frontend

import (
	"context"
	"net/http"
	"time"

	"parley/chat"
)

// registerDrafts adds the caller's drafts: saved while writing, listed,
// resumed on any device, discarded. Nobody else's draft exists here.
func (s *Server) registerDrafts(m *http.ServeMux) {
	const p = "/api/v1/drafts"
	m.Handle("GET "+p, s.authed(s.draftList))
	m.Handle("POST "+p, s.authed(s.limited(s.postLimit, s.draftCreate)))
	m.Handle("GET "+p+"/{id}", s.authed(s.draftGet))
	m.Handle("PUT "+p+"/{id}", s.authed(s.limited(s.postLimit, s.draftUpdate)))
	m.Handle("DELETE "+p+"/{id}", s.authed(s.draftDelete))
}

type draftView struct {
	ID        int64         `json:"id"`
	Channel   *chat.Channel `json:"channel"`
	Subject   string        `json:"subject"`
	Body      string        `json:"body"`
	Data      string        `json:"data"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func viewDraft(d chat.Draft) draftView {
	return draftView{ID: d.ID, Channel: d.Channel, Subject: d.Subject, Body: d.Body, Data: d.Data, UpdatedAt: d.UpdatedAt}
}

// draftInput is the body of POST and PUT.
type draftInput struct {
	Channel *chat.Channel `json:"channel"`
	Subject string        `json:"subject"`
	Body    string        `json:"body"`
	Data    string        `json:"data"`
}

// input is the draft the body describes, as the service takes it.
func (in draftInput) input(id int64) chat.DraftInput {
	return chat.DraftInput{ID: id, Channel: in.Channel, Subject: in.Subject, Body: in.Body, Data: in.Data}
}

func (s *Server) draftList(w http.ResponseWriter, r *http.Request) error {
	return answerCaller(s.messages.Drafts, allItemsOf(viewDraft))(w, r)
}

func (s *Server) draftCreate(w http.ResponseWriter, r *http.Request) error {
	create := func(ctx context.Context, in draftInput) (chat.Draft, error) {
		return s.messages.SaveDraft(ctx, in.input(0))
	}
	id := func(d chat.Draft) int64 { return d.ID }
	return createItem(create, id, viewDraft)(w, r)
}

func (s *Server) draftGet(w http.ResponseWriter, r *http.Request) error {
	return answerItem("draft", s.messages.Draft, viewDraft)(w, r)
}

func (s *Server) draftUpdate(w http.ResponseWriter, r *http.Request) error {
	update := func(ctx context.Context, id int64, in draftInput) (chat.Draft, error) {
		return s.messages.SaveDraft(ctx, in.input(id))
	}
	return updateItem("draft", update, viewDraft)(w, r)
}

func (s *Server) draftDelete(w http.ResponseWriter, r *http.Request) error {
	return actOnItem("draft", s.messages.DiscardDraft)(w, r)
}
