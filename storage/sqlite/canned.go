package sqlite

import (
	"context"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func (s *Store) CannedReplyCreate(ctx context.Context, r *chat.CannedReply) error {
	created := orNow(r.CreatedAt)
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	id, err := s.write.CannedReplyInsert(ctx, db.CannedReplyInsertParams{
		TenantID: r.TenantID, OwnerID: nonZero(r.OwnerID), Locale: r.Locale, Title: r.Title, Body: r.Body,
		CreatedAt: micros(created), UpdatedAt: micros(updated),
	})
	if err != nil {
		return translateRef(err, "canned reply", "user")
	}
	r.ID, r.CreatedAt, r.UpdatedAt = id, created, fromMicros(micros(updated))
	return nil
}

func (s *Store) CannedReplyGet(ctx context.Context, tenantID, id int64) (chat.CannedReply, error) {
	return one("canned reply", toCannedReply)(s.read.CannedReplyGet(ctx, db.CannedReplyGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) CannedReplyList(ctx context.Context, tenantID, userID int64) ([]chat.CannedReply, error) {
	return list("canned replies", toCannedReply)(s.read.CannedReplyList(ctx, db.CannedReplyListParams{TenantID: tenantID, UserID: userID}))
}

func (s *Store) CannedReplyUpdate(ctx context.Context, r chat.CannedReply) error {
	return mustAffect("canned reply")(s.write.CannedReplyUpdate(ctx, db.CannedReplyUpdateParams{
		TenantID: r.TenantID, ID: r.ID, Locale: r.Locale, Title: r.Title, Body: r.Body, UpdatedAt: micros(orNow(r.UpdatedAt)),
	}))
}

func (s *Store) CannedReplyDelete(ctx context.Context, tenantID, id int64) error {
	return mustAffect("canned reply")(s.write.CannedReplyDelete(ctx, db.CannedReplyDeleteParams{TenantID: tenantID, ID: id}))
}

func (s *Store) CannedReplyCount(ctx context.Context, tenantID, ownerID int64) (int64, error) {
	n, err := s.read.CannedReplyCount(ctx, db.CannedReplyCountParams{TenantID: tenantID, OwnerID: ownerID})
	if err != nil {
		return 0, translate(err, "canned replies")
	}
	return n, nil
}

func toCannedReply(r db.CannedReply) chat.CannedReply {
	return chat.CannedReply{ID: r.ID, TenantID: r.TenantID, OwnerID: r.OwnerID, Locale: r.Locale, Title: r.Title,
		Body: r.Body, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
}
