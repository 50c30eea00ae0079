package sqlite

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func (s *Store) ReplyKeyEnsure(ctx context.Context, tenantID int64, candidate []byte, at time.Time) ([]byte, error) {
	var key []byte
	err := s.InTx(ctx, func(tx chat.Store) error {
		ts := tx.(*Store)
		if err := ts.write.ReplyKeyInsert(ctx, db.ReplyKeyInsertParams{TenantID: tenantID, Secret: candidate, CreatedAt: micros(at)}); err != nil {
			return translate(err, "reply key")
		}
		var err error
		key, err = ts.write.ReplyKeyGet(ctx, tenantID)
		return translate(err, "reply key")
	})
	return key, err
}

func (s *Store) ReplyRevocationSet(ctx context.Context, tenantID, userID int64, notBefore time.Time) error {
	err := s.write.ReplyRevocationSet(ctx, db.ReplyRevocationSetParams{TenantID: tenantID, UserID: userID, NotBefore: micros(notBefore)})
	return translate(err, "reply revocation")
}

func (s *Store) ReplyRevocationGet(ctx context.Context, tenantID, userID int64) (time.Time, error) {
	v, err := s.read.ReplyRevocationGet(ctx, db.ReplyRevocationGetParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return time.Time{}, translate(err, "reply revocation")
	}
	return fromMicros(v), nil
}
