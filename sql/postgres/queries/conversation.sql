-- name: CategoryInsert :one
INSERT INTO categories (tenant_id, name_en, name_fi, retention_days, active)
VALUES (@tenant_id, @name_en, @name_fi, sqlc.narg(retention_days), @active)
RETURNING id;

-- name: CategoryGet :one
SELECT c.id, c.tenant_id, c.name_en, c.name_fi, c.retention_days, c.active,
       COALESCE((SELECT array_agg(cr.role_id ORDER BY cr.role_id) FROM category_roles cr WHERE cr.category_id = c.id), '{}')::bigint[] AS role_ids
FROM categories c
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- name: CategoryList :many
SELECT c.id, c.tenant_id, c.name_en, c.name_fi, c.retention_days, c.active,
       COALESCE((SELECT array_agg(cr.role_id ORDER BY cr.role_id) FROM category_roles cr WHERE cr.category_id = c.id), '{}')::bigint[] AS role_ids
FROM categories c
WHERE c.tenant_id = @tenant_id
ORDER BY c.id;

-- name: CategoryUpdate :execrows
UPDATE categories SET name_en = @name_en, name_fi = @name_fi,
    retention_days = sqlc.narg(retention_days), active = @active
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CategoryRolesDelete :exec
DELETE FROM category_roles WHERE tenant_id = @tenant_id AND category_id = @category_id;

-- name: CategoryRolesInsert :exec
INSERT INTO category_roles (tenant_id, category_id, role_id)
SELECT @tenant_id, @category_id, unnest(@role_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: ConversationInsert :one
INSERT INTO conversations (tenant_id, subject, category_id, status, creator_id, handler_id,
    customer_assignee_id, admin_id, related_company_id, related_user_id, external_emails,
    notify_admins, last_activity_at, created_at, to_customer, customer_company_id, awaiting_since)
VALUES (@tenant_id, @subject, @category_id, @status, @creator_id, sqlc.narg(handler_id),
    sqlc.narg(customer_assignee_id), sqlc.narg(admin_id), sqlc.narg(related_company_id),
    sqlc.narg(related_user_id), @external_emails, @notify_admins, @last_activity_at, @created_at,
    @to_customer, sqlc.narg(customer_company_id), sqlc.narg(awaiting_since))
RETURNING id;

-- name: ConversationGet :one
SELECT c.id, c.tenant_id, c.subject, c.category_id, c.status, c.creator_id, c.handler_id,
       c.customer_assignee_id, c.admin_id, c.related_company_id, c.related_user_id,
       c.external_emails, c.notify_admins, c.last_activity_at, c.created_at,
       c.to_customer, c.customer_company_id, c.awaiting_since,
       COALESCE((SELECT array_agg(cr.role_id ORDER BY cr.role_id) FROM conversation_roles cr WHERE cr.conversation_id = c.id), '{}')::bigint[] AS role_ids,
       COALESCE(cs.last_seq, 0)::bigint AS last_seq
FROM conversations c
LEFT JOIN channel_seqs cs ON cs.kind = 'conversation' AND cs.id = c.id
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- name: ConversationActivity :one
-- The keyset position of a list cursor.
SELECT last_activity_at FROM conversations WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationList :many
-- Newest activity first. Visibility: all_of_tenant, or the user's own part
-- in the conversation, or its customer company among
-- addressee_company_ids, or one of role_ids among its receiver roles, and
-- then, when company_ids is not empty, only for conversations related to
-- those companies (chat.visibleConversations; ConversationListOldest and
-- ConversationQueueCounts repeat it, storetest holds them to it).
SELECT c.id, c.tenant_id, c.subject, c.category_id, c.status, c.creator_id, c.handler_id,
       c.customer_assignee_id, c.admin_id, c.related_company_id, c.related_user_id,
       c.external_emails, c.notify_admins, c.last_activity_at, c.created_at,
       c.to_customer, c.customer_company_id, c.awaiting_since,
       COALESCE((SELECT array_agg(cr.role_id ORDER BY cr.role_id) FROM conversation_roles cr WHERE cr.conversation_id = c.id), '{}')::bigint[] AS role_ids,
       COALESCE(cs.last_seq, 0)::bigint AS last_seq
FROM conversations c
LEFT JOIN channel_seqs cs ON cs.kind = 'conversation' AND cs.id = c.id
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@category_id::bigint = 0 OR c.category_id = @category_id::bigint)
  AND (@handler_id::bigint = 0 OR c.handler_id = @handler_id::bigint)
  AND (@company_id::bigint = 0 OR c.related_company_id = @company_id::bigint)
  AND (NOT @unsolved::boolean OR c.status <> 'solved')
  AND (sqlc.narg(awaiting_before)::timestamptz IS NULL OR c.awaiting_since < sqlc.narg(awaiting_before)::timestamptz)
  AND (@all_of_tenant::boolean
       OR c.creator_id = @visible_to::bigint
       OR c.handler_id = @visible_to::bigint
       OR c.customer_assignee_id = @visible_to::bigint
       OR c.admin_id = @visible_to::bigint
       OR c.customer_company_id = ANY(@addressee_company_ids::bigint[])
       OR (EXISTS (SELECT 1 FROM conversation_roles cr
                   WHERE cr.conversation_id = c.id AND cr.role_id = ANY(@role_ids::bigint[]))
           AND (cardinality(@company_ids::bigint[]) = 0
                OR c.related_company_id = ANY(@company_ids::bigint[]))))
  AND (NOT @has_cursor::boolean
       OR c.last_activity_at < @cursor_at::timestamptz
       OR (c.last_activity_at = @cursor_at::timestamptz AND c.id < @cursor_id::bigint))
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT @lim;

