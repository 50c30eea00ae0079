-- Canned replies: tenant-wide (owner_id NULL) and personal.

-- name: CannedReplyInsert :one
INSERT INTO canned_replies (tenant_id, owner_id, locale, title, body, created_at, updated_at)
VALUES (@tenant_id, sqlc.narg(owner_id), @locale, @title, @body, @created_at, @updated_at)
RETURNING id;

-- name: CannedReplyGet :one
SELECT id, tenant_id, owner_id, locale, title, body, created_at, updated_at
FROM canned_replies WHERE tenant_id = @tenant_id AND id = @id;

-- name: CannedReplyList :many
-- The tenant-wide replies and the user's own.
SELECT id, tenant_id, owner_id, locale, title, body, created_at, updated_at
FROM canned_replies
WHERE tenant_id = @tenant_id AND (owner_id IS NULL OR owner_id = @user_id::bigint)
ORDER BY id;

-- name: CannedReplyUpdate :execrows
UPDATE canned_replies SET locale = @locale, title = @title, body = @body, updated_at = @updated_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CannedReplyDelete :execrows
DELETE FROM canned_replies WHERE tenant_id = @tenant_id AND id = @id;

-- name: CannedReplyCount :one
-- owner_id 0 counts the tenant-wide replies.
SELECT COUNT(*)::bigint FROM canned_replies
WHERE tenant_id = @tenant_id
  AND ((@owner_id::bigint = 0 AND owner_id IS NULL) OR owner_id = @owner_id::bigint);

-- name: CannedReplyUserLock :one
-- Holds a user's personal replies until commit, so that a count and an
-- insert in one transaction are exact under concurrent creation. NO KEY
-- UPDATE: rows that reference the user (FOR KEY SHARE) are not blocked.
SELECT id FROM users WHERE tenant_id = @tenant_id AND id = @id FOR NO KEY UPDATE;

-- name: CannedReplyTenantLock :one
-- Holds the tenant-wide replies until commit (see CannedReplyUserLock).
SELECT id FROM tenants WHERE id = @tenant_id FOR NO KEY UPDATE;
