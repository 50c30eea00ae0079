package postgres

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

func (s *Store) SessionCreate(ctx context.Context, ss chat.Session) error {
	err := s.q.SessionInsert(ctx, db.SessionInsertParams{
		ID:         ss.ID,
		TenantID:   ss.TenantID,
		UserID:     ss.UserID,
		CreatedAt:  orNow(ss.CreatedAt),
		LastSeenAt: orNow(ss.LastSeenAt),
		ExpiresAt:  ss.ExpiresAt,
		Ip:         ss.IP,
		UserAgent:  ss.UserAgent,
	})
	return translateRef(err, "session", "user")
}

func (s *Store) SessionGet(ctx context.Context, id string) (chat.Session, error) {
	r, err := s.q.SessionGet(ctx, id)
	if err != nil {
		return chat.Session{}, translate(err, "session")
	}
	return chat.Session{
		ID:         r.ID,
		TenantID:   r.TenantID,
		UserID:     r.UserID,
		CreatedAt:  r.CreatedAt,
		LastSeenAt: r.LastSeenAt,
		ExpiresAt:  r.ExpiresAt,
		IP:         r.Ip,
		UserAgent:  r.UserAgent,
	}, nil
}

func (s *Store) SessionTouch(ctx context.Context, id string, at time.Time) error {
	n, err := s.q.SessionTouch(ctx, db.SessionTouchParams{ID: id, LastSeenAt: at})
	return mustAffect("session")(n, err)
}

func (s *Store) SessionsAlive(ctx context.Context, ids []string, now, idleAfter, touchBefore time.Time) (map[string]int64, error) {
	rows, err := s.q.SessionsAlive(ctx, db.SessionsAliveParams{Ids: ids, Now: now, IdleAfter: idleAfter})
	if err != nil {
		return nil, translate(err, "sessions")
	}
	alive := make(map[string]int64, len(rows))
	touch := make([]string, 0, len(rows))
	for _, r := range rows {
		alive[r.ID] = r.UserID
		touch = append(touch, r.ID)
	}
	if len(touch) > 0 {
		if _, err := s.q.SessionsTouch(ctx, db.SessionsTouchParams{Ids: touch, Now: now, TouchBefore: touchBefore}); err != nil {
			return nil, translate(err, "sessions")
		}
	}
	return alive, nil
}

func (s *Store) SessionDelete(ctx context.Context, id string) error {
	n, err := s.q.SessionDelete(ctx, id)
	return mustAffect("session")(n, err)
}

func (s *Store) SessionDeleteByUser(ctx context.Context, tenantID, userID int64) ([]string, error) {
	ids, err := s.q.SessionDeleteByUser(ctx, db.SessionDeleteByUserParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return nil, translate(err, "sessions")
	}
	return ids, nil
}

func (s *Store) SessionDeleteExpired(ctx context.Context, expiredBefore, idleBefore time.Time) (int64, error) {
	n, err := s.q.SessionDeleteExpired(ctx, db.SessionDeleteExpiredParams{ExpiredBefore: expiredBefore, IdleBefore: idleBefore})
	return n, translate(err, "sessions")
}

// LoginFailureAdd records the failure and counts the window in one
// transaction, so concurrent failures each see themselves counted.
func (s *Store) LoginFailureAdd(ctx context.Context, key string, at, since time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *Store) error {
		if err := tx.q.LoginFailureInsert(ctx, db.LoginFailureInsertParams{Key: key, FailedAt: at}); err != nil {
			return translate(err, "login failure")
		}
		var err error
		n, err = tx.q.LoginFailureCount(ctx, db.LoginFailureCountParams{Key: key, Since: since})
		return translate(err, "login failures")
	})
	return n, err
}

func (s *Store) LoginFailureCount(ctx context.Context, key string, since time.Time) (int64, error) {
	n, err := s.q.LoginFailureCount(ctx, db.LoginFailureCountParams{Key: key, Since: since})
	return n, translate(err, "login failures")
}

func (s *Store) LoginFailureClear(ctx context.Context, key string) error {
	return translate(s.q.LoginFailureDelete(ctx, key), "login failures")
}
