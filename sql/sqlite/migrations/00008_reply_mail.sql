-- +goose Up
-- Reply by email; see sql/postgres/migrations/00008_reply_mail.sql. Times
-- are INTEGER microseconds since the Unix epoch, as in 00001_init.sql.
CREATE TABLE reply_keys (
    tenant_id  INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    secret     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE reply_revocations (
    tenant_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    not_before INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE reply_revocations;
DROP TABLE reply_keys;
