-- name: GroupInsert :one
INSERT INTO groups (tenant_id, name, description, active, created_at)
VALUES (@tenant_id, @name, @description, @active, @created_at)
RETURNING id;

-- name: GroupGet :one
SELECT g.id, g.tenant_id, g.name, g.description, g.active, g.created_at,
       COALESCE((SELECT array_agg(gm.user_id ORDER BY gm.user_id) FROM group_members gm WHERE gm.group_id = g.id), '{}')::bigint[] AS member_ids
FROM groups g
WHERE g.tenant_id = @tenant_id AND g.id = @id;

-- name: GroupList :many
SELECT g.id, g.tenant_id, g.name, g.description, g.active, g.created_at,
       COALESCE((SELECT array_agg(gm.user_id ORDER BY gm.user_id) FROM group_members gm WHERE gm.group_id = g.id), '{}')::bigint[] AS member_ids
FROM groups g
WHERE g.tenant_id = @tenant_id
  AND g.id > @after
  AND (@member_id::bigint = 0 OR EXISTS (
        SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = @member_id::bigint))
ORDER BY g.id
LIMIT @lim;

-- name: GroupUpdate :execrows
UPDATE groups SET name = @name, description = @description, active = @active
WHERE tenant_id = @tenant_id AND id = @id;

-- name: GroupLock :one
-- Locks the group row so that concurrent member replacements serialise.
SELECT id FROM groups WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: GroupMembersDelete :exec
DELETE FROM group_members WHERE tenant_id = @tenant_id AND group_id = @group_id;

-- name: GroupMembersInsert :exec
INSERT INTO group_members (tenant_id, group_id, user_id)
SELECT @tenant_id, @group_id, unnest(@user_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: GroupIsMember :one
SELECT EXISTS (
    SELECT 1 FROM group_members
    WHERE tenant_id = @tenant_id AND group_id = @group_id AND user_id = @user_id
);

-- name: TopicInsert :one
INSERT INTO topics (tenant_id, group_id, name, email_notify, notify_interval_seconds, active,
                    last_message_at, created_at)
VALUES (@tenant_id, @group_id, @name, @email_notify, @notify_interval_seconds, @active,
        sqlc.narg(last_message_at), @created_at)
RETURNING id;

-- name: TopicGet :one
SELECT t.id, t.tenant_id, t.group_id, t.name, t.email_notify, t.notify_interval_seconds,
       t.active, t.last_message_at, t.created_at, COALESCE(cs.last_seq, 0)::bigint AS last_seq
FROM topics t
LEFT JOIN channel_seqs cs ON cs.kind = 'topic' AND cs.id = t.id
WHERE t.tenant_id = @tenant_id AND t.id = @id;

-- name: TopicListByGroups :many
SELECT t.id, t.tenant_id, t.group_id, t.name, t.email_notify, t.notify_interval_seconds,
       t.active, t.last_message_at, t.created_at, COALESCE(cs.last_seq, 0)::bigint AS last_seq
FROM topics t
LEFT JOIN channel_seqs cs ON cs.kind = 'topic' AND cs.id = t.id
WHERE t.tenant_id = @tenant_id
  AND t.group_id = ANY(@group_ids::bigint[])
  AND (NOT @active_only::boolean OR t.active)
ORDER BY t.id;

-- name: TopicUpdate :execrows
UPDATE topics SET name = @name, email_notify = @email_notify,
    notify_interval_seconds = @notify_interval_seconds, active = @active
WHERE tenant_id = @tenant_id AND id = @id;

-- name: TopicTouch :execrows
UPDATE topics SET last_message_at = @last_message_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: TopicAccess :one
-- A topic with everything that decides whether a user may read it, in one
-- round trip (the publish path runs it for every message): the tenant's
-- messenger switch, the group's state and the user's membership, without
-- loading the group's member list.
SELECT t.id, t.tenant_id, t.group_id, t.name, t.email_notify, t.notify_interval_seconds,
       t.active, t.last_message_at, t.created_at, COALESCE(cs.last_seq, 0)::bigint AS last_seq,
       COALESCE((tn.settings ->> 'messenger_enabled')::boolean, false)::boolean AS messenger_enabled,
       g.active AS group_active,
       EXISTS (SELECT 1 FROM group_members gm
               WHERE gm.group_id = g.id AND gm.user_id = @user_id::bigint)::boolean AS member
FROM topics t
JOIN tenants tn ON tn.id = t.tenant_id
JOIN groups g ON g.tenant_id = t.tenant_id AND g.id = t.group_id
LEFT JOIN channel_seqs cs ON cs.kind = 'topic' AND cs.id = t.id
WHERE t.tenant_id = @tenant_id AND t.id = @id;
