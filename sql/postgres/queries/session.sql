-- name: SessionInsert :exec
INSERT INTO sessions (id, tenant_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
VALUES (@id, @tenant_id, @user_id, @created_at, @last_seen_at, @expires_at, @ip, @user_agent);

-- name: SessionGet :one
SELECT id, tenant_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent
FROM sessions WHERE id = @id;

-- name: SessionTouch :execrows
UPDATE sessions SET last_seen_at = @last_seen_at WHERE id = @id;

-- name: SessionDelete :execrows
DELETE FROM sessions WHERE id = @id;

-- name: SessionDeleteByUser :many
DELETE FROM sessions WHERE tenant_id = @tenant_id AND user_id = @user_id
RETURNING id;

-- name: SessionDeleteExpired :execrows
DELETE FROM sessions WHERE expires_at < @expired_before OR last_seen_at < @idle_before;

-- name: LoginFailureInsert :exec
INSERT INTO login_failures (key, failed_at) VALUES (@key, @failed_at);

-- name: LoginFailureCount :one
SELECT count(*) FROM login_failures WHERE key = @key AND failed_at >= @since;

-- name: LoginFailureClear :exec
DELETE FROM login_failures WHERE key = @key;