-- name: ConversationListOldest :many
-- ConversationList oldest first by creation (the queues), same filters.
SELECT c.id, c.tenant_id, c.subject, c.category_id, c.status, c.creator_id, c.handler_id,
       c.customer_assignee_id, c.admin_id, c.related_company_id, c.related_user_id,
       c.external_emails, c.notify_admins, c.last_activity_at, c.created_at,
       c.to_customer, c.customer_company_id, c.awaiting_since,
       COALESCE((SELECT array_agg(cr.role_id ORDER BY cr.role_id) FROM conversation_roles cr WHERE cr.conversation_id = c.id), '{}')::bigint[] AS role_ids,
       COALESCE(cs.last_seq, 0)::bigint AS last_seq
FROM conversations c
LEFT JOIN channel_seqs cs ON cs.kind = 'conversation' AND cs.id = c.id
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@category_id::bigint = 0 OR c.category_id = @category_id::bigint)
  AND (@handler_id::bigint = 0 OR c.handler_id = @handler_id::bigint)
  AND (@company_id::bigint = 0 OR c.related_company_id = @company_id::bigint)
  AND (NOT @unsolved::boolean OR c.status <> 'solved')
  AND (sqlc.narg(awaiting_before)::timestamptz IS NULL OR c.awaiting_since < sqlc.narg(awaiting_before)::timestamptz)
  AND (@all_of_tenant::boolean
       OR c.creator_id = @visible_to::bigint
       OR c.handler_id = @visible_to::bigint
       OR c.customer_assignee_id = @visible_to::bigint
       OR c.admin_id = @visible_to::bigint
       OR c.customer_company_id = ANY(@addressee_company_ids::bigint[])
       OR (EXISTS (SELECT 1 FROM conversation_roles cr
                   WHERE cr.conversation_id = c.id AND cr.role_id = ANY(@role_ids::bigint[]))
           AND (cardinality(@company_ids::bigint[]) = 0
                OR c.related_company_id = ANY(@company_ids::bigint[]))))
  AND (NOT @has_cursor::boolean
       OR c.created_at > @cursor_at::timestamptz
       OR (c.created_at = @cursor_at::timestamptz AND c.id > @cursor_id::bigint))
ORDER BY c.created_at, c.id
LIMIT @lim;

-- name: ConversationQueueCounts :many
-- Unsolved conversations per category under ConversationList's visibility.
SELECT c.category_id,
       COUNT(*)::bigint AS unsolved,
       SUM(CASE WHEN c.status = 'new' THEN 1 ELSE 0 END)::bigint AS new_count,
       SUM(CASE WHEN c.handler_id = @handler_id::bigint THEN 1 ELSE 0 END)::bigint AS mine,
       SUM(CASE WHEN c.status = 'waiting' THEN 1 ELSE 0 END)::bigint AS waiting,
       SUM(CASE WHEN c.awaiting_since < @stale_before::timestamptz THEN 1 ELSE 0 END)::bigint AS stale
FROM conversations c
WHERE c.tenant_id = @tenant_id
  AND c.status <> 'solved'
  AND (@all_of_tenant::boolean
       OR c.creator_id = @visible_to::bigint
       OR c.handler_id = @visible_to::bigint
       OR c.customer_assignee_id = @visible_to::bigint
       OR c.admin_id = @visible_to::bigint
       OR c.customer_company_id = ANY(@addressee_company_ids::bigint[])
       OR (EXISTS (SELECT 1 FROM conversation_roles cr
                   WHERE cr.conversation_id = c.id AND cr.role_id = ANY(@role_ids::bigint[]))
           AND (cardinality(@company_ids::bigint[]) = 0
                OR c.related_company_id = ANY(@company_ids::bigint[]))))
