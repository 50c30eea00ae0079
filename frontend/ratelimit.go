package frontend

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"parley/chat"
)

// Per-user rate limits on the HTTP endpoints that create things (posts,
// new conversations, drafts, uploads) and on search, which is the most
// expensive read. The socket has its own per-connection limit in hub.
// Limits are per node: behind a balancer a user's requests spread over
// nodes, which multiplies the allowance by at most the node count.

// RateLimit is a token bucket: Rate requests per second sustained, Burst
// at once.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Default limits, used for zero RateLimit fields of Config.
var (
	// Posts match the socket's default frame rate.
	defaultPostLimit = RateLimit{Rate: 20, Burst: 40}
	// An upload may be 25 MiB: 12 a minute, 20 at once.
	defaultUploadLimit = RateLimit{Rate: 0.2, Burst: 20}
	defaultSearchLimit = RateLimit{Rate: 2, Burst: 10}
)

func (l RateLimit) orDefault(d RateLimit) RateLimit {
	if l.Rate <= 0 || l.Burst <= 0 {
		return d
	}
	return l
}

type userKey struct{ tenant, user int64 }

type bucket struct {
	tokens float64
	last   time.Time
}

// userLimiter keeps one bucket per user. Buckets that have refilled are
// forgotten, so memory follows the number of recently active users.
type userLimiter struct {
	limit RateLimit
	mu    sync.Mutex
	users map[userKey]*bucket
	swept time.Time
}

func newUserLimiter(l RateLimit) *userLimiter {
	return &userLimiter{limit: l, users: make(map[userKey]*bucket)}
}

// full is how long an empty bucket takes to refill.
func (l *userLimiter) full() time.Duration {
	return time.Duration(float64(l.limit.Burst) / l.limit.Rate * float64(time.Second))
}

// allow takes a token for the user at now; when there is none it returns
// false and how long until there is.
func (l *userLimiter) allow(k userKey, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.full() {
		for key, b := range l.users {
			if now.Sub(b.last) > l.full() {
				delete(l.users, key)
			}
		}
		l.swept = now
	}
	burst := float64(l.limit.Burst)
	b := l.users[k]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.users[k] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*l.limit.Rate)
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.limit.Rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// limited serves fn only while the caller (an authed handler's principal)
// is within l; beyond it the answer is 429 with Retry-After.
func (s *Server) limited(l *userLimiter, fn apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := chat.PrincipalFrom(r.Context())
		if p == nil {
			return chat.Errorf(chat.EUnauthenticated, "login required")
		}
		if ok, wait := l.allow(userKey{p.TenantID, p.UserID}, time.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return chat.Errorf(chat.ERateLimited, "too many requests; try again in a moment")
		}
		return fn(w, r)
	}
}
