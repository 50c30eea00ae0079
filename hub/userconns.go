package hub

import "sync"

// userConns counts each user's open sockets on this node, so that one
// user (a runaway script, a leaked session) cannot take a node's sockets:
// the socket over Config.MaxSocketsPerUser is closed with
// CloseTooManySockets as soon as it is accepted. The count is per node:
// behind a balancer a user may hold up to that many on each node.
type userConns struct {
	max int // <= 0: no limit
	mu  sync.Mutex
	n   map[userKey]int
}

type userKey struct{ tenant, user int64 }

func newUserConns(max int) *userConns {
	return &userConns{max: max, n: make(map[userKey]int)}
}

// acquire counts one more socket of the user; false (and nothing counted)
// when the user already has max.
func (u *userConns) acquire(tenant, user int64) bool {
	k := userKey{tenant, user}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.max > 0 && u.n[k] >= u.max {
		return false
	}
	u.n[k]++
	return true
}

// release uncounts a socket acquire counted.
func (u *userConns) release(tenant, user int64) {
	k := userKey{tenant, user}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[k] <= 1 {
		delete(u.n, k)
		return
	}
	u.n[k]--
}
