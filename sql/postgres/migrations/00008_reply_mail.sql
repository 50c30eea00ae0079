-- +goose Up
-- Reply by email (docs/notifications.md). Each tenant's secret signs the
-- reply addresses of its notification emails; it lives in the database so
-- that every node signs and checks with the same key and no operator step
-- is needed. A revocation row makes every reply address issued to that
-- user before not_before invalid (a password change, or "revoke").
CREATE TABLE reply_keys (
    tenant_id  BIGINT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    secret     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE reply_revocations (
    tenant_id  BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    not_before TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE reply_revocations, reply_keys;
