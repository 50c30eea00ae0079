-- name: ChannelSeqNext :one
-- Takes the next seq of a topic or conversation of the tenant (or of a
-- conversation's internal notes, kind 'note'). The counter
-- row stays locked until commit, so seqs are gap-free and commit-ordered.
-- No row comes back for a channel the tenant does not have.
INSERT INTO channel_seqs AS cs (tenant_id, kind, id, last_seq)
SELECT @tenant_id::bigint, @kind::text, @id::bigint, 1
WHERE (@kind::text = 'topic'
       AND EXISTS (SELECT 1 FROM topics t WHERE t.tenant_id = @tenant_id::bigint AND t.id = @id::bigint))
   OR ((@kind::text = 'conversation' OR @kind::text = 'note')
       AND EXISTS (SELECT 1 FROM conversations c WHERE c.tenant_id = @tenant_id::bigint AND c.id = @id::bigint))
ON CONFLICT (kind, id) DO UPDATE SET last_seq = cs.last_seq + 1
WHERE cs.tenant_id = EXCLUDED.tenant_id
RETURNING cs.last_seq;

-- name: ChannelSeqGet :one
SELECT COALESCE((SELECT last_seq FROM channel_seqs
                 WHERE tenant_id = @tenant_id AND kind = @kind AND id = @id), 0)::bigint;

-- name: MessageInsert :one
INSERT INTO messages (tenant_id, channel_kind, channel_id, seq, author_id, client_msg_id, kind,
                      body, reply_to_id, mentions, created_at, external_author)
VALUES (@tenant_id, @channel_kind, @channel_id, @seq, @author_id, sqlc.narg(client_msg_id), @kind,
        @body, sqlc.narg(reply_to_id), @mentions, @created_at, @external_author)
-- A repeated client id returns no row instead of raising, so the caller's
-- transaction stays usable (as on SQLite).
ON CONFLICT (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
RETURNING id;

-- name: MessageGet :one
SELECT m.id, m.tenant_id, m.channel_kind, m.channel_id, m.seq, m.author_id,
       COALESCE(u.name, NULLIF(m.external_author, ''), '')::text AS author_name, m.client_msg_id, m.kind, m.body, m.reply_to_id,
       m.mentions, m.edited_at, m.deleted_at, m.created_at, m.external_author
FROM messages m
LEFT JOIN users u ON u.id = m.author_id
WHERE m.tenant_id = @tenant_id AND m.id = @id;

-- name: MessageByClientID :one
SELECT m.id, m.tenant_id, m.channel_kind, m.channel_id, m.seq, m.author_id,
       COALESCE(u.name, NULLIF(m.external_author, ''), '')::text AS author_name, m.client_msg_id, m.kind, m.body, m.reply_to_id,
       m.mentions, m.edited_at, m.deleted_at, m.created_at, m.external_author
FROM messages m
LEFT JOIN users u ON u.id = m.author_id
WHERE m.tenant_id = @tenant_id AND m.author_id = @author_id AND m.client_msg_id = @client_msg_id;

-- name: MessageEdit :execrows
UPDATE messages SET body = @body, edited_at = @edited_at
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL;

-- name: MessageTombstone :execrows
UPDATE messages SET body = '', mentions = '{}', deleted_at = COALESCE(deleted_at, @deleted_at)
WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageHistory :many
SELECT m.id, m.tenant_id, m.channel_kind, m.channel_id, m.seq, m.author_id,
       COALESCE(u.name, NULLIF(m.external_author, ''), '')::text AS author_name, m.client_msg_id, m.kind, m.body, m.reply_to_id,
       m.mentions, m.edited_at, m.deleted_at, m.created_at, m.external_author
FROM messages m
LEFT JOIN users u ON u.id = m.author_id
WHERE m.tenant_id = @tenant_id AND m.channel_kind = @channel_kind AND m.channel_id = @channel_id
  AND (@before_seq::bigint = 0 OR m.seq < @before_seq::bigint)
ORDER BY m.seq DESC
LIMIT @lim;

-- name: MessageSearch :many
SELECT m.id, m.tenant_id, m.channel_kind, m.channel_id, m.seq, m.author_id,
       COALESCE(u.name, NULLIF(m.external_author, ''), '')::text AS author_name, m.client_msg_id, m.kind, m.body, m.reply_to_id,
       m.mentions, m.edited_at, m.deleted_at, m.created_at, m.external_author
FROM messages m
LEFT JOIN users u ON u.id = m.author_id
WHERE m.tenant_id = @tenant_id
  AND m.deleted_at IS NULL
  AND ((m.channel_kind = 'topic' AND m.channel_id = ANY(@topic_ids::bigint[]))
       OR (m.channel_kind = 'conversation' AND m.channel_id = ANY(@conversation_ids::bigint[]))
       OR (m.channel_kind = 'note' AND m.channel_id = ANY(@note_ids::bigint[])))
  AND m.search @@ plainto_tsquery('simple', @query::text)
  AND (@author_id::bigint = 0 OR m.author_id = @author_id::bigint)
  AND m.created_at >= @created_after::timestamptz AND m.created_at < @created_before::timestamptz
ORDER BY m.id DESC
LIMIT @lim;

-- name: ChannelEventInsert :execrows
INSERT INTO channel_events (tenant_id, channel_kind, channel_id, seq, type, message_id, created_at)
SELECT @tenant_id, @channel_kind, @channel_id, @seq, @type, m.id, @created_at
FROM messages m WHERE m.tenant_id = @tenant_id AND m.id = @message_id;

-- name: ChannelEventsSince :many
SELECT e.seq AS event_seq, e.type AS event_type,
       m.id, m.tenant_id, m.channel_kind, m.channel_id, m.seq, m.author_id,
       COALESCE(u.name, NULLIF(m.external_author, ''), '')::text AS author_name, m.client_msg_id, m.kind, m.body, m.reply_to_id,
       m.mentions, m.edited_at, m.deleted_at, m.created_at, m.external_author
FROM channel_events e
JOIN messages m ON m.id = e.message_id
LEFT JOIN users u ON u.id = m.author_id
WHERE e.tenant_id = @tenant_id AND e.channel_kind = @channel_kind AND e.channel_id = @channel_id
  AND e.seq > @since
ORDER BY e.seq
LIMIT @lim;

-- name: ChannelEventsAfter :many
-- The catch-up read of many channels at once: for each (kind, id, after)
-- the events with after < seq <= after + lim (seqs are gap-free, so at
-- most lim per channel), by channel and seq.
SELECT e.seq AS event_seq, e.type AS event_type,
       m.id, m.tenant_id, m.channel_kind, m.channel_id, m.seq, m.author_id,
       COALESCE(u.name, NULLIF(m.external_author, ''), '')::text AS author_name, m.client_msg_id, m.kind, m.body, m.reply_to_id,
       m.mentions, m.edited_at, m.deleted_at, m.created_at, m.external_author
FROM (SELECT unnest(@channel_kinds::text[]) AS kind, unnest(@channel_ids::bigint[]) AS id,
             unnest(@afters::bigint[]) AS after) c
JOIN channel_events e ON e.channel_kind = c.kind AND e.channel_id = c.id
  AND e.seq > c.after AND e.seq <= c.after + @lim::bigint
JOIN messages m ON m.id = e.message_id
LEFT JOIN users u ON u.id = m.author_id
WHERE e.tenant_id = @tenant_id
ORDER BY e.channel_kind, e.channel_id, e.seq;

-- name: ReadStateSet :one
-- The marker only moves forward.
INSERT INTO read_states AS rs (tenant_id, user_id, channel_kind, channel_id, seq)
VALUES (@tenant_id, @user_id, @channel_kind, @channel_id, @seq)
ON CONFLICT (user_id, channel_kind, channel_id)
DO UPDATE SET seq = GREATEST(rs.seq, EXCLUDED.seq)
WHERE rs.tenant_id = EXCLUDED.tenant_id
RETURNING rs.seq;

-- name: ReadStateList :many
SELECT channel_kind, channel_id, user_id, seq FROM read_states
WHERE tenant_id = @tenant_id AND user_id = @user_id
  AND ((channel_kind = 'topic' AND channel_id = ANY(@topic_ids::bigint[]))
       OR (channel_kind = 'conversation' AND channel_id = ANY(@conversation_ids::bigint[])))
ORDER BY channel_kind, channel_id;

-- name: AttachmentInsert :one
INSERT INTO attachments (tenant_id, uploader_id, filename, content_type, size, data, created_at,
                         image_width, image_height, thumbnail_type, thumbnail)
VALUES (@tenant_id, @uploader_id, @filename, @content_type, @size, @data, @created_at,
        @image_width, @image_height, @thumbnail_type, sqlc.narg(thumbnail))
RETURNING id;

-- name: AttachmentGet :one
SELECT id, tenant_id, message_id, uploader_id, filename, content_type, size, created_at,
       image_width, image_height, thumbnail_type
FROM attachments WHERE tenant_id = @tenant_id AND id = @id;

-- name: AttachmentData :one
SELECT data FROM attachments WHERE tenant_id = @tenant_id AND id = @id;

-- name: AttachmentThumbnail :one
SELECT thumbnail FROM attachments WHERE tenant_id = @tenant_id AND id = @id AND thumbnail IS NOT NULL;

-- name: AttachmentListByMessages :many
SELECT id, tenant_id, message_id, uploader_id, filename, content_type, size, created_at,
       image_width, image_height, thumbnail_type
FROM attachments
WHERE tenant_id = @tenant_id AND message_id = ANY(@message_ids::bigint[])
ORDER BY id;

-- name: AttachmentLink :execrows
-- Claims unlinked uploads of the tenant for a message.
UPDATE attachments SET message_id = @message_id
WHERE tenant_id = @tenant_id AND id = ANY(@ids::bigint[]) AND message_id IS NULL;

-- name: AttachmentThumbnailSet :exec
-- Records the thumbnail made later for an image uploaded before
-- thumbnails (or NoThumbnail when none can be made); the first writer
-- wins, a racing node made the same one.
UPDATE attachments SET image_width = @image_width, image_height = @image_height,
    thumbnail_type = @thumbnail_type, thumbnail = sqlc.narg(thumbnail)
WHERE tenant_id = @tenant_id AND id = @id AND thumbnail_type = '';

-- name: AttachmentDeleteByMessage :exec
DELETE FROM attachments WHERE tenant_id = @tenant_id AND message_id = @message_id;

-- name: AttachmentDeleteUnlinked :execrows
DELETE FROM attachments WHERE message_id IS NULL AND created_at < @before;

-- name: DraftInsert :one
INSERT INTO drafts (tenant_id, user_id, channel_kind, channel_id, subject, body, data, updated_at)
VALUES (@tenant_id, @user_id, sqlc.narg(channel_kind), sqlc.narg(channel_id), @subject, @body, @data, @updated_at)
RETURNING id;

-- name: DraftUpdate :execrows
UPDATE drafts SET channel_kind = sqlc.narg(channel_kind), channel_id = sqlc.narg(channel_id),
    subject = @subject, body = @body, data = @data, updated_at = @updated_at
WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;

-- name: DraftGet :one
SELECT id, tenant_id, user_id, channel_kind, channel_id, subject, body, data, updated_at
FROM drafts WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;

-- name: DraftList :many
SELECT id, tenant_id, user_id, channel_kind, channel_id, subject, body, data, updated_at
FROM drafts WHERE tenant_id = @tenant_id AND user_id = @user_id
ORDER BY id;

-- name: DraftDelete :execrows
DELETE FROM drafts WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;

-- name: TopicPostBatch :many
-- Plain text posts to topics (Store.TopicPostBatch) in one statement, so
-- one transaction and one commit. Element k (from 1) of the arrays is post
-- ord k; an empty client id is none. Per post: the topic read rule
-- (chat.TopicReadAccess.Allows: messenger on, topic and group active,
-- author a member; the one place this engine writes it, held to the Go
-- rule by storetest's topic access table), the topic's next seq, the
-- message, its event, the topic's message time, and the notification job
-- when the topic emails (with the topic's previous message time, read once
-- the counter row is held: see prev). Rows come back (ord, id, seq) for
-- the stored posts; a post whose author may not read its topic is left out
-- and writes nothing. Seqs of one topic follow ord. The counter rows are locked in
-- topic order and all before any message is written (the ORDER BY of the
-- message insert needs every seq first), and a topic's row is locked and
-- updated only by the holder of its counter row, so concurrent batches and transactions
-- of the general path cannot deadlock. Any error (a used client id) fails
-- the whole statement and writes nothing: seqs stay gap-free.
WITH input AS (
    SELECT k.k AS ord, (@tenant_ids::bigint[])[k.k] AS tenant_id, (@topic_ids::bigint[])[k.k] AS topic_id,
           (@author_ids::bigint[])[k.k] AS author_id, NULLIF((@client_msg_ids::text[])[k.k], '') AS client_msg_id,
           (@bodies::text[])[k.k] AS body, (@created_ats::timestamptz[])[k.k] AS created_at
    FROM generate_series(1, cardinality(@tenant_ids::bigint[])) AS k(k)
), access AS (
    -- Per post, by primary keys (LIMIT 1 keeps the planner from joining
    -- whole tables for what it takes to be many posts).
    SELECT i.ord, i.tenant_id, i.topic_id, i.author_id, i.client_msg_id, i.body, i.created_at,
           x.email_notify
    FROM input i
    CROSS JOIN LATERAL (
        SELECT t.email_notify
        FROM topics t
        JOIN tenants tn ON tn.id = t.tenant_id
        JOIN groups g ON g.tenant_id = t.tenant_id AND g.id = t.group_id
        WHERE t.tenant_id = i.tenant_id AND t.id = i.topic_id AND t.active AND g.active
          AND COALESCE((tn.settings ->> 'messenger_enabled')::boolean, false)
          AND EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = i.author_id)
        LIMIT 1
    ) x
), counts AS (
    SELECT a.tenant_id, a.topic_id, count(*) AS n FROM access a GROUP BY a.tenant_id, a.topic_id
), next AS (
    INSERT INTO channel_seqs AS cs (tenant_id, kind, id, last_seq)
    SELECT c.tenant_id, 'topic', c.topic_id, c.n FROM counts c ORDER BY c.topic_id
    ON CONFLICT (kind, id) DO UPDATE SET last_seq = cs.last_seq + EXCLUDED.last_seq
    WHERE cs.tenant_id = EXCLUDED.tenant_id
    RETURNING cs.id AS topic_id, cs.last_seq
), prev AS (
    -- The topic's message time as its previous message's writer left it:
    -- read with a row lock once its counter row is held (the join with
    -- next), because the statement's snapshot predates the commits of the
    -- batches it waited for there, and a locking read sees the newest
    -- version. Taken after the counter row, as the touch below and the
    -- general path take it, so it adds no lock order.
    SELECT t.id AS topic_id, t.last_message_at
    FROM topics t JOIN next nx ON nx.topic_id = t.id
    FOR NO KEY UPDATE OF t
), seqd AS (
    SELECT a.ord, a.tenant_id, a.topic_id, a.author_id, a.client_msg_id, a.body, a.created_at, a.email_notify,
           (nx.last_seq - c.n + row_number() OVER (PARTITION BY a.topic_id ORDER BY a.ord))::bigint AS seq,
           COALESCE(lag(a.created_at) OVER (PARTITION BY a.topic_id ORDER BY a.ord), p.last_message_at) AS prev_message_at,
           row_number() OVER (PARTITION BY a.topic_id ORDER BY a.ord DESC) = 1 AS newest
    FROM access a
    JOIN counts c ON c.topic_id = a.topic_id
    JOIN next nx ON nx.topic_id = a.topic_id
    JOIN prev p ON p.topic_id = a.topic_id
), msg AS (
    INSERT INTO messages (tenant_id, channel_kind, channel_id, seq, author_id, client_msg_id, kind, body, created_at)
    SELECT s.tenant_id, 'topic', s.topic_id, s.seq, s.author_id, s.client_msg_id, 'text', s.body, s.created_at
    FROM seqd s ORDER BY s.ord
    RETURNING id, channel_id, seq
), ev AS (
    INSERT INTO channel_events (tenant_id, channel_kind, channel_id, seq, type, message_id, created_at)
    SELECT s.tenant_id, 'topic', s.topic_id, s.seq, @event_type::text, m.id, s.created_at
    FROM msg m JOIN seqd s ON s.topic_id = m.channel_id AND s.seq = m.seq
    RETURNING 1
), touch AS (
    UPDATE topics t SET last_message_at = s.created_at
    FROM seqd s
    WHERE s.newest AND t.tenant_id = s.tenant_id AND t.id = s.topic_id AND EXISTS (SELECT 1 FROM msg)
    RETURNING 1
), job AS (
    INSERT INTO notify_jobs (tenant_id, user_id, reason, channel_kind, channel_id, message_id,
                             prev_message_at, due_at, attempts, created_at)
    SELECT s.tenant_id, 0, @email_reason::text, 'topic', s.topic_id, m.id,
           s.prev_message_at, s.created_at, 0, @job_created_at::timestamptz
    FROM msg m JOIN seqd s ON s.topic_id = m.channel_id AND s.seq = m.seq
    WHERE s.email_notify
    RETURNING id
)
SELECT s.ord::bigint AS ord, m.id, m.seq
FROM msg m JOIN seqd s ON s.topic_id = m.channel_id AND s.seq = m.seq;
