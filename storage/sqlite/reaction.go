package sqlite

import (
	"context"
	"time"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
)

func (s *Store) ReactionAdd(ctx context.Context, tenantID, messageID, userID int64, emoji string, at time.Time) (bool, error) {
	n, err := s.write.ReactionInsert(ctx, db.ReactionInsertParams{TenantID: tenantID, MessageID: messageID, UserID: userID, Emoji: emoji, CreatedAt: micros(orNow(at))})
	if err != nil {
		return false, translate(err, "reaction")
	}
	if n == 0 {
		// There already, or not a message of the tenant.
		if _, err := s.MessageGet(ctx, tenantID, messageID); err != nil {
			return false, err
		}
	}
	return n > 0, nil
}

func (s *Store) ReactionRemove(ctx context.Context, tenantID, messageID, userID int64, emoji string) (bool, error) {
	n, err := s.write.ReactionDelete(ctx, db.ReactionDeleteParams{TenantID: tenantID, MessageID: messageID, UserID: userID, Emoji: emoji})
	if err != nil {
		return false, translate(err, "reaction")
	}
	return n > 0, nil
}

func (s *Store) ReactionList(ctx context.Context, tenantID int64, messageIDs []int64) ([]chat.StoredReaction, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	return list("reactions", func(r db.ReactionListByMessagesRow) chat.StoredReaction {
		return chat.StoredReaction{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji, CreatedAt: fromMicros(r.CreatedAt)}
	})(s.read.ReactionListByMessages(ctx, db.ReactionListByMessagesParams{TenantID: tenantID, MessageIds: idsJSON(messageIDs)}))
}
