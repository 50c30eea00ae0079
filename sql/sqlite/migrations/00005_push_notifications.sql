-- +goose Up
-- Web Push: devices that receive pushes, per-kind delivery channels, and
-- which channel (email or push) an outbox job and a decision are about.

CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    -- The push service's URL for one browser: a capability, unique across
    -- the installation (a browser that logs in as someone else moves).
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (tenant_id, user_id, id);

-- One row per user who changed the defaults (everything on).
CREATE TABLE notify_prefs (
    tenant_id          INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    mention_email      BOOLEAN NOT NULL,
    mention_push       BOOLEAN NOT NULL,
    topic_email        BOOLEAN NOT NULL,
    topic_push         BOOLEAN NOT NULL,
    conversation_email BOOLEAN NOT NULL,
    conversation_push  BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE notify_jobs ADD COLUMN via TEXT NOT NULL DEFAULT 'email';
ALTER TABLE notify_decisions ADD COLUMN via TEXT NOT NULL DEFAULT 'email';

-- +goose Down
ALTER TABLE notify_decisions DROP COLUMN via;
ALTER TABLE notify_jobs DROP COLUMN via;
DROP TABLE notify_prefs;
DROP TABLE push_subscriptions;
