-- Threads: sequence counters, messages, events, read state, search,
-- attachments and drafts.

-- name: ChannelSeqNext :one
-- Only a topic or conversation of the tenant has a counter (a
-- conversation's internal notes, kind 'note', have one of their own), so
-- no tenant can create or move another tenant's counter row.
INSERT INTO channel_seqs (tenant_id, kind, id, last_seq)
SELECT @tenant_id, @kind, @id, 1
WHERE (@kind = 'topic'
       AND EXISTS (SELECT 1 FROM topics t WHERE t.tenant_id = @tenant_id AND t.id = @id))
   OR ((@kind = 'conversation' OR @kind = 'note')
       AND EXISTS (SELECT 1 FROM conversations c WHERE c.tenant_id = @tenant_id AND c.id = @id))
ON CONFLICT (kind, id) DO UPDATE SET last_seq = channel_seqs.last_seq + 1
    WHERE channel_seqs.tenant_id = excluded.tenant_id
RETURNING last_seq;

-- name: ChannelSeqGet :one
SELECT CAST(COALESCE((SELECT last_seq FROM channel_seqs
                      WHERE tenant_id = @tenant_id AND kind = @kind AND id = @id), 0) AS INTEGER);

-- name: MessageInsert :one
INSERT INTO messages (tenant_id, channel_kind, channel_id, seq, author_id, client_msg_id,
                      kind, body, reply_to_id, mentions, created_at, external_author)
VALUES (@tenant_id, @channel_kind, @channel_id, @seq, @author_id, @client_msg_id,
        @kind, @body, @reply_to_id, @mentions, @created_at, @external_author)
RETURNING id;

-- name: MessageGet :one
SELECT sqlc.embed(m), COALESCE(u.name, NULLIF(m.external_author, ''), '') AS author_name
FROM messages m
LEFT JOIN users u ON u.id = m.author_id AND u.tenant_id = m.tenant_id
WHERE m.tenant_id = @tenant_id AND m.id = @id;

-- name: MessageByClientID :one
SELECT sqlc.embed(m), COALESCE(u.name, NULLIF(m.external_author, ''), '') AS author_name
FROM messages m
LEFT JOIN users u ON u.id = m.author_id AND u.tenant_id = m.tenant_id
WHERE m.tenant_id = @tenant_id AND m.author_id = @author_id AND m.client_msg_id = @client_msg_id;

-- name: MessageClientIDUsed :one
-- Whether the author used the client id before: a topic post checks it
-- before it takes a seq (a failed insert would leave the seq taken).
SELECT CAST(EXISTS (SELECT 1 FROM messages
                    WHERE author_id = @author_id AND client_msg_id = @client_msg_id) AS INTEGER) AS used;

-- name: MessageEdit :execrows
-- A tombstone is final: it cannot be edited back to life.
UPDATE messages SET body = @body, edited_at = @edited_at
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL;

-- name: MessageTombstone :execrows
-- Deleting twice keeps the first deletion time.
UPDATE messages SET body = '', mentions = '[]', deleted_at = COALESCE(deleted_at, @deleted_at)
WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageHistory :many
SELECT sqlc.embed(m), COALESCE(u.name, NULLIF(m.external_author, ''), '') AS author_name
FROM messages m
LEFT JOIN users u ON u.id = m.author_id AND u.tenant_id = m.tenant_id
WHERE m.tenant_id = @tenant_id AND m.channel_kind = @channel_kind AND m.channel_id = @channel_id
  AND m.seq < @before_seq
ORDER BY m.seq DESC
LIMIT @lim;

-- name: ChannelEventInsert :execrows
-- Inserts nothing for a message of another tenant.
INSERT INTO channel_events (tenant_id, channel_kind, channel_id, seq, type, message_id, created_at)
SELECT @tenant_id, @channel_kind, @channel_id, @seq, @type, m.id, @created_at
FROM messages m
WHERE m.tenant_id = @tenant_id AND m.id = @message_id;

-- name: ChannelEventsSince :many
SELECT e.seq AS event_seq, e.type AS event_type, sqlc.embed(m), COALESCE(u.name, NULLIF(m.external_author, ''), '') AS author_name
FROM channel_events e
JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
LEFT JOIN users u ON u.id = m.author_id AND u.tenant_id = m.tenant_id
WHERE e.tenant_id = @tenant_id AND e.channel_kind = @channel_kind AND e.channel_id = @channel_id
  AND e.seq > @since
ORDER BY e.seq
LIMIT @lim;

-- name: ChannelEventsAfter :many
-- The catch-up read of many channels at once. cursors is a JSON array of
-- [kind, id, after]; for each, the events with after < seq <= after + lim
-- (seqs are gap-free, so at most lim per channel), by channel and seq.
SELECT e.seq AS event_seq, e.type AS event_type, sqlc.embed(m), COALESCE(u.name, NULLIF(m.external_author, ''), '') AS author_name
FROM json_each(CAST(@cursors AS TEXT)) c
JOIN channel_events e ON e.channel_kind = json_extract(c.value, '$[0]') AND e.channel_id = json_extract(c.value, '$[1]')
  AND e.seq > json_extract(c.value, '$[2]') AND e.seq <= json_extract(c.value, '$[2]') + CAST(@lim AS INTEGER)
JOIN messages m ON m.id = e.message_id AND m.tenant_id = e.tenant_id
LEFT JOIN users u ON u.id = m.author_id AND u.tenant_id = m.tenant_id
WHERE e.tenant_id = @tenant_id
ORDER BY e.channel_kind, e.channel_id, e.seq;

-- name: ReadStateSet :one
-- The marker only moves forward; a row of another tenant is left alone
-- and returns no row.
INSERT INTO read_states (tenant_id, user_id, channel_kind, channel_id, seq)
VALUES (@tenant_id, @user_id, @channel_kind, @channel_id, @seq)
ON CONFLICT (user_id, channel_kind, channel_id) DO UPDATE
    SET seq = max(read_states.seq, excluded.seq)
    WHERE read_states.tenant_id = excluded.tenant_id
RETURNING seq;

-- name: ReadStateList :many
-- channels is a JSON array of "kind:id" strings.
SELECT * FROM read_states
WHERE tenant_id = @tenant_id AND user_id = @user_id
  AND channel_kind || ':' || channel_id IN (SELECT value FROM json_each(CAST(@channels AS TEXT)))
ORDER BY channel_kind, channel_id;

-- name: MessageSearch :many
-- query is an FTS5 expression built from quoted words only.
SELECT sqlc.embed(m), COALESCE(u.name, NULLIF(m.external_author, ''), '') AS author_name
FROM messages_fts f
JOIN messages m ON m.id = f.rowid
LEFT JOIN users u ON u.id = m.author_id AND u.tenant_id = m.tenant_id
WHERE f.body MATCH @query
  AND m.tenant_id = @tenant_id
  AND m.deleted_at IS NULL
  AND ((m.channel_kind = 'topic'
        AND m.channel_id IN (SELECT value FROM json_each(CAST(@topic_ids AS TEXT))))
    OR (m.channel_kind = 'conversation'
        AND m.channel_id IN (SELECT value FROM json_each(CAST(@conversation_ids AS TEXT))))
    OR (m.channel_kind = 'note'
        AND m.channel_id IN (SELECT value FROM json_each(CAST(@note_ids AS TEXT)))))
  AND (CAST(@author_id AS INTEGER) = 0 OR m.author_id = CAST(@author_id AS INTEGER))
  AND m.created_at >= CAST(@created_after AS INTEGER) AND m.created_at < CAST(@created_before AS INTEGER)
ORDER BY m.id DESC
LIMIT @lim;

-- name: AttachmentInsert :one
INSERT INTO attachments (tenant_id, uploader_id, filename, content_type, size, data, created_at,
                         image_width, image_height, thumbnail_type, thumbnail)
VALUES (@tenant_id, @uploader_id, @filename, @content_type, @size, @data, @created_at,
        @image_width, @image_height, @thumbnail_type, sqlc.narg(thumbnail))
RETURNING id;

-- name: AttachmentLink :execrows
-- Claims unlinked uploads of the tenant for a message.
UPDATE attachments SET message_id = @message_id
WHERE tenant_id = @tenant_id AND message_id IS NULL
  AND id IN (SELECT value FROM json_each(CAST(@ids AS TEXT)));

-- name: AttachmentGet :one
SELECT id, tenant_id, message_id, uploader_id, filename, content_type, size, created_at,
       image_width, image_height, thumbnail_type
FROM attachments
WHERE tenant_id = @tenant_id AND id = @id;

-- name: AttachmentListByMessages :many
SELECT id, tenant_id, message_id, uploader_id, filename, content_type, size, created_at,
       image_width, image_height, thumbnail_type
FROM attachments
WHERE tenant_id = @tenant_id
  AND message_id IN (SELECT value FROM json_each(CAST(@message_ids AS TEXT)))
ORDER BY id;

-- name: AttachmentData :one
SELECT data FROM attachments WHERE tenant_id = @tenant_id AND id = @id;

-- name: AttachmentThumbnail :one
SELECT thumbnail FROM attachments WHERE tenant_id = @tenant_id AND id = @id AND thumbnail IS NOT NULL;

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
VALUES (@tenant_id, @user_id, @channel_kind, @channel_id, @subject, @body, @data, @updated_at)
RETURNING id;

-- name: DraftUpdate :execrows
UPDATE drafts SET channel_kind = @channel_kind, channel_id = @channel_id, subject = @subject,
    body = @body, data = @data, updated_at = @updated_at
WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;

-- name: DraftGet :one
SELECT * FROM drafts WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;

-- name: DraftList :many
SELECT * FROM drafts WHERE tenant_id = @tenant_id AND user_id = @user_id ORDER BY id;

-- name: DraftDelete :execrows
DELETE FROM drafts WHERE tenant_id = @tenant_id AND user_id = @user_id AND id = @id;
