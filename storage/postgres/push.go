package postgres

import (
	"context"

	"parley/chat"
	"parley/storage/postgres/internal/db"
)

// PushSubscriptionSave inserts a subscription or moves the one with the
// same endpoint to s's user and keys.
func (s *Store) PushSubscriptionSave(ctx context.Context, sub *chat.PushSubscription) error {
	created := orNow(sub.CreatedAt)
	id, err := s.q.PushSubscriptionUpsert(ctx, db.PushSubscriptionUpsertParams{
		TenantID: sub.TenantID, UserID: sub.UserID, Endpoint: sub.Endpoint,
		P256dh: sub.P256dh, Auth: sub.Auth, CreatedAt: created,
	})
	if err != nil {
		return translateRef(err, "push subscription", "user")
	}
	sub.ID, sub.CreatedAt = id, created
	return nil
}

func (s *Store) PushSubscriptionList(ctx context.Context, tenantID, userID int64) ([]chat.PushSubscription, error) {
	return list("push subscriptions", func(r db.PushSubscription) chat.PushSubscription {
		return chat.PushSubscription{ID: r.ID, TenantID: r.TenantID, UserID: r.UserID, Endpoint: r.Endpoint,
			P256dh: r.P256dh, Auth: r.Auth, CreatedAt: r.CreatedAt}
	})(s.q.PushSubscriptionListByUser(ctx, db.PushSubscriptionListByUserParams{TenantID: tenantID, UserID: userID}))
}

func (s *Store) PushSubscriptionDelete(ctx context.Context, tenantID, id int64) error {
	return mustAffect("push subscription")(s.q.PushSubscriptionDelete(ctx, db.PushSubscriptionDeleteParams{TenantID: tenantID, ID: id}))
}

func (s *Store) PushSubscriptionDeleteEndpoint(ctx context.Context, tenantID, userID int64, endpoint string) error {
	return mustAffect("push subscription")(s.q.PushSubscriptionDeleteByEndpoint(ctx,
		db.PushSubscriptionDeleteByEndpointParams{TenantID: tenantID, UserID: userID, Endpoint: endpoint}))
}

func (s *Store) NotifyPrefsGet(ctx context.Context, tenantID, userID int64) (chat.NotifyChannels, error) {
	r, err := s.q.NotifyPrefsGet(ctx, db.NotifyPrefsGetParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return chat.NotifyChannels{}, translate(err, "notification preferences")
	}
	return chat.NotifyChannels{
		Mention:      chat.ChannelChoice{Email: r.MentionEmail, Push: r.MentionPush},
		Topic:        chat.ChannelChoice{Email: r.TopicEmail, Push: r.TopicPush},
		Conversation: chat.ChannelChoice{Email: r.ConversationEmail, Push: r.ConversationPush},
	}, nil
}

func (s *Store) NotifyPrefsSave(ctx context.Context, tenantID, userID int64, c chat.NotifyChannels) error {
	err := s.q.NotifyPrefsUpsert(ctx, db.NotifyPrefsUpsertParams{TenantID: tenantID, UserID: userID,
		MentionEmail: c.Mention.Email, MentionPush: c.Mention.Push, TopicEmail: c.Topic.Email, TopicPush: c.Topic.Push,
		ConversationEmail: c.Conversation.Email, ConversationPush: c.Conversation.Push})
	return translateRef(err, "notification preferences", "user")
}
