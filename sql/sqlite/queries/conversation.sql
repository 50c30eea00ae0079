-- Support conversations, their categories and retention.

-- name: CategoryInsert :one
INSERT INTO categories (tenant_id, name_en, name_fi, retention_days, active)
VALUES (@tenant_id, @name_en, @name_fi, @retention_days, @active)
RETURNING id;

-- name: CategoryRolesInsert :exec
-- @role_ids is a JSON array of ids.
INSERT INTO category_roles (tenant_id, category_id, role_id)
SELECT @tenant_id, @category_id, j.value FROM json_each(CAST(@role_ids AS TEXT)) j WHERE true
ON CONFLICT DO NOTHING;

-- name: CategoryRolesDelete :exec
DELETE FROM category_roles WHERE tenant_id = @tenant_id AND category_id = @category_id;

-- name: CategoryGet :one
SELECT sqlc.embed(c),
       CAST((SELECT json_group_array(r.role_id) FROM category_roles r WHERE r.category_id = c.id) AS TEXT) AS role_ids
FROM categories c
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- name: CategoryList :many
SELECT sqlc.embed(c),
       CAST((SELECT json_group_array(r.role_id) FROM category_roles r WHERE r.category_id = c.id) AS TEXT) AS role_ids
FROM categories c
WHERE c.tenant_id = @tenant_id
ORDER BY c.id;

-- name: CategoryUpdate :execrows
UPDATE categories SET name_en = @name_en, name_fi = @name_fi,
    retention_days = @retention_days, active = @active
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationInsert :one
INSERT INTO conversations (tenant_id, subject, category_id, status, creator_id, handler_id,
    customer_assignee_id, admin_id, related_company_id, related_user_id, external_emails,
    notify_admins, last_activity_at, created_at, to_customer, customer_company_id, awaiting_since)
VALUES (@tenant_id, @subject, @category_id, @status, @creator_id, @handler_id,
    @customer_assignee_id, @admin_id, @related_company_id, @related_user_id, @external_emails,
    @notify_admins, @last_activity_at, @created_at, @to_customer, @customer_company_id, @awaiting_since)
RETURNING id;

-- name: ConversationRolesInsert :exec
-- @role_ids is a JSON array of ids.
INSERT INTO conversation_roles (tenant_id, conversation_id, role_id)
SELECT @tenant_id, @conversation_id, j.value FROM json_each(CAST(@role_ids AS TEXT)) j WHERE true
ON CONFLICT DO NOTHING;

-- name: ConversationRolesDelete :exec
DELETE FROM conversation_roles WHERE tenant_id = @tenant_id AND conversation_id = @conversation_id;

-- name: ConversationGet :one
SELECT sqlc.embed(c),
       CAST((SELECT json_group_array(r.role_id) FROM conversation_roles r WHERE r.conversation_id = c.id) AS TEXT) AS role_ids,
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'conversation' AND s.id = c.id AND s.tenant_id = c.tenant_id), 0) AS INTEGER) AS last_seq
FROM conversations c
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- name: ConversationList :many
-- Newest activity first; the cursor is the last conversation of the
-- previous page. Visibility: all_of_tenant, or the user's own part in the
-- conversation, or its customer company among addressee_company_ids, or
-- one of role_ids among its receiver roles, and then, when company_ids is
-- not empty, only for conversations related to those companies
-- (chat.visibleConversations; ConversationListOldest and
-- ConversationQueueCounts repeat it, storetest holds them to it).
-- Zero-valued filters do not filter; awaiting_before 0 is none.
SELECT sqlc.embed(c),
       CAST((SELECT json_group_array(r.role_id) FROM conversation_roles r WHERE r.conversation_id = c.id) AS TEXT) AS role_ids,
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'conversation' AND s.id = c.id AND s.tenant_id = c.tenant_id), 0) AS INTEGER) AS last_seq
FROM conversations c
WHERE c.tenant_id = @tenant_id
  AND (CAST(@status AS TEXT) = '' OR c.status = @status)
  AND (CAST(@category_id AS INTEGER) = 0 OR c.category_id = @category_id)
  AND (CAST(@handler_id AS INTEGER) = 0 OR c.handler_id = @handler_id)
  AND (CAST(@company_id AS INTEGER) = 0 OR c.related_company_id = @company_id)
  AND (NOT CAST(@unsolved AS BOOLEAN) OR c.status <> 'solved')
  AND (CAST(@awaiting_before AS INTEGER) = 0 OR c.awaiting_since < CAST(@awaiting_before AS INTEGER))
  AND (CAST(@all_of_tenant AS BOOLEAN)
       OR c.creator_id = CAST(@visible_to AS INTEGER)
       OR c.handler_id = CAST(@visible_to AS INTEGER)
       OR c.customer_assignee_id = CAST(@visible_to AS INTEGER)
       OR c.admin_id = CAST(@visible_to AS INTEGER)
       OR c.customer_company_id IN (SELECT value FROM json_each(CAST(@addressee_company_ids AS TEXT)))
       OR (EXISTS (SELECT 1 FROM conversation_roles vr
                   WHERE vr.conversation_id = c.id
                     AND vr.role_id IN (SELECT value FROM json_each(CAST(@role_ids AS TEXT))))
           AND (json_array_length(CAST(@company_ids AS TEXT)) = 0
                OR c.related_company_id IN (SELECT value FROM json_each(CAST(@company_ids AS TEXT))))))
  AND (NOT CAST(@has_cursor AS BOOLEAN)
       OR c.last_activity_at < CAST(@cursor_at AS INTEGER)
       OR (c.last_activity_at = CAST(@cursor_at AS INTEGER) AND c.id < CAST(@cursor_id AS INTEGER)))
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT @lim;

