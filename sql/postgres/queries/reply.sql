-- Reply by email: the tenants' signing keys and the users' revocations.

-- name: ReplyKeyInsert :exec
-- Stores @secret as the tenant's key unless it has one (a concurrent first
-- use on another node keeps the key that was stored first).
INSERT INTO reply_keys (tenant_id, secret, created_at) VALUES (@tenant_id, @secret, @created_at)
ON CONFLICT (tenant_id) DO NOTHING;

-- name: ReplyKeyGet :one
SELECT secret FROM reply_keys WHERE tenant_id = @tenant_id;

-- name: ReplyRevocationSet :exec
-- Makes the user's reply addresses issued before @not_before invalid.
INSERT INTO reply_revocations (tenant_id, user_id, not_before) VALUES (@tenant_id, @user_id, @not_before)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET not_before = excluded.not_before;

-- name: ReplyRevocationGet :one
SELECT not_before FROM reply_revocations WHERE tenant_id = @tenant_id AND user_id = @user_id;
