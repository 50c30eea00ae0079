package sqlite

import (
	"context"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func (s *Store) AvatarSet(ctx context.Context, tenantID, userID int64, a chat.StoredAvatar) (int64, error) {
	v, err := s.write.AvatarUpsert(ctx, db.AvatarUpsertParams{TenantID: tenantID, UserID: userID, Version: a.Version,
		ContentType: a.ContentType, Data: a.Data})
	return v, translate(err, "user")
}

func (s *Store) Avatar(ctx context.Context, tenantID, userID int64) (chat.StoredAvatar, error) {
	r, err := s.read.AvatarGet(ctx, db.AvatarGetParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return chat.StoredAvatar{}, translate(err, "avatar")
	}
	return chat.StoredAvatar{Version: r.Version, ContentType: r.ContentType, Data: r.Data}, nil
}

func (s *Store) AvatarDelete(ctx context.Context, tenantID, userID int64) (bool, error) {
	n, err := s.write.AvatarDelete(ctx, db.AvatarDeleteParams{TenantID: tenantID, UserID: userID})
	return n > 0, translate(err, "avatar")
}

func (s *Store) AvatarVersions(ctx context.Context, tenantID int64, userIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := s.read.AvatarVersions(ctx, db.AvatarVersionsParams{TenantID: tenantID, UserIds: idsJSON(userIDs)})
	if err != nil {
		return nil, translate(err, "avatars")
	}
	for _, r := range rows {
		out[r.UserID] = r.Version
	}
	return out, nil
}
