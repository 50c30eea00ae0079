package postgres

import (
	"context"
	"time"

	"parley/storage/postgres/internal/db"
)

func (s *Store) BrokerOutageSet(ctx context.Context, node string, expiresAt time.Time) error {
	err := s.q.BrokerOutageSet(ctx, db.BrokerOutageSetParams{Node: node, ExpiresAt: expiresAt})
	return translate(err, "broker outage")
}

func (s *Store) BrokerOutageClear(ctx context.Context, node string, now time.Time) error {
	err := s.q.BrokerOutageClear(ctx, db.BrokerOutageClearParams{Node: node, Now: now})
	return translate(err, "broker outage")
}

func (s *Store) BrokerOutageNodes(ctx context.Context, now time.Time) ([]string, error) {
	nodes, err := s.q.BrokerOutageNodes(ctx, now)
	if err != nil {
		return nil, translate(err, "broker outages")
	}
	return nodes, nil
}
