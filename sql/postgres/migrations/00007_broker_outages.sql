-- +goose Up
-- Nodes that cannot reach the broker (Redis) while the others may: each
-- such node renews its row every poll period, and every node reads the
-- live rows once a period to catch up its channels from the database
-- while any node is cut off (hub/catchup.go). Not tenant data: one row
-- per node, gone when its broker is back; a row whose node died expires.
CREATE TABLE broker_outages (
    node       TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE broker_outages;
