package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"parley/chat"
	"parley/storage/postgres/internal/db"
	"parley/storage/sqlrows"
)

func (s *Store) NotifyJobEnqueue(ctx context.Context, j *chat.NotifyJob) error {
	createdAt := orNow(j.CreatedAt)
	dueAt := j.DueAt
	if dueAt.IsZero() {
		dueAt = createdAt
	}
	id, err := s.q.NotifyJobInsert(ctx, db.NotifyJobInsertParams{
		TenantID:      j.TenantID,
		UserID:        j.UserID,
		Via:           sqlrows.Via(j.Via),
		Reason:        string(j.Reason),
		ChannelKind:   string(j.Channel.Kind),
		ChannelID:     j.Channel.ID,
		MessageID:     j.MessageID,
		PrevMessageAt: j.PrevMessageAt,
		DueAt:         dueAt,
		Attempts:      int32(j.Attempts),
		CreatedAt:     createdAt,
	})
	if err != nil {
		return translate(err, "notification job")
	}
	j.ID, j.CreatedAt, j.DueAt = id, createdAt, dueAt
	return nil
}

// NotifyJobClaim leases up to n due jobs (oldest due first) until
// leaseUntil. Jobs locked by a concurrent claimer are skipped, not waited
// for; an unfinished job comes back once its lease has passed.
func (s *Store) NotifyJobClaim(ctx context.Context, now, leaseUntil time.Time, n int) ([]chat.NotifyJob, error) {
	rows, err := s.q.NotifyJobClaim(ctx, db.NotifyJobClaimParams{Now: now, LeaseUntil: leaseUntil, Lim: limit(n)})
	if err != nil {
		return nil, translate(err, "notification jobs")
	}
	out := make([]chat.NotifyJob, 0, len(rows))
	for _, r := range rows {
		out = append(out, chat.NotifyJob{
			ID:            r.ID,
			TenantID:      r.TenantID,
			UserID:        r.UserID,
			Via:           chat.NotifyVia(r.Via),
			Reason:        chat.NotifyReason(r.Reason),
			Channel:       chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID},
			MessageID:     r.MessageID,
			PrevMessageAt: r.PrevMessageAt,
			DueAt:         r.DueAt,
			Attempts:      int(r.Attempts),
			CreatedAt:     r.CreatedAt,
		})
	}
	// UPDATE ... RETURNING has no order; hand jobs out oldest first.
	slices.SortFunc(out, func(a, b chat.NotifyJob) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *Store) NotifyJobRelease(ctx context.Context, j chat.NotifyJob, now time.Time) error {
	n, err := s.q.NotifyJobRelease(ctx, db.NotifyJobReleaseParams{ID: j.ID, Attempts: int32(j.Attempts),
		LeaseUntil: j.DueAt, Now: now})
	return mustAffect("notification job")(n, err)
}

func (s *Store) NotifyJobDone(ctx context.Context, id int64) error {
	n, err := s.q.NotifyJobDelete(ctx, id)
	return mustAffect("notification job")(n, err)
}

func (s *Store) NotifyJobRetry(ctx context.Context, id int64, dueAt time.Time, lastError string) error {
	n, err := s.q.NotifyJobRetry(ctx, db.NotifyJobRetryParams{ID: id, DueAt: dueAt, LastError: lastError})
	return mustAffect("notification job")(n, err)
}

func (s *Store) NotifyDecisionRecord(ctx context.Context, d *chat.NotifyDecision) error {
	createdAt := orNow(d.CreatedAt)
	id, err := s.q.NotifyDecisionInsert(ctx, db.NotifyDecisionInsertParams{
		TenantID:    d.TenantID,
		UserID:      d.UserID,
		Via:         sqlrows.Via(d.Via),
		ChannelKind: string(d.Channel.Kind),
		ChannelID:   d.Channel.ID,
		MessageID:   d.MessageID,
		Reason:      string(d.Reason),
		Outcome:     string(d.Outcome),
		Detail:      d.Detail,
		CreatedAt:   createdAt,
	})
	if err != nil {
		return translate(err, "notification decision")
	}
	d.ID, d.CreatedAt = id, createdAt
	return nil
}

// NotifyDecisionList lists decisions of the tenant; userID and messageID
// filter when not 0.
func (s *Store) NotifyDecisionList(ctx context.Context, tenantID, userID, messageID int64, p chat.Page) ([]chat.NotifyDecision, error) {
	after, lim := page(p)
	return list("notification decisions", func(r db.NotifyDecisionListRow) chat.NotifyDecision {
		return chat.NotifyDecision{
			ID:        r.ID,
			TenantID:  r.TenantID,
			UserID:    r.UserID,
			Via:       chat.NotifyVia(r.Via),
			Channel:   chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID},
			MessageID: r.MessageID,
			Reason:    chat.NotifyReason(r.Reason),
			Outcome:   chat.NotifyOutcome(r.Outcome),
			Detail:    r.Detail,
			CreatedAt: r.CreatedAt,
		}
	})(s.q.NotifyDecisionList(ctx, db.NotifyDecisionListParams{
		TenantID: tenantID, UserID: userID, MessageID: messageID, After: after, Lim: lim,
	}))
}

