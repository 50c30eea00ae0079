-- Web Push subscriptions: one row per browser (device) that receives pushes.

-- name: PushSubscriptionUpsert :one
-- A browser has one endpoint; subscribing again (or as another user after
-- a logout) moves the row to the newest owner and keys.
INSERT INTO push_subscriptions (tenant_id, user_id, endpoint, p256dh, auth, created_at)
VALUES (@tenant_id, @user_id, @endpoint, @p256dh, @auth, @created_at)
ON CONFLICT (endpoint) DO UPDATE SET
    tenant_id = excluded.tenant_id, user_id = excluded.user_id,
    p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at
RETURNING id;

-- name: PushSubscriptionListByUser :many
SELECT * FROM push_subscriptions
WHERE tenant_id = @tenant_id AND user_id = @user_id
ORDER BY id;

-- name: PushSubscriptionDelete :execrows
DELETE FROM push_subscriptions WHERE tenant_id = @tenant_id AND id = @id;

-- name: PushSubscriptionDeleteByEndpoint :execrows
DELETE FROM push_subscriptions
WHERE tenant_id = @tenant_id AND user_id = @user_id AND endpoint = @endpoint;
