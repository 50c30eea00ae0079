-- +goose Up
-- Parley's schema for SQLite, mirroring sql/postgres/migrations/00001_init.sql
-- table for table. Differences, all forced by SQLite's types:
--   * ids are INTEGER PRIMARY KEY AUTOINCREMENT, so an id is never reused
--     after a delete (as with a Postgres sequence);
--   * times are INTEGER microseconds since the Unix epoch, UTC: they compare
--     as numbers and round-trip exactly at Postgres's precision;
--   * arrays (mentions, external_emails) and settings are JSON text;
--   * message search is an external-content FTS5 table kept in step with
--     messages by triggers.
-- Every row of tenant data carries tenant_id, and every query filters by it.

CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE TABLE companies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE roles (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key       TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL,
    handler   BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX roles_tenant_key ON roles (tenant_id, key) WHERE key <> '';

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id           INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    locale              TEXT NOT NULL DEFAULT 'en',
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    superuser           BOOLEAN NOT NULL DEFAULT FALSE,
    manager_id          INTEGER,
    email_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash       TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    UNIQUE (tenant_id, id),
    -- A manager is a user of the same tenant.
    FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE user_companies (
    tenant_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, company_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_companies_company ON user_companies (company_id);

CREATE TABLE user_roles (
    tenant_id INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    role_id   INTEGER NOT NULL,
    PRIMARY KEY (user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    tenant_id    INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    key       TEXT NOT NULL,
    failed_at INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

-- Messenger.

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE group_members (
    tenant_id INTEGER NOT NULL,
    group_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE topics (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id               INTEGER NOT NULL,
    group_id                INTEGER NOT NULL,
    name                    TEXT NOT NULL,
    email_notify            BOOLEAN NOT NULL DEFAULT FALSE,
    notify_interval_seconds INTEGER NOT NULL DEFAULT 0,
    active                  BOOLEAN NOT NULL DEFAULT TRUE,
    last_message_at         INTEGER,
    created_at              INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX topics_group ON topics (group_id);

-- Threads. A channel is (kind, id) of a topic or a conversation; its
-- counter row hands out gap-free, commit-ordered sequence numbers (every
-- write transaction begins IMMEDIATE, so the counter is taken under the
-- database's single write lock).

CREATE TABLE channel_seqs (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    id        INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    channel_kind  TEXT NOT NULL,
    channel_id    INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    author_id     INTEGER NOT NULL,
    client_msg_id TEXT,
    kind          TEXT NOT NULL DEFAULT 'text',
    body          TEXT NOT NULL DEFAULT '',
    reply_to_id   INTEGER,
    mentions      TEXT NOT NULL DEFAULT '[]',
    edited_at     INTEGER,
    deleted_at    INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (channel_kind, channel_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

-- Search: the words of message bodies. remove_diacritics 0 keeps "ä" and
-- "a" apart, like Postgres's 'simple' configuration.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd

CREATE TABLE channel_events (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    channel_kind TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    type         TEXT NOT NULL,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_kind, channel_id, seq)
);
CREATE INDEX channel_events_message ON channel_events (message_id);

CREATE TABLE read_states (
    tenant_id    INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel_kind, channel_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    message_id   INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    uploader_id  INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE drafts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    channel_kind  TEXT,
    channel_id    INTEGER,
    subject       TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX drafts_user ON drafts (user_id);

-- Support conversations.

CREATE TABLE categories (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name_en        TEXT NOT NULL,
    name_fi        TEXT NOT NULL,
    retention_days INTEGER,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (tenant_id, id)
);

CREATE TABLE category_roles (
    tenant_id   INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    role_id     INTEGER NOT NULL,
    PRIMARY KEY (category_id, role_id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE conversations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id            INTEGER NOT NULL,
    subject              TEXT NOT NULL,
    category_id          INTEGER NOT NULL,
    status               TEXT NOT NULL,
    creator_id           INTEGER NOT NULL,
    handler_id           INTEGER,
    customer_assignee_id INTEGER,
    admin_id             INTEGER,
    related_company_id   INTEGER,
    related_user_id      INTEGER,
    external_emails      TEXT NOT NULL DEFAULT '[]',
    notify_admins        BOOLEAN NOT NULL DEFAULT FALSE,
    last_activity_at     INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id)
);
CREATE INDEX conversations_activity ON conversations (tenant_id, last_activity_at DESC, id DESC);

CREATE TABLE conversation_roles (
    tenant_id       INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role_id         INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, role_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_roles_role ON conversation_roles (role_id);

CREATE TABLE retention_runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    node       TEXT NOT NULL DEFAULT ''
);

-- Notifications.

CREATE TABLE notify_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    channel_kind    TEXT NOT NULL,
    channel_id      INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    prev_message_at INTEGER,
    due_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX notify_jobs_due ON notify_jobs (due_at);

CREATE TABLE notify_decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX notify_decisions_lookup ON notify_decisions (tenant_id, user_id, message_id);

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    message_id   INTEGER,
    title        TEXT NOT NULL,
    read_at      INTEGER,
    created_at   INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);

CREATE TABLE mutes (
    tenant_id    INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel_kind, channel_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE mutes;
DROP TABLE notifications;
DROP TABLE notify_decisions;
DROP TABLE notify_jobs;
DROP TABLE retention_runs;
DROP TABLE conversation_roles;
DROP TABLE conversations;
DROP TABLE category_roles;
DROP TABLE categories;
DROP TABLE drafts;
DROP TABLE attachments;
DROP TABLE read_states;
DROP TABLE channel_events;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE messages_fts;
DROP TABLE messages;
DROP TABLE channel_seqs;
DROP TABLE topics;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE user_companies;
DROP TABLE users;
DROP TABLE roles;
DROP TABLE companies;
DROP TABLE tenants;
