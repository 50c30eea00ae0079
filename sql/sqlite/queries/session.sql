-- Login sessions and login throttling.

-- name: SessionInsert :exec
INSERT INTO sessions (id, tenant_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
VALUES (@id, @tenant_id, @user_id, @created_at, @last_seen_at, @expires_at, @ip, @user_agent);

-- name: SessionGet :one
SELECT * FROM sessions WHERE id = @id;

-- name: SessionTouch :execrows
UPDATE sessions SET last_seen_at = @last_seen_at WHERE id = @id;

-- name: SessionsAlive :many
-- Which of the ids are still valid sessions of active users (the socket
-- recheck asks for a node's sessions in batches).
SELECT s.id, s.user_id
FROM sessions s
JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
-- The id list goes last: sqlc numbers the other parameters, and a list
-- before them would shift their numbers.
WHERE s.expires_at > @now AND s.last_seen_at > @idle_after AND u.active AND s.id IN (sqlc.slice('ids'));

-- name: SessionsTouch :execrows
UPDATE sessions SET last_seen_at = @now
WHERE last_seen_at < @touch_before AND id IN (sqlc.slice('ids'));

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
