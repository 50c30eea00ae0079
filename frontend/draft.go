package frontend

import (
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

func (s *Server) draftList(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.messages.Drafts(r.Context())
	if err != nil {
		return err
	}
	out := list[draftView]{Items: make([]draftView, 0, len(ds))}
	for _, d := range ds {
		out.Items = append(out.Items, viewDraft(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) draftCreate(w http.ResponseWriter, r *http.Request) error {
	var in draftInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.messages.SaveDraft(r.Context(), chat.DraftInput{Channel: in.Channel, Subject: in.Subject, Body: in.Body, Data: in.Data})
	if err != nil {
		return err
	}
	writeCreated(w, r, d.ID, viewDraft(d))
	return nil
}

func (s *Server) draftGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "draft")
	if err != nil {
		return err
	}
	d, err := s.messages.Draft(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDraft(d))
	return nil
}

func (s *Server) draftUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "draft")
	if err != nil {
		return err
	}
	var in draftInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.messages.SaveDraft(r.Context(), chat.DraftInput{ID: id, Channel: in.Channel, Subject: in.Subject, Body: in.Body, Data: in.Data})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDraft(d))
	return nil
}

func (s *Server) draftDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "draft")
	if err != nil {
		return err
	}
	if err := s.messages.DiscardDraft(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
