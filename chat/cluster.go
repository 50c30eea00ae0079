package chat

import (
	"context"
	"time"
)

// MaxNodeID bounds the node ids of the broker-outage records.
const MaxNodeID = 128

// The nodes of a cluster tell each other through the database which of
// them cannot reach the broker: a node cut off from Redis while the
// others reach it would otherwise publish to nobody elsewhere, since
// only the node whose broker is down catches up from the database. The
// hub reports its own outage every poll period and, while any other
// node reports one, catches up its channels as if its own broker were
// down (hub/catchup.go).

// ReportBrokerDown records that node cannot reach the broker, for ttl
// from now (the node renews it while it lasts). EInvalid, EUnavailable.
func (s *MessageService) ReportBrokerDown(ctx context.Context, node string, ttl time.Duration) error {
	if err := validNode(node); err != nil {
		return err
	}
	return s.store.BrokerOutageSet(ctx, node, s.clock.Now().Add(ttl))
}

// ReportBrokerUp removes node's record (and the expired ones of nodes that
// died cut off). EInvalid, EUnavailable.
func (s *MessageService) ReportBrokerUp(ctx context.Context, node string) error {
	if err := validNode(node); err != nil {
		return err
	}
	return s.store.BrokerOutageClear(ctx, node, s.clock.Now())
}

// BrokerOutages lists the nodes whose broker outage record is live.
// EUnavailable.
func (s *MessageService) BrokerOutages(ctx context.Context) ([]string, error) {
	return s.store.BrokerOutageNodes(ctx, s.clock.Now())
}

func validNode(node string) error {
	if node == "" || len(node) > MaxNodeID {
		return Errorf(EInvalid, "node id must be 1 to %d bytes", MaxNodeID)
	}
	return nil
}
