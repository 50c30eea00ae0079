-- +goose Up
-- Parley's schema. Every row of tenant data carries tenant_id, and every
-- query filters by it.

CREATE TABLE tenants (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    settings   JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE companies (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE roles (
    id        BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key       TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL,
    handler   BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX roles_tenant_key ON roles (tenant_id, key) WHERE key <> '';

CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    tenant_id           BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    locale              TEXT NOT NULL DEFAULT 'en',
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    superuser           BOOLEAN NOT NULL DEFAULT FALSE,
    manager_id          BIGINT,
    email_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash       TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id),
    -- A manager is a user of the same tenant.
    FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE user_companies (
    tenant_id  BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    company_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, company_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_companies_company ON user_companies (company_id);

CREATE TABLE user_roles (
    tenant_id BIGINT NOT NULL,
    user_id   BIGINT NOT NULL,
    role_id   BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    tenant_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id        BIGSERIAL PRIMARY KEY,
    key       TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

-- Messenger.

CREATE TABLE groups (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE group_members (
    tenant_id BIGINT NOT NULL,
    group_id  BIGINT NOT NULL,
    user_id   BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE topics (
    id                      BIGSERIAL PRIMARY KEY,
    tenant_id               BIGINT NOT NULL,
    group_id                BIGINT NOT NULL,
    name                    TEXT NOT NULL,
    email_notify            BOOLEAN NOT NULL DEFAULT FALSE,
    notify_interval_seconds BIGINT NOT NULL DEFAULT 0,
    active                  BOOLEAN NOT NULL DEFAULT TRUE,
    last_message_at         TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX topics_group ON topics (group_id);

-- Threads. A channel is (kind, id) of a topic or a conversation; its
-- counter row hands out gap-free, commit-ordered sequence numbers.

CREATE TABLE channel_seqs (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    id        BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
);

CREATE TABLE messages (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    channel_kind  TEXT NOT NULL,
    channel_id    BIGINT NOT NULL,
    seq           BIGINT NOT NULL,
    author_id     BIGINT NOT NULL,
    client_msg_id TEXT,
    kind          TEXT NOT NULL DEFAULT 'text',
    body          TEXT NOT NULL DEFAULT '',
    reply_to_id   BIGINT,
    mentions      BIGINT[] NOT NULL DEFAULT '{}',
    edited_at     TIMESTAMPTZ,
    deleted_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    search        TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    UNIQUE (channel_kind, channel_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages (author_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
CREATE INDEX messages_search ON messages USING GIN (search);

CREATE TABLE channel_events (
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    channel_kind TEXT NOT NULL,
    channel_id   BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    type         TEXT NOT NULL,
    message_id   BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_kind, channel_id, seq)
);
CREATE INDEX channel_events_message ON channel_events (message_id);

CREATE TABLE read_states (
    tenant_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_kind, channel_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE attachments (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    message_id   BIGINT REFERENCES messages(id) ON DELETE CASCADE,
    uploader_id  BIGINT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE drafts (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,
    channel_kind  TEXT,
    channel_id    BIGINT,
    subject       TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX drafts_user ON drafts (user_id);

-- Support conversations.

CREATE TABLE categories (
    id             BIGSERIAL PRIMARY KEY,
    tenant_id      BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name_en        TEXT NOT NULL,
    name_fi        TEXT NOT NULL,
    retention_days INTEGER,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (tenant_id, id)
);

CREATE TABLE category_roles (
    tenant_id   BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    role_id     BIGINT NOT NULL,
    PRIMARY KEY (category_id, role_id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE conversations (
    id                   BIGSERIAL PRIMARY KEY,
    tenant_id            BIGINT NOT NULL,
    subject              TEXT NOT NULL,
    category_id          BIGINT NOT NULL,
    status               TEXT NOT NULL,
    creator_id           BIGINT NOT NULL,
    handler_id           BIGINT,
    customer_assignee_id BIGINT,
    admin_id             BIGINT,
    related_company_id   BIGINT,
    related_user_id      BIGINT,
    external_emails      TEXT[] NOT NULL DEFAULT '{}',
    notify_admins        BOOLEAN NOT NULL DEFAULT FALSE,
    last_activity_at     TIMESTAMPTZ NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id)
);
CREATE INDEX conversations_activity ON conversations (tenant_id, last_activity_at DESC, id DESC);

CREATE TABLE conversation_roles (
    tenant_id       BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role_id         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, role_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_roles_role ON conversation_roles (role_id);

CREATE TABLE retention_runs (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    started_at TIMESTAMPTZ NOT NULL,
    deleted    BIGINT NOT NULL,
    node       TEXT NOT NULL DEFAULT ''
);

-- Notifications.

CREATE TABLE notify_jobs (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    channel_kind    TEXT NOT NULL,
    channel_id      BIGINT NOT NULL,
    message_id      BIGINT NOT NULL,
    prev_message_at TIMESTAMPTZ,
    due_at          TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_jobs_due ON notify_jobs (due_at);

CREATE TABLE notify_decisions (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   BIGINT NOT NULL,
    message_id   BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_decisions_lookup ON notify_decisions (tenant_id, user_id, message_id);

CREATE TABLE notifications (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   BIGINT NOT NULL,
    message_id   BIGINT,
    title        TEXT NOT NULL,
    read_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);

CREATE TABLE mutes (
    tenant_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    channel_kind TEXT NOT NULL,
    channel_id   BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_kind, channel_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE mutes, notifications, notify_decisions, notify_jobs, retention_runs,
    conversation_roles, conversations, category_roles, categories, drafts,
    attachments, read_states, channel_events, messages, channel_seqs, topics,
    group_members, groups, login_failures, sessions, user_roles,
    user_companies, users, roles, companies, tenants;
