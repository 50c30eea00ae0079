package postgres

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

func (s *Store) ReplyKeyEnsure(ctx context.Context, tenantID int64, candidate []byte, at time.Time) ([]byte, error) {
	var key []byte
	err := s.InTx(ctx, func(tx chat.Store) error {
		q := tx.(*Store).q
		if err := q.ReplyKeyInsert(ctx, db.ReplyKeyInsertParams{TenantID: tenantID, Secret: candidate, CreatedAt: at}); err != nil {
			return translate(err, "reply key")
		}
		var err error
		key, err = q.ReplyKeyGet(ctx, tenantID)
		return translate(err, "reply key")
	})
	return key, err
}

func (s *Store) ReplyRevocationSet(ctx context.Context, tenantID, userID int64, notBefore time.Time) error {
	err := s.q.ReplyRevocationSet(ctx, db.ReplyRevocationSetParams{TenantID: tenantID, UserID: userID, NotBefore: notBefore})
	return translate(err, "reply revocation")
}

func (s *Store) ReplyRevocationGet(ctx context.Context, tenantID, userID int64) (time.Time, error) {
	t, err := s.q.ReplyRevocationGet(ctx, db.ReplyRevocationGetParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return time.Time{}, translate(err, "reply revocation")
	}
	return t.UTC(), nil
}
