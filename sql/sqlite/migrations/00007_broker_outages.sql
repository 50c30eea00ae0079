-- +goose Up
-- Nodes that cannot reach the broker (Redis) while the others may; see
-- sql/postgres/migrations/00007_broker_outages.sql. Times are INTEGER
-- microseconds since the Unix epoch, as in 00001_init.sql.
CREATE TABLE broker_outages (
    node       TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE broker_outages;
