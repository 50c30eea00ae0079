package chat

import (
	"context"
	"unicode/utf8"
)

// Drafts are messages being written, saved server-side per user so that
// writing can resume on another device: new conversations (no channel)
// and replies (a conversation or topic channel). Only the owner sees them;
// a conversation's drafts are deleted with it by retention.

// Limits on drafts.
const (
	MaxDraftsPerUser = 100
	MaxDraftData     = 8 << 10
)

// DraftInput saves a draft: ID 0 creates one, otherwise the caller's
// draft with that id is replaced.
type DraftInput struct {
	ID      int64    `json:"id"`
	Channel *Channel `json:"channel,omitempty"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
	// Data is the client's JSON of the form's other fields (category,
	// receiver roles, related company, attachment ids, ...).
	Data string `json:"data"`
}

// SaveDraft creates or replaces one of the caller's drafts. A reply draft
// needs a thread the caller can read. Errors: EUnauthenticated,
// ENotFound, EInvalid, ETooLarge, EConflict (too many drafts).
func (s *MessageService) SaveDraft(ctx context.Context, in DraftInput) (Draft, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Draft{}, err
	}
	if !utf8.ValidString(in.Subject) || !utf8.ValidString(in.Body) || !utf8.ValidString(in.Data) {
		return Draft{}, Errorf(EInvalid, "the draft is not valid UTF-8")
	}
	if utf8.RuneCountInString(in.Subject) > MaxSubjectLen || len(in.Body) > MaxBodyBytes || len(in.Data) > MaxDraftData {
		return Draft{}, Errorf(ETooLarge, "the draft is too long")
	}
	if in.Channel != nil {
		if !in.Channel.Persisted() {
			return Draft{}, Errorf(EInvalid, "cannot draft a reply to %s", in.Channel)
		}
		if _, err := s.threadFor(ctx, s.store, p, *in.Channel); err != nil {
			return Draft{}, err
		}
	}
	d := Draft{ID: in.ID, TenantID: p.TenantID, UserID: p.UserID, Channel: in.Channel, Subject: in.Subject,
		Body: in.Body, Data: in.Data, UpdatedAt: s.clock.Now()}
	if in.ID == 0 {
		have, err := s.store.DraftList(ctx, p.TenantID, p.UserID)
		if err != nil {
			return Draft{}, err
		}
		if len(have) >= MaxDraftsPerUser {
			return Draft{}, Errorf(EConflict, "you have %d drafts; send or discard some first", len(have))
		}
	}
	if err := s.store.DraftSave(ctx, &d); err != nil {
		return Draft{}, err
	}
	return d, nil
}

// Drafts lists the caller's drafts. Errors: EUnauthenticated.
func (s *MessageService) Drafts(ctx context.Context) ([]Draft, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.DraftList(ctx, p.TenantID, p.UserID)
}

// Draft returns one of the caller's drafts; anyone else's is ENotFound.
// Errors: EUnauthenticated, ENotFound.
func (s *MessageService) Draft(ctx context.Context, id int64) (Draft, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Draft{}, err
	}
	return s.store.DraftGet(ctx, p.TenantID, p.UserID, id)
}

// DiscardDraft deletes one of the caller's drafts. Errors:
// EUnauthenticated, ENotFound.
func (s *MessageService) DiscardDraft(ctx context.Context, id int64) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	return s.store.DraftDelete(ctx, p.TenantID, p.UserID, id)
}
