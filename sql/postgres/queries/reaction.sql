-- name: ReactionInsert :execrows
-- Adds a user's emoji to a message of the tenant; 0 rows when it was there
-- already or the message is not the tenant's.
INSERT INTO message_reactions (tenant_id, message_id, user_id, emoji, created_at)
SELECT @tenant_id, m.id, @user_id, @emoji, @created_at
FROM messages m WHERE m.tenant_id = @tenant_id AND m.id = @message_id
ON CONFLICT DO NOTHING;

-- name: ReactionDelete :execrows
DELETE FROM message_reactions
WHERE tenant_id = @tenant_id AND message_id = @message_id AND user_id = @user_id AND emoji = @emoji;

-- name: ReactionListByMessages :many
SELECT message_id, user_id, emoji, created_at
FROM message_reactions
WHERE tenant_id = @tenant_id AND message_id = ANY(@message_ids::bigint[])
-- Emoji in byte order, as SQLite compares them, whatever the collation.
ORDER BY message_id, created_at, user_id, emoji COLLATE "C";
