-- Messenger groups and topics.

-- name: GroupInsert :one
INSERT INTO groups (tenant_id, name, description, active, created_at)
VALUES (@tenant_id, @name, @description, @active, @created_at)
RETURNING id;

-- name: GroupGet :one
SELECT sqlc.embed(g),
       CAST((SELECT json_group_array(m.user_id) FROM group_members m WHERE m.group_id = g.id) AS TEXT) AS member_ids
FROM groups g
WHERE g.tenant_id = @tenant_id AND g.id = @id;

-- name: GroupList :many
-- member_id 0 lists every group of the tenant.
SELECT sqlc.embed(g),
       CAST((SELECT json_group_array(m.user_id) FROM group_members m WHERE m.group_id = g.id) AS TEXT) AS member_ids
FROM groups g
WHERE g.tenant_id = @tenant_id
  AND g.id > @after
  AND (CAST(@member_id AS INTEGER) = 0
       OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = @member_id))
ORDER BY g.id
LIMIT @lim;

-- name: GroupUpdate :execrows
UPDATE groups SET name = @name, description = @description, active = @active
WHERE tenant_id = @tenant_id AND id = @id;

-- name: GroupMembersDelete :exec
DELETE FROM group_members WHERE tenant_id = @tenant_id AND group_id = @group_id;

-- name: GroupMembersInsert :exec
-- @user_ids is a JSON array of ids.
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT @tenant_id, @group_id, j.value FROM json_each(CAST(@user_ids AS TEXT)) j WHERE true
ON CONFLICT DO NOTHING;

-- name: GroupIsMember :one
SELECT EXISTS (SELECT 1 FROM group_members
               WHERE tenant_id = @tenant_id AND group_id = @group_id AND user_id = @user_id);

-- name: TopicInsert :one
INSERT INTO topics (tenant_id, group_id, name, email_notify, notify_interval_seconds,
                    active, last_message_at, created_at)
VALUES (@tenant_id, @group_id, @name, @email_notify, @notify_interval_seconds,
        @active, @last_message_at, @created_at)
RETURNING id;

-- name: TopicGet :one
SELECT sqlc.embed(t),
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'topic' AND s.id = t.id AND s.tenant_id = t.tenant_id), 0) AS INTEGER) AS last_seq
FROM topics t
WHERE t.tenant_id = @tenant_id AND t.id = @id;

-- name: TopicListByGroups :many
SELECT sqlc.embed(t),
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'topic' AND s.id = t.id AND s.tenant_id = t.tenant_id), 0) AS INTEGER) AS last_seq
FROM topics t
WHERE t.tenant_id = @tenant_id
  AND t.group_id IN (SELECT value FROM json_each(CAST(@group_ids AS TEXT)))
  AND (NOT CAST(@active_only AS BOOLEAN) OR t.active)
ORDER BY t.id;

-- name: TopicUpdate :execrows
UPDATE topics SET name = @name, email_notify = @email_notify,
    notify_interval_seconds = @notify_interval_seconds, active = @active
WHERE tenant_id = @tenant_id AND id = @id;

-- name: TopicTouch :execrows
UPDATE topics SET last_message_at = @last_message_at WHERE tenant_id = @tenant_id AND id = @id;

-- name: TopicAccess :one
-- A topic with the facts that decide whether a user may read it
-- (chat.TopicReadAccess), in one query: the tenant's messenger switch, the
-- group's state and the user's membership.
SELECT sqlc.embed(t),
       CAST(COALESCE((SELECT s.last_seq FROM channel_seqs s
                      WHERE s.kind = 'topic' AND s.id = t.id AND s.tenant_id = t.tenant_id), 0) AS INTEGER) AS last_seq,
       CAST(COALESCE(json_extract(tn.settings, '$.messenger_enabled'), 0) AS INTEGER) AS messenger_enabled,
       CAST(g.active AS INTEGER) AS group_active,
       CAST(EXISTS (SELECT 1 FROM group_members gm
                    WHERE gm.group_id = g.id AND gm.user_id = @user_id) AS INTEGER) AS member
FROM topics t
JOIN tenants tn ON tn.id = t.tenant_id
JOIN groups g ON g.tenant_id = t.tenant_id AND g.id = t.group_id
WHERE t.tenant_id = @tenant_id AND t.id = @id;
