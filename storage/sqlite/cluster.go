package sqlite

import (
	"context"
	"time"

	"parley/storage/sqlite/internal/db"
)

func (s *Store) BrokerOutageSet(ctx context.Context, node string, expiresAt time.Time) error {
	err := s.write.BrokerOutageSet(ctx, db.BrokerOutageSetParams{Node: node, ExpiresAt: micros(expiresAt)})
	return translate(err, "broker outage")
}

func (s *Store) BrokerOutageClear(ctx context.Context, node string, now time.Time) error {
	err := s.write.BrokerOutageClear(ctx, db.BrokerOutageClearParams{Node: node, Now: micros(now)})
	return translate(err, "broker outage")
}

func (s *Store) BrokerOutageNodes(ctx context.Context, now time.Time) ([]string, error) {
	nodes, err := s.read.BrokerOutageNodes(ctx, micros(now))
	if err != nil {
		return nil, translate(err, "broker outages")
	}
	return nodes, nil
}
