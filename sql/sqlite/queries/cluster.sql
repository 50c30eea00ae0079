-- The nodes of a cluster: which of them cannot reach the broker.

-- name: BrokerOutageSet :exec
-- Records, or renews, that @node cannot reach the broker until @expires_at.
INSERT INTO broker_outages (node, expires_at) VALUES (@node, @expires_at)
ON CONFLICT (node) DO UPDATE SET expires_at = excluded.expires_at;

-- name: BrokerOutageClear :exec
-- Removes @node's record, and the expired records of nodes that died cut off.
DELETE FROM broker_outages WHERE node = @node OR expires_at <= @now;

-- name: BrokerOutageNodes :many
-- The nodes whose record lasts beyond @now.
SELECT node FROM broker_outages WHERE expires_at > @now ORDER BY node;