GROUP BY c.category_id
ORDER BY c.category_id;

-- name: ConversationCreated :one
-- The keyset position of a queue cursor.
SELECT created_at FROM conversations WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationUpdate :execrows
UPDATE conversations SET status = @status, handler_id = sqlc.narg(handler_id),
    customer_assignee_id = sqlc.narg(customer_assignee_id), admin_id = sqlc.narg(admin_id),
    related_company_id = sqlc.narg(related_company_id), related_user_id = sqlc.narg(related_user_id),
    external_emails = @external_emails, notify_admins = @notify_admins,
    last_activity_at = @last_activity_at, awaiting_since = sqlc.narg(awaiting_since)
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConversationRolesDelete :exec
DELETE FROM conversation_roles WHERE tenant_id = @tenant_id AND conversation_id = @conversation_id;

-- name: ConversationRolesInsert :exec
INSERT INTO conversation_roles (tenant_id, conversation_id, role_id)
SELECT @tenant_id, @conversation_id, unnest(@role_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: ConversationsExpired :many
SELECT c.id, c.tenant_id, c.subject, c.category_id, c.status, c.creator_id, c.handler_id,
       c.customer_assignee_id, c.admin_id, c.related_company_id, c.related_user_id,
       c.external_emails, c.notify_admins, c.last_activity_at, c.created_at,
       c.to_customer, c.customer_company_id, c.awaiting_since,
       COALESCE((SELECT array_agg(cr.role_id ORDER BY cr.role_id) FROM conversation_roles cr WHERE cr.conversation_id = c.id), '{}')::bigint[] AS role_ids,
       COALESCE(cs.last_seq, 0)::bigint AS last_seq
FROM conversations c
JOIN categories cat ON cat.id = c.category_id
LEFT JOIN channel_seqs cs ON cs.kind = 'conversation' AND cs.id = c.id
WHERE c.tenant_id = @tenant_id
  AND c.last_activity_at + make_interval(0, 0, 0, COALESCE(cat.retention_days, @retention_days::integer)) < @now::timestamptz
ORDER BY c.last_activity_at, c.id
LIMIT @lim;

-- name: ConversationLock :one
SELECT id FROM conversations WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ChannelDataDelete :exec
-- Removes everything kept about a channel except the conversation row:
-- outbox jobs, decisions, in-app notifications, drafts, read state, mutes,
-- messages (their events and attachments cascade) and the counter.
WITH jobs AS (
    DELETE FROM notify_jobs j WHERE j.tenant_id = @tenant_id AND j.channel_kind = @channel_kind AND j.channel_id = @channel_id
), decisions AS (
    DELETE FROM notify_decisions d WHERE d.tenant_id = @tenant_id AND d.channel_kind = @channel_kind AND d.channel_id = @channel_id
), notes AS (
    DELETE FROM notifications n WHERE n.tenant_id = @tenant_id AND n.channel_kind = @channel_kind AND n.channel_id = @channel_id
), drafts_gone AS (
    DELETE FROM drafts dr WHERE dr.tenant_id = @tenant_id AND dr.channel_kind = @channel_kind AND dr.channel_id = @channel_id
), reads AS (
    DELETE FROM read_states r WHERE r.tenant_id = @tenant_id AND r.channel_kind = @channel_kind AND r.channel_id = @channel_id
), muted AS (
    DELETE FROM mutes mu WHERE mu.tenant_id = @tenant_id AND mu.channel_kind = @channel_kind AND mu.channel_id = @channel_id
), msgs AS (
    DELETE FROM messages m WHERE m.tenant_id = @tenant_id AND m.channel_kind = @channel_kind AND m.channel_id = @channel_id
)
DELETE FROM channel_seqs s WHERE s.tenant_id = @tenant_id AND s.kind = @channel_kind AND s.id = @channel_id;

-- name: ConversationDelete :execrows
DELETE FROM conversations WHERE tenant_id = @tenant_id AND id = @id;

-- name: RetentionRunInsert :one
INSERT INTO retention_runs (tenant_id, started_at, deleted, node)
VALUES (@tenant_id, @started_at, @deleted, @node)
RETURNING id;

-- name: RetentionRunList :many
SELECT id, tenant_id, started_at, deleted, node FROM retention_runs
WHERE tenant_id = @tenant_id
ORDER BY started_at DESC, id DESC
LIMIT @lim;
