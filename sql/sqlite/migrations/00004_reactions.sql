-- +goose Up
-- Emoji reactions on messages: one row per user, message and emoji. A
-- message's reactions go with it (ON DELETE CASCADE: retention, tenant
-- removal).
CREATE TABLE message_reactions (
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    emoji      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- +goose Down
DROP TABLE message_reactions;