-- name: ConversationListOldest :many
-- ConversationList oldest first by creation (the queues), same filters.
SELECT sqlc.embed(c),
       CAST((SELECT json_group_array(r.role_id) FROM conversation_roles r WHERE r.conversation_id = c.id) AS TEXT) AS role_ids,
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'conversation' AND s.id = c.id AND s.tenant_id = c.tenant_id), 0) AS INTEGER) AS last_seq
FROM conversations c
WHERE c.tenant_id = @tenant_id
  AND (CAST(@status AS TEXT) = '' OR c.status = @status)
  AND (CAST(@category_id AS INTEGER) = 0 OR c.category_id = @category_id)
  AND (CAST(@handler_id AS INTEGER) = 0 OR c.handler_id = @handler_id)
  AND (CAST(@company_id AS INTEGER) = 0 OR c.related_company_id = @company_id)
  AND (NOT CAST(@unsolved AS BOOLEAN) OR c.status <> 'solved')
  AND (CAST(@awaiting_before AS INTEGER) = 0 OR c.awaiting_since < CAST(@awaiting_before AS INTEGER))
  AND (CAST(@all_of_tenant AS BOOLEAN)
       OR c.creator_id = CAST(@visible_to AS INTEGER)
       OR c.handler_id = CAST(@visible_to AS INTEGER)
       OR c.customer_assignee_id = CAST(@visible_to AS INTEGER)
       OR c.admin_id = CAST(@visible_to AS INTEGER)
       OR c.customer_company_id IN (SELECT value FROM json_each(CAST(@addressee_company_ids AS TEXT)))
       OR (EXISTS (SELECT 1 FROM conversation_roles vr
                   WHERE vr.conversation_id = c.id
                     AND vr.role_id IN (SELECT value FROM json_each(CAST(@role_ids AS TEXT))))
           AND (json_array_length(CAST(@company_ids AS TEXT)) = 0
                OR c.related_company_id IN (SELECT value FROM json_each(CAST(@company_ids AS TEXT))))))
  AND (NOT CAST(@has_cursor AS BOOLEAN)
       OR c.created_at > CAST(@cursor_at AS INTEGER)
       OR (c.created_at = CAST(@cursor_at AS INTEGER) AND c.id > CAST(@cursor_id AS INTEGER)))
ORDER BY c.created_at, c.id
LIMIT @lim;

