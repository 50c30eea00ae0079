-- Canned replies: tenant-wide (owner_id NULL) and personal.

-- name: CannedReplyInsert :one
INSERT INTO canned_replies (tenant_id, owner_id, locale, title, body, created_at, updated_at)
VALUES (@tenant_id, @owner_id, @locale, @title, @body, @created_at, @updated_at)
RETURNING id;

-- name: CannedReplyGet :one
SELECT * FROM canned_replies WHERE tenant_id = @tenant_id AND id = @id;

-- name: CannedReplyList :many
-- The tenant-wide replies and the user's own.
SELECT * FROM canned_replies
WHERE tenant_id = @tenant_id AND (owner_id IS NULL OR owner_id = CAST(@user_id AS INTEGER))
ORDER BY id;

-- name: CannedReplyUpdate :execrows
UPDATE canned_replies SET locale = @locale, title = @title, body = @body, updated_at = @updated_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CannedReplyDelete :execrows
DELETE FROM canned_replies WHERE tenant_id = @tenant_id AND id = @id;

-- name: CannedReplyCount :one
-- owner_id 0 counts the tenant-wide replies.
SELECT CAST(COUNT(*) AS INTEGER) FROM canned_replies
WHERE tenant_id = @tenant_id
  AND ((CAST(@owner_id AS INTEGER) = 0 AND owner_id IS NULL) OR owner_id = CAST(@owner_id AS INTEGER));
