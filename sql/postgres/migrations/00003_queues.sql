-- +goose Up
-- Helpdesk queues, office-to-customer conversations and canned replies
-- (docs/conversations.md).

-- to_customer: the office started the conversation to a customer, so its
-- creator is on the handler side. customer_company_id: the customer
-- company it is addressed to; that company's users (without a
-- message-handler role) see it as theirs. awaiting_since: since when the
-- customer side waits for an answer (NULL: it does not); the stale queue.
ALTER TABLE conversations ADD COLUMN to_customer BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE conversations ADD COLUMN customer_company_id BIGINT;
ALTER TABLE conversations ADD COLUMN awaiting_since TIMESTAMPTZ;
ALTER TABLE conversations ADD CONSTRAINT conversations_customer_company
    FOREIGN KEY (tenant_id, customer_company_id) REFERENCES companies (tenant_id, id);
CREATE INDEX conversations_queue ON conversations (tenant_id, created_at, id) WHERE status <> 'solved';
CREATE INDEX conversations_customer_company ON conversations (tenant_id, customer_company_id)
    WHERE customer_company_id IS NOT NULL;

-- A canned reply is tenant-wide (owner_id NULL, kept by tenant admins) or
-- a user's own.
CREATE TABLE canned_replies (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    owner_id   BIGINT,
    locale     TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX canned_replies_owner ON canned_replies (tenant_id, owner_id, id);

-- +goose Down
DROP TABLE canned_replies;
DROP INDEX conversations_customer_company;
DROP INDEX conversations_queue;
ALTER TABLE conversations DROP CONSTRAINT conversations_customer_company;
ALTER TABLE conversations DROP COLUMN awaiting_since;
ALTER TABLE conversations DROP COLUMN customer_company_id;
ALTER TABLE conversations DROP COLUMN to_customer;
