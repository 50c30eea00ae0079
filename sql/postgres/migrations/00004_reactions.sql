-- +goose Up
-- Emoji reactions on messages: one row per user, message and emoji. A
-- message's reactions go with it (ON DELETE CASCADE: retention, tenant
-- removal).
CREATE TABLE message_reactions (
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL,
    emoji      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- +goose Down
DROP TABLE message_reactions;
