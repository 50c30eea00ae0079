-- name: SessionInsert :exec
INSERT INTO sessions (id, tenant_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
VALUES (@id, @tenant_id, @user_id, @created_at, @last_seen_at, @expires_at, @ip, @user_agent);

-- name: SessionGet :one
SELECT id, tenant_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent
FROM sessions WHERE id = @id;

-- name: SessionTouch :execrows
UPDATE sessions SET last_seen_at = @last_seen_at WHERE id = @id;

-- name: SessionsAlive :many
-- Which of @ids are still valid sessions of active users (the socket
-- recheck asks for a node's sessions in batches).
SELECT s.id, s.user_id
FROM sessions s
JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
WHERE s.id = ANY(@ids::text[]) AND s.expires_at > @now AND s.last_seen_at > @idle_after AND u.active;

-- name: SessionsTouch :execrows
UPDATE sessions SET last_seen_at = @now
WHERE id = ANY(@ids::text[]) AND last_seen_at < @touch_before;

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

-- name: LoginFailureDelete :exec
DELETE FROM login_failures WHERE key = @key;
