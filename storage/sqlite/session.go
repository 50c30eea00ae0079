package sqlite

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func (s *Store) SessionCreate(ctx context.Context, ss chat.Session) error {
	created := orNow(ss.CreatedAt)
	lastSeen := ss.LastSeenAt
	if lastSeen.IsZero() {
		lastSeen = created
	}
	err := s.write.SessionInsert(ctx, db.SessionInsertParams{
		ID:         ss.ID,
		TenantID:   ss.TenantID,
		UserID:     ss.UserID,
		CreatedAt:  micros(created),
		LastSeenAt: micros(lastSeen),
		ExpiresAt:  micros(ss.ExpiresAt),
		Ip:         ss.IP,
		UserAgent:  ss.UserAgent,
	})
	if err != nil {
		return translateRef(err, "session", "user")
	}
	return nil
}

func (s *Store) SessionGet(ctx context.Context, id string) (chat.Session, error) {
	r, err := s.read.SessionGet(ctx, id)
	if err != nil {
		return chat.Session{}, translate(err, "session")
	}
	return chat.Session{
		ID:         r.ID,
		TenantID:   r.TenantID,
		UserID:     r.UserID,
		CreatedAt:  fromMicros(r.CreatedAt),
		LastSeenAt: fromMicros(r.LastSeenAt),
		ExpiresAt:  fromMicros(r.ExpiresAt),
		IP:         r.Ip,
		UserAgent:  r.UserAgent,
	}, nil
}

func (s *Store) SessionTouch(ctx context.Context, id string, at time.Time) error {
	return mustAffect("session")(s.write.SessionTouch(ctx, db.SessionTouchParams{ID: id, LastSeenAt: micros(at)}))
}

func (s *Store) SessionsAlive(ctx context.Context, ids []string, now, idleAfter, touchBefore time.Time) (map[string]int64, error) {
	alive := make(map[string]int64, len(ids))
	if len(ids) == 0 {
		return alive, nil
	}
	rows, err := s.read.SessionsAlive(ctx, db.SessionsAliveParams{Ids: ids, Now: micros(now), IdleAfter: micros(idleAfter)})
	if err != nil {
		return nil, translate(err, "sessions")
	}
	touch := make([]string, 0, len(rows))
	for _, r := range rows {
		alive[r.ID] = r.UserID
		touch = append(touch, r.ID)
	}
	if len(touch) > 0 {
		if _, err := s.write.SessionsTouch(ctx, db.SessionsTouchParams{Ids: touch, Now: micros(now), TouchBefore: micros(touchBefore)}); err != nil {
			return nil, translate(err, "sessions")
		}
	}
	return alive, nil
}

func (s *Store) SessionDelete(ctx context.Context, id string) error {
	return mustAffect("session")(s.write.SessionDelete(ctx, id))
}

func (s *Store) SessionDeleteByUser(ctx context.Context, tenantID, userID int64) ([]string, error) {
	ids, err := s.write.SessionDeleteByUser(ctx, db.SessionDeleteByUserParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return nil, translate(err, "sessions")
	}
	return ids, nil
}

func (s *Store) SessionDeleteExpired(ctx context.Context, expiredBefore, idleBefore time.Time) (int64, error) {
	n, err := s.write.SessionDeleteExpired(ctx, db.SessionDeleteExpiredParams{
		ExpiredBefore: micros(expiredBefore), IdleBefore: micros(idleBefore),
	})
	return n, translate(err, "sessions")
}

func (s *Store) LoginFailureAdd(ctx context.Context, key string, at, since time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ts *Store) error {
		if err := ts.write.LoginFailureInsert(ctx, db.LoginFailureInsertParams{Key: key, FailedAt: micros(at)}); err != nil {
			return translate(err, "login failure")
		}
		var err error
		n, err = ts.read.LoginFailureCount(ctx, db.LoginFailureCountParams{Key: key, Since: micros(since)})
		return translate(err, "login failures")
	})
	return n, err
}

func (s *Store) LoginFailureCount(ctx context.Context, key string, since time.Time) (int64, error) {
	n, err := s.read.LoginFailureCount(ctx, db.LoginFailureCountParams{Key: key, Since: micros(since)})
	return n, translate(err, "login failures")
}

func (s *Store) LoginFailureClear(ctx context.Context, key string) error {
	return translate(s.write.LoginFailureDelete(ctx, key), "login failures")
}
