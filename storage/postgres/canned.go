package postgres

import (
	"context"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

func (s *Store) CannedReplyCreate(ctx context.Context, r *chat.CannedReply) error {
	created := orNow(r.CreatedAt)
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	id, err := s.q.CannedReplyInsert(ctx, db.CannedReplyInsertParams{
		TenantID: r.TenantID, OwnerID: r.OwnerID, Locale: r.Locale, Title: r.Title, Body: r.Body,
		CreatedAt: created, UpdatedAt: updated,
	})
	if err != nil {
		return translateRef(err, "canned reply", "user")
	}
	r.ID, r.CreatedAt, r.UpdatedAt = id, created, updated
	return nil
}

func (s *Store) CannedReplyGet(ctx context.Context, tenantID, id int64) (chat.CannedReply, error) {
	return one("canned reply", toCannedReply)(s.q.CannedReplyGet(ctx, db.CannedReplyGetParams{TenantID: tenantID, ID: id}))
}

func (s *Store) CannedReplyList(ctx context.Context, tenantID, userID int64) ([]chat.CannedReply, error) {
	return list("canned replies", toCannedReply)(s.q.CannedReplyList(ctx, db.CannedReplyListParams{TenantID: tenantID, UserID: userID}))
}

func (s *Store) CannedReplyUpdate(ctx context.Context, r chat.CannedReply) error {
	n, err := s.q.CannedReplyUpdate(ctx, db.CannedReplyUpdateParams{
		TenantID: r.TenantID, ID: r.ID, Locale: r.Locale, Title: r.Title, Body: r.Body, UpdatedAt: orNow(r.UpdatedAt),
	})
	return mustAffect("canned reply")(n, err)
}

func (s *Store) CannedReplyDelete(ctx context.Context, tenantID, id int64) error {
	n, err := s.q.CannedReplyDelete(ctx, db.CannedReplyDeleteParams{TenantID: tenantID, ID: id})
	return mustAffect("canned reply")(n, err)
}

// CannedReplyCount first locks the owner's row (the user, or the tenant for
// the tenant-wide replies), so that concurrent creations in InTx count one
// after another and the limit is exact; the lock lasts until commit.
func (s *Store) CannedReplyCount(ctx context.Context, tenantID, ownerID int64) (int64, error) {
	var err error
	if ownerID == 0 {
		_, err = s.q.CannedReplyTenantLock(ctx, tenantID)
	} else {
		_, err = s.q.CannedReplyUserLock(ctx, db.CannedReplyUserLockParams{TenantID: tenantID, ID: ownerID})
	}
	// An owner that does not exist has no replies (and can get none: the
	// insert's foreign key refuses it), as on SQLite.
	if err = translate(err, "canned reply owner"); err != nil && !chat.IsCode(err, chat.ENotFound) {
		return 0, err
	}
	n, err := s.q.CannedReplyCount(ctx, db.CannedReplyCountParams{TenantID: tenantID, OwnerID: ownerID})
	if err != nil {
		return 0, translate(err, "canned replies")
	}
	return n, nil
}

func toCannedReply(r db.CannedReply) chat.CannedReply {
	return chat.CannedReply{ID: r.ID, TenantID: r.TenantID, OwnerID: r.OwnerID, Locale: r.Locale, Title: r.Title,
		Body: r.Body, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
