-- +goose Up
-- Reply by email from a conversation's external participants
-- (docs/notifications.md "Reply by email"): such a message has no user
-- author (author_id 0) and names the address it came from here; '' for
-- every message written by a user.
ALTER TABLE messages ADD COLUMN external_author TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN external_author;
