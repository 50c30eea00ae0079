package chat

import (
	"context"
	"time"
)

// Queue views for the handler side: the conversations that need someone,
// with live counts. A queue is a filter on the same visibility rule the
// conversation list uses (visibleConversations), so every count is what
// the caller would find by listing. The rules are in docs/conversations.md
// (Queues).

// Queue names a queue view.
type Queue string

// The queues. Every queue but QueueNew and QueueWaiting (which are
// statuses) keeps unsolved conversations only.
const (
	QueueNew      Queue = "new"      // nobody has taken or answered it
	QueueMine     Queue = "mine"     // the caller handles it
	QueueWaiting  Queue = "waiting"  // waiting for the customer
	QueueStale    Queue = "stale"    // the customer has waited longer than the tenant's stale hours
	QueueCategory Queue = "category" // by category (ConversationQuery.CategoryID)
)

// QueueCounts are the caller's queue counts.
type QueueCounts struct {
	New     int64 `json:"new"`
	Mine    int64 `json:"mine"`
	Waiting int64 `json:"waiting"`
	Stale   int64 `json:"stale"`
	// StaleHours is the tenant's bound of the stale queue.
	StaleHours int `json:"stale_hours"`
	// Categories counts the unsolved conversations per category (only
	// categories that have some), in id order.
	Categories []CategoryCount `json:"categories"`
}

// CategoryCount is one category's unsolved conversations.
type CategoryCount struct {
	CategoryID int64 `json:"category_id"`
	Count      int64 `json:"count"`
}

// visibleConversations is the list's visibility rule as a store filter,
// the one place both the list and the queue counts take it from: tenant
// admins see all (unless mine); everyone else what they are named on, what
// is addressed to their customer company (none for message handlers), and
// what is routed to their roles, with company-based visibility only for
// their companies. It agrees with canSeeConversation.
func visibleConversations(p *Principal, ts TenantSettings, mine bool) ConversationFilter {
	f := ConversationFilter{VisibleTo: p.UserID}
	if !p.Handler && !p.TenantAdmin() {
		f.AddresseeCompanyIDs = p.CompanyIDs
	}
	if mine {
		return f
	}
	if p.TenantAdmin() {
		return ConversationFilter{VisibleTo: p.UserID, AllOfTenant: true}
	}
	f.RoleIDs = p.RoleIDs
	if ts.CompanyVisibility {
		// Role routing counts only for the caller's companies; with none
		// it counts for nothing (an empty list would mean all).
		f.CompanyIDs = p.CompanyIDs
		if len(p.CompanyIDs) == 0 {
			f.RoleIDs = nil
		}
	}
	return f
}

// mayUseQueues: queues are a handler-side tool, for message handlers and
// tenant admins.
func mayUseQueues(p *Principal) bool { return p.Handler || p.TenantAdmin() }

// queueFilter narrows f to q's queue, ordered oldest first.
func queueFilter(p *Principal, ts TenantSettings, q ConversationQuery, now time.Time, f *ConversationFilter) error {
	if !mayUseQueues(p) {
		return Errorf(EForbidden, "queues are for message handlers and tenant admins")
	}
	if q.Mine || q.Status != "" || q.HandlerID != 0 || (q.CategoryID != 0 && q.Queue != QueueCategory) {
		return Errorf(EInvalid, "a queue cannot be combined with mine, status, handler or another category")
	}
	f.OldestFirst, f.Unsolved = true, true
	switch q.Queue {
	case QueueNew:
		f.Status = StatusNew
	case QueueMine:
		f.HandlerID = p.UserID
	case QueueWaiting:
		f.Status = StatusWaiting
	case QueueStale:
		f.AwaitingBefore = now.Add(-ts.Stale())
	case QueueCategory:
		if q.CategoryID == 0 {
			return Errorf(EInvalid, "the category queue needs a category")
		}
	default:
		return Errorf(EInvalid, "unknown queue %q", q.Queue)
	}
	return nil
}

// Queues counts the caller's queues under the visibility rule of the
// conversation list. Errors: EUnauthenticated, EForbidden (not a message
// handler or tenant admin).
func (s *ConversationService) Queues(ctx context.Context) (QueueCounts, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return QueueCounts{}, err
	}
	if !mayUseQueues(p) {
		return QueueCounts{}, Errorf(EForbidden, "queues are for message handlers and tenant admins")
	}
	t, err := s.store.TenantGet(ctx, p.TenantID)
	if err != nil {
		return QueueCounts{}, err
	}
	rows, err := s.store.ConversationQueueCounts(ctx, p.TenantID, visibleConversations(p, t.Settings, false),
		p.UserID, s.clock.Now().Add(-t.Settings.Stale()))
	if err != nil {
		return QueueCounts{}, err
	}
	out := QueueCounts{StaleHours: int(t.Settings.Stale() / time.Hour), Categories: []CategoryCount{}}
	for _, r := range rows {
		out.New += r.New
		out.Mine += r.Mine
		out.Waiting += r.Waiting
		out.Stale += r.Stale
		out.Categories = append(out.Categories, CategoryCount{CategoryID: r.CategoryID, Count: r.Unsolved})
	}
	return out, nil
}

// awaitingAfterPost is since when the customer side waits for an answer
// after a message at `at`: a handler-side message answers (nobody waits);
// a customer-side one starts the wait unless it had started already.
func awaitingAfterPost(c Conversation, handlerSide bool, at time.Time) *time.Time {
	if handlerSide {
		return nil
	}
	if c.AwaitingSince != nil {
		return c.AwaitingSince
	}
	return &at
}