-- name: ConversationQueueCounts :many
-- Unsolved conversations per category under ConversationList's visibility.
SELECT c.category_id,
       CAST(COUNT(*) AS INTEGER) AS unsolved,
       CAST(SUM(CASE WHEN c.status = 'new' THEN 1 ELSE 0 END) AS INTEGER) AS new_count,
       CAST(SUM(CASE WHEN c.handler_id = CAST(@handler_id AS INTEGER) THEN 1 ELSE 0 END) AS INTEGER) AS mine,
       CAST(SUM(CASE WHEN c.status = 'waiting' THEN 1 ELSE 0 END) AS INTEGER) AS waiting,
       CAST(SUM(CASE WHEN c.awaiting_since < CAST(@stale_before AS INTEGER) THEN 1 ELSE 0 END) AS INTEGER) AS stale
FROM conversations c
WHERE c.tenant_id = @tenant_id
  AND c.status <> 'solved'
  AND (CAST(@all_of_tenant AS BOOLEAN)
       OR c.creator_id = CAST(@visible_to AS INTEGER)
       OR c.handler_id = CAST(@visible_to AS INTEGER)
       OR c.customer_assignee_id = CAST(@visible_to AS INTEGER)
       OR c.admin_id = CAST(@visible_to AS INTEGER)
       OR c.customer_company_id IN (SELECT value FROM json_each(CAST(@addressee_company_ids AS TEXT)))
       OR (EXISTS (SELECT 1 FROM conversation_roles vr
                   WHERE vr.conversation_id = c.id
                     AND vr.role_id IN (SELECT value FROM json_each(CAST(@role_ids AS TEXT))))
           AND (json_array_length(CAST(@company_ids AS TEXT)) = 0
                OR c.related_company_id IN (SELECT value FROM json_each(CAST(@company_ids AS TEXT))))))
GROUP BY c.category_id
ORDER BY c.category_id;

-- name: ConversationCreated :one
SELECT created_at FROM conversations WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationActivity :one
SELECT last_activity_at FROM conversations WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationUpdate :execrows
UPDATE conversations SET status = @status, handler_id = @handler_id,
    customer_assignee_id = @customer_assignee_id, admin_id = @admin_id,
    related_company_id = @related_company_id, related_user_id = @related_user_id,
    external_emails = @external_emails, notify_admins = @notify_admins,
    last_activity_at = @last_activity_at, awaiting_since = @awaiting_since
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationsExpired :many
-- A category's retention_days overrides the tenant's.
SELECT sqlc.embed(c),
       CAST((SELECT json_group_array(r.role_id) FROM conversation_roles r WHERE r.conversation_id = c.id) AS TEXT) AS role_ids,
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'conversation' AND s.id = c.id AND s.tenant_id = c.tenant_id), 0) AS INTEGER) AS last_seq
FROM conversations c
JOIN categories k ON k.id = c.category_id AND k.tenant_id = c.tenant_id
WHERE c.tenant_id = @tenant_id
  AND c.last_activity_at + COALESCE(k.retention_days, CAST(@retention_days AS INTEGER)) * 86400000000 < CAST(@now AS INTEGER)
ORDER BY c.last_activity_at, c.id
LIMIT @lim;

-- The deletes below remove one conversation's thread; ConversationDelete
-- runs them in one transaction. Events and attachments go with their
-- messages by ON DELETE CASCADE.

-- name: ChannelMessagesDelete :exec
DELETE FROM messages WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ChannelSeqDelete :exec
DELETE FROM channel_seqs WHERE tenant_id = @tenant_id AND kind = @kind AND id = @id;

-- name: ChannelReadStatesDelete :exec
DELETE FROM read_states WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ChannelDraftsDelete :exec
DELETE FROM drafts WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ChannelNotificationsDelete :exec
DELETE FROM notifications WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ChannelNotifyJobsDelete :exec
DELETE FROM notify_jobs WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ChannelNotifyDecisionsDelete :exec
DELETE FROM notify_decisions WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ChannelMutesDelete :exec
DELETE FROM mutes WHERE tenant_id = @tenant_id AND channel_kind = @channel_kind AND channel_id = @channel_id;

-- name: ConversationDelete :execrows
DELETE FROM conversations WHERE tenant_id = @tenant_id AND id = @id;

-- name: RetentionRunInsert :one
INSERT INTO retention_runs (tenant_id, started_at, deleted, node)
VALUES (@tenant_id, @started_at, @deleted, @node)
RETURNING id;

-- name: RetentionRunList :many
SELECT * FROM retention_runs WHERE tenant_id = @tenant_id ORDER BY started_at DESC, id DESC LIMIT @lim;
