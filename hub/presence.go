package hub

import (
	"context"
	"sync"

	"parley/chat"
)

// Presence records which users have a connection on some node. Online
// answers the same on every node of a cluster. Add and Remove are counted
// per node: a user with three sockets on a node is added three times and
// stays online until the third Remove.
type Presence interface {
	chat.Presence
	Add(ctx context.Context, tenantID, userID int64) error
	Remove(ctx context.Context, tenantID, userID int64) error
	// OnlineMany answers Online for several users of a tenant at once.
	OnlineMany(ctx context.Context, tenantID int64, userIDs []int64) (map[int64]bool, error)
	// Close stops background work and withdraws this node's users.
	Close() error
}

type presenceKey struct{ tenantID, userID int64 }

// MemoryPresence is the Presence of a single node.
type MemoryPresence struct {
	mu    sync.Mutex
	count map[presenceKey]int
}

var _ Presence = (*MemoryPresence)(nil)

// NewMemoryPresence returns an empty in-process Presence.
func NewMemoryPresence() *MemoryPresence {
	return &MemoryPresence{count: make(map[presenceKey]int)}
}

// Add implements Presence.
func (p *MemoryPresence) Add(ctx context.Context, tenantID, userID int64) error {
	p.mu.Lock()
	p.count[presenceKey{tenantID, userID}]++
	p.mu.Unlock()
	return nil
}

// Remove implements Presence.
func (p *MemoryPresence) Remove(ctx context.Context, tenantID, userID int64) error {
	k := presenceKey{tenantID, userID}
	p.mu.Lock()
	if p.count[k] <= 1 {
		delete(p.count, k)
	} else {
		p.count[k]--
	}
	p.mu.Unlock()
	return nil
}

// Online implements chat.Presence.
func (p *MemoryPresence) Online(ctx context.Context, tenantID, userID int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count[presenceKey{tenantID, userID}] > 0, nil
}

// OnlineMany implements Presence.
func (p *MemoryPresence) OnlineMany(ctx context.Context, tenantID int64, userIDs []int64) (map[int64]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]bool, len(userIDs))
	for _, id := range userIDs {
		out[id] = p.count[presenceKey{tenantID, id}] > 0
	}
	return out, nil
}

// Close implements Presence.
func (p *MemoryPresence) Close() error {
	p.mu.Lock()
	p.count = make(map[presenceKey]int)
	p.mu.Unlock()
	return nil
}