func (s *Store) NotificationCreate(ctx context.Context, n *chat.Notification) error {
	createdAt := orNow(n.CreatedAt)
	id, err := s.q.NotificationInsert(ctx, db.NotificationInsertParams{
		TenantID:    n.TenantID,
		UserID:      n.UserID,
		Kind:        n.Kind,
		ChannelKind: string(n.Channel.Kind),
		ChannelID:   n.Channel.ID,
		MessageID:   n.MessageID,
		Title:       n.Title,
		ReadAt:      n.ReadAt,
		CreatedAt:   createdAt,
	})
	if err != nil {
		return translateRef(err, "notification", "user")
	}
	n.ID, n.CreatedAt = id, createdAt
	return nil
}

func (s *Store) NotificationList(ctx context.Context, tenantID, userID int64, p chat.Page) ([]chat.Notification, error) {
	after, lim := page(p)
	rows, err := s.q.NotificationList(ctx, db.NotificationListParams{TenantID: tenantID, UserID: userID, After: after, Lim: lim})
	if err != nil {
		return nil, translate(err, "notifications")
	}
	return notificationsFromRows(rows), nil
}

func (s *Store) NotificationListNewest(ctx context.Context, tenantID, userID, before int64, limit int) ([]chat.Notification, error) {
	_, lim := page(chat.Page{Limit: limit})
	rows, err := s.q.NotificationListNewest(ctx, db.NotificationListNewestParams{TenantID: tenantID, UserID: userID, Before: before, Lim: lim})
	if err != nil {
		return nil, translate(err, "notifications")
	}
	return notificationsFromRows(rows), nil
}

func notificationsFromRows(rows []db.Notification) []chat.Notification {
	out := make([]chat.Notification, 0, len(rows))
	for _, r := range rows {
		out = append(out, chat.Notification{
			ID:        r.ID,
			TenantID:  r.TenantID,
			UserID:    r.UserID,
			Kind:      r.Kind,
			Channel:   chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID},
			MessageID: r.MessageID,
			Title:     r.Title,
			ReadAt:    r.ReadAt,
			CreatedAt: r.CreatedAt,
		})
	}
	return out
}

// NotificationMarkRead keeps the first read time when marked twice.
func (s *Store) NotificationMarkRead(ctx context.Context, tenantID, userID, id int64, at time.Time) error {
	n, err := s.q.NotificationMarkRead(ctx, db.NotificationMarkReadParams{TenantID: tenantID, UserID: userID, ID: id, ReadAt: &at})
	return mustAffect("notification")(n, err)
}

func (s *Store) NotificationMarkAllRead(ctx context.Context, tenantID, userID, upTo int64, at time.Time) (int64, error) {
	r, err := s.q.NotificationMarkAllRead(ctx, db.NotificationMarkAllReadParams{TenantID: tenantID, UserID: userID, UpTo: upTo, ReadAt: &at})
	return r.N, translate(err, "notifications")
}

func (s *Store) NotificationUnreadCount(ctx context.Context, tenantID, userID int64) (int64, error) {
	n, err := s.q.NotificationUnreadCount(ctx, db.NotificationUnreadCountParams{TenantID: tenantID, UserID: userID})
	return n, translate(err, "notifications")
}

func (s *Store) MuteSet(ctx context.Context, tenantID, userID int64, ch chat.Channel, muted bool) error {
	if muted {
		err := s.q.MuteInsert(ctx, db.MuteInsertParams{TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID})
		return translateRef(err, "mute", "user")
	}
	err := s.q.MuteDelete(ctx, db.MuteDeleteParams{TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID})
	return translate(err, "mute")
}

func (s *Store) MuteGet(ctx context.Context, tenantID, userID int64, ch chat.Channel) (bool, error) {
	muted, err := s.q.MuteGet(ctx, db.MuteGetParams{TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID})
	return muted, translate(err, "mute")
}

// NotifyJobBacklog reads the outbox's size for monitoring (chat.NotifyBacklog).
func (s *Store) NotifyJobBacklog(ctx context.Context, now time.Time, n int) (chat.NotifyBacklog, error) {
	r, err := s.q.NotifyJobBacklog(ctx, db.NotifyJobBacklogParams{Lim: int32(min(max(n, 1), 1<<31-1)), Now: now})
	if err != nil {
		return chat.NotifyBacklog{}, translate(err, "notification jobs")
	}
	b := chat.NotifyBacklog{Pending: r.Pending, Due: r.Due}
	if r.OldestDue.Unix() != 0 {
		b.OldestDue = r.OldestDue
	}
	return b, nil
}
