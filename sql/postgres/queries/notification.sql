-- name: NotifyJobInsert :one
INSERT INTO notify_jobs (tenant_id, user_id, via, reason, channel_kind, channel_id, message_id,
                         prev_message_at, due_at, attempts, created_at)
VALUES (@tenant_id, @user_id, @via, @reason, @channel_kind, @channel_id, @message_id,
        sqlc.narg(prev_message_at), @due_at, @attempts, @created_at)
RETURNING id;

-- name: NotifyJobClaim :many
-- Leases due jobs to this worker: rows another worker holds are skipped,
-- and a crashed worker's jobs come back when their lease (due_at) passes.
WITH due AS (
    SELECT nj.id FROM notify_jobs nj
    WHERE nj.due_at <= @now
    ORDER BY nj.due_at, nj.id
    LIMIT @lim
    FOR UPDATE SKIP LOCKED
)
UPDATE notify_jobs j SET due_at = @lease_until, attempts = j.attempts + 1
FROM due WHERE j.id = due.id
RETURNING j.id, j.tenant_id, j.user_id, j.via, j.reason, j.channel_kind, j.channel_id, j.message_id,
          j.prev_message_at, j.due_at, j.attempts, j.created_at;

-- name: NotifyJobRelease :execrows
-- Gives an untried claimed job back at once, uncounting the claim's
-- attempt. The claim is known by its attempt count and lease together: a
-- job released or claimed again since has a new lease and is left alone.
UPDATE notify_jobs SET due_at = @now, attempts = attempts - 1
WHERE id = @id AND attempts = @attempts AND due_at = @lease_until;

-- name: NotifyJobDelete :execrows
DELETE FROM notify_jobs WHERE id = @id;

-- name: NotifyJobRetry :execrows
UPDATE notify_jobs SET due_at = @due_at, last_error = @last_error WHERE id = @id;

-- name: NotifyJobBacklog :one
-- The outbox as monitoring reads it: each count stops at @lim rows (a scan
-- of at most that many), the oldest due time is one step of the due_at
-- index. No due job: oldest_due is the epoch.
SELECT
    (SELECT count(*) FROM (SELECT 1 FROM notify_jobs jp LIMIT @lim) p)::BIGINT AS pending,
    (SELECT count(*) FROM (SELECT 1 FROM notify_jobs jd WHERE jd.due_at <= @now LIMIT @lim) d)::BIGINT AS due,
    COALESCE((SELECT min(jo.due_at) FROM notify_jobs jo WHERE jo.due_at <= @now), 'epoch')::TIMESTAMPTZ AS oldest_due;

-- name: NotifyDecisionInsert :one
INSERT INTO notify_decisions (tenant_id, user_id, via, channel_kind, channel_id, message_id, reason,
                              outcome, detail, created_at)
VALUES (@tenant_id, @user_id, @via, @channel_kind, @channel_id, @message_id, @reason, @outcome,
        @detail, @created_at)
RETURNING id;

-- name: NotifyDecisionList :many
SELECT id, tenant_id, user_id, via, channel_kind, channel_id, message_id, reason, outcome, detail,
       created_at
FROM notify_decisions
WHERE tenant_id = @tenant_id
  AND (@user_id::bigint = 0 OR user_id = @user_id::bigint)
  AND (@message_id::bigint = 0 OR message_id = @message_id::bigint)
  AND id > @after
ORDER BY id
LIMIT @lim;

-- name: NotificationInsert :one
INSERT INTO notifications (tenant_id, user_id, kind, channel_kind, channel_id, message_id, title,
                           read_at, created_at)
VALUES (@tenant_id, @user_id, @kind, @channel_kind, @channel_id, sqlc.narg(message_id), @title,
        sqlc.narg(read_at), @created_at)
RETURNING id;

-- name: NotificationList :many
SELECT id, tenant_id, user_id, kind, channel_kind, channel_id, message_id, title, read_at,
       created_at
FROM notifications
WHERE tenant_id = @tenant_id AND user_id = @user_id AND id > @after
ORDER BY id
LIMIT @lim;

-- name: NotificationListNewest :many
-- Newest first, older than @before (0: from the newest).
SELECT id, tenant_id, user_id, kind, channel_kind, channel_id, message_id, title, read_at,
       created_at
FROM notifications
WHERE tenant_id = @tenant_id AND user_id = @user_id AND (@before::bigint = 0 OR id < @before::bigint)
ORDER BY id DESC
LIMIT @lim;

-- name: NotificationMarkRead :execrows
UPDATE notifications SET read_at = COALESCE(read_at, @read_at)
WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;

-- name: NotificationMarkAllRead :one
-- Marks every unread notification up to @up_to read; returns how many and
-- the highest id marked (0 when none).
WITH marked AS (
    UPDATE notifications SET read_at = @read_at
    WHERE tenant_id = @tenant_id AND user_id = @user_id AND id <= @up_to AND read_at IS NULL
    RETURNING id
)
SELECT count(*)::bigint AS n, COALESCE(max(id), 0)::bigint AS max_id FROM marked;

-- name: NotificationUnreadCount :one
SELECT count(*) FROM notifications
WHERE tenant_id = @tenant_id AND user_id = @user_id AND read_at IS NULL;

-- name: MuteInsert :exec
INSERT INTO mutes (tenant_id, user_id, channel_kind, channel_id)
VALUES (@tenant_id, @user_id, @channel_kind, @channel_id)
ON CONFLICT DO NOTHING;

-- name: MuteDelete :exec
DELETE FROM mutes
WHERE tenant_id = @tenant_id AND user_id = @user_id AND channel_kind = @channel_kind
  AND channel_id = @channel_id;

-- name: MuteGet :one
SELECT EXISTS (
    SELECT 1 FROM mutes
    WHERE tenant_id = @tenant_id AND user_id = @user_id AND channel_kind = @channel_kind
      AND channel_id = @channel_id
);

-- name: NotifyPrefsGet :one
SELECT tenant_id, user_id, mention_email, mention_push, topic_email, topic_push,
       conversation_email, conversation_push
FROM notify_prefs WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: NotifyPrefsUpsert :exec
INSERT INTO notify_prefs (tenant_id, user_id, mention_email, mention_push, topic_email, topic_push,
                          conversation_email, conversation_push)
VALUES (@tenant_id, @user_id, @mention_email, @mention_push, @topic_email, @topic_push,
        @conversation_email, @conversation_push)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET
    mention_email = excluded.mention_email, mention_push = excluded.mention_push,
    topic_email = excluded.topic_email, topic_push = excluded.topic_push,
    conversation_email = excluded.conversation_email, conversation_push = excluded.conversation_push;
