-- +goose Up
-- Helpdesk queues, office-to-customer conversations and canned replies,
-- mirroring sql/postgres/migrations/00003_queues.sql. SQLite cannot add a
-- table constraint to an existing table: customer_company_id references
-- companies by id as a column constraint; the service checks the tenant.

ALTER TABLE conversations ADD COLUMN to_customer BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE conversations ADD COLUMN customer_company_id INTEGER REFERENCES companies(id);
ALTER TABLE conversations ADD COLUMN awaiting_since INTEGER;
CREATE INDEX conversations_queue ON conversations (tenant_id, created_at, id) WHERE status <> 'solved';
CREATE INDEX conversations_customer_company ON conversations (tenant_id, customer_company_id)
    WHERE customer_company_id IS NOT NULL;

CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    owner_id   INTEGER,
    locale     TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX canned_replies_owner ON canned_replies (tenant_id, owner_id, id);

-- +goose Down
DROP TABLE canned_replies;
DROP INDEX conversations_customer_company;
DROP INDEX conversations_queue;
ALTER TABLE conversations DROP COLUMN awaiting_since;
ALTER TABLE conversations DROP COLUMN customer_company_id;
ALTER TABLE conversations DROP COLUMN to_customer;
