package sqlite

import (
	"cmp"
	"context"
	"slices"
	"time"

	"parley/chat"
	"parley/storage/sqlite/internal/db"
	"parley/storage/sqlrows"
)

// NotifyJobEnqueue adds a job; a zero DueAt means due now.
func (s *Store) NotifyJobEnqueue(ctx context.Context, j *chat.NotifyJob) error {
	created := orNow(j.CreatedAt)
	due := j.DueAt
	if due.IsZero() {
		due = created
	}
	id, err := s.write.NotifyJobInsert(ctx, db.NotifyJobInsertParams{
		TenantID:      j.TenantID,
		UserID:        j.UserID,
		Via:           sqlrows.Via(j.Via),
		Reason:        string(j.Reason),
		ChannelKind:   string(j.Channel.Kind),
		ChannelID:     j.Channel.ID,
		MessageID:     j.MessageID,
		PrevMessageAt: microsPtr(j.PrevMessageAt),
		DueAt:         micros(due),
		CreatedAt:     micros(created),
	})
	if err != nil {
		return translate(err, "notification job")
	}
	j.ID, j.CreatedAt, j.DueAt, j.Attempts = id, created, due.UTC().Truncate(time.Microsecond), 0
	return nil
}

func toNotifyJob(r db.NotifyJob) chat.NotifyJob {
	return chat.NotifyJob{
		ID:            r.ID,
		TenantID:      r.TenantID,
		UserID:        r.UserID,
		Via:           chat.NotifyVia(r.Via),
		Reason:        chat.NotifyReason(r.Reason),
		Channel:       chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID},
		MessageID:     r.MessageID,
		PrevMessageAt: fromMicrosPtr(r.PrevMessageAt),
		DueAt:         fromMicros(r.DueAt),
		Attempts:      int(r.Attempts),
		CreatedAt:     fromMicros(r.CreatedAt),
	}
}

// NotifyJobClaim leases up to limit jobs due at now, oldest due first, in
// one UPDATE ... RETURNING: each claimed job's DueAt becomes leaseUntil (so
// no other claim takes it before then) and its Attempts counts this try.
func (s *Store) NotifyJobClaim(ctx context.Context, now, leaseUntil time.Time, n int) ([]chat.NotifyJob, error) {
	rows, err := s.write.NotifyJobClaim(ctx, db.NotifyJobClaimParams{LeaseUntil: micros(leaseUntil), Now: micros(now), Lim: limit(n)})
	if err != nil {
		return nil, translate(err, "notification jobs")
	}
	out := make([]chat.NotifyJob, len(rows))
	for i, r := range rows {
		out[i] = toNotifyJob(r)
	}
	// RETURNING has no defined order.
	slices.SortFunc(out, func(a, b chat.NotifyJob) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *Store) NotifyJobRelease(ctx context.Context, j chat.NotifyJob, now time.Time) error {
	return mustAffect("notification job")(s.write.NotifyJobRelease(ctx, db.NotifyJobReleaseParams{ID: j.ID,
		Attempts: int64(j.Attempts), LeaseUntil: micros(j.DueAt), Now: micros(now)}))
}

func (s *Store) NotifyJobDone(ctx context.Context, id int64) error {
	return mustAffect("notification job")(s.write.NotifyJobDelete(ctx, id))
}

func (s *Store) NotifyJobRetry(ctx context.Context, id int64, dueAt time.Time, lastError string) error {
	return mustAffect("notification job")(s.write.NotifyJobRetry(ctx, db.NotifyJobRetryParams{ID: id, DueAt: micros(dueAt), LastError: lastError}))
}

func (s *Store) NotifyDecisionRecord(ctx context.Context, d *chat.NotifyDecision) error {
	created := orNow(d.CreatedAt)
	id, err := s.write.NotifyDecisionInsert(ctx, db.NotifyDecisionInsertParams{
		TenantID:    d.TenantID,
		UserID:      d.UserID,
		Via:         sqlrows.Via(d.Via),
		ChannelKind: string(d.Channel.Kind),
		ChannelID:   d.Channel.ID,
		MessageID:   d.MessageID,
		Reason:      string(d.Reason),
		Outcome:     string(d.Outcome),
		Detail:      d.Detail,
		CreatedAt:   micros(created),
	})
	if err != nil {
		return translate(err, "notification decision")
	}
	d.ID, d.CreatedAt = id, created
	return nil
}

// NotifyDecisionList lists decisions by id; userID and messageID 0 do not
// filter.
func (s *Store) NotifyDecisionList(ctx context.Context, tenantID, userID, messageID int64, page chat.Page) ([]chat.NotifyDecision, error) {
	page = page.Normalize()
	return list("notification decisions", func(r db.NotifyDecision) chat.NotifyDecision {
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
			CreatedAt: fromMicros(r.CreatedAt),
		}
	})(s.read.NotifyDecisionList(ctx, db.NotifyDecisionListParams{
		TenantID: tenantID, UserID: userID, MessageID: messageID, After: page.After, Lim: int64(page.Limit),
	}))
}

func (s *Store) NotificationCreate(ctx context.Context, n *chat.Notification) error {
	created := orNow(n.CreatedAt)
	id, err := s.write.NotificationInsert(ctx, db.NotificationInsertParams{
		TenantID:    n.TenantID,
		UserID:      n.UserID,
		Kind:        n.Kind,
		ChannelKind: string(n.Channel.Kind),
		ChannelID:   n.Channel.ID,
		MessageID:   nonZero(n.MessageID),
		Title:       n.Title,
		ReadAt:      microsPtr(n.ReadAt),
		CreatedAt:   micros(created),
	})
	if err != nil {
		return translateRef(err, "notification", "user")
	}
	n.ID, n.CreatedAt = id, created
	return nil
}

func (s *Store) NotificationList(ctx context.Context, tenantID, userID int64, page chat.Page) ([]chat.Notification, error) {
	page = page.Normalize()
	rows, err := s.read.NotificationList(ctx, db.NotificationListParams{TenantID: tenantID, UserID: userID, After: page.After, Lim: int64(page.Limit)})
	if err != nil {
		return nil, translate(err, "notifications")
	}
	return notificationsFromRows(rows), nil
}

func (s *Store) NotificationListNewest(ctx context.Context, tenantID, userID, before int64, limit int) ([]chat.Notification, error) {
	page := chat.Page{Limit: limit}.Normalize()
	rows, err := s.read.NotificationListNewest(ctx, db.NotificationListNewestParams{TenantID: tenantID, UserID: userID, Before: before, Lim: int64(page.Limit)})
	if err != nil {
		return nil, translate(err, "notifications")
	}
	return notificationsFromRows(rows), nil
}

func notificationsFromRows(rows []db.Notification) []chat.Notification {
	out := make([]chat.Notification, len(rows))
	for i, r := range rows {
		out[i] = chat.Notification{
			ID:        r.ID,
			TenantID:  r.TenantID,
			UserID:    r.UserID,
			Kind:      r.Kind,
			Channel:   chat.Channel{Kind: chat.ChannelKind(r.ChannelKind), ID: r.ChannelID},
			MessageID: r.MessageID,
			Title:     r.Title,
			ReadAt:    fromMicrosPtr(r.ReadAt),
			CreatedAt: fromMicros(r.CreatedAt),
		}
	}
	return out
}

func (s *Store) NotificationMarkRead(ctx context.Context, tenantID, userID, id int64, at time.Time) error {
	v := micros(at)
	return mustAffect("notification")(s.write.NotificationMarkRead(ctx, db.NotificationMarkReadParams{TenantID: tenantID, UserID: userID, ID: id, ReadAt: &v}))
}

func (s *Store) NotificationMarkAllRead(ctx context.Context, tenantID, userID, upTo int64, at time.Time) (int64, error) {
	v := micros(at)
	n, err := s.write.NotificationMarkAllRead(ctx, db.NotificationMarkAllReadParams{TenantID: tenantID, UserID: userID, UpTo: upTo, ReadAt: &v})
	return n, translate(err, "notifications")
}

func (s *Store) NotificationUnreadCount(ctx context.Context, tenantID, userID int64) (int64, error) {
	n, err := s.read.NotificationUnreadCount(ctx, db.NotificationUnreadCountParams{TenantID: tenantID, UserID: userID})
	return n, translate(err, "notifications")
}

func (s *Store) MuteSet(ctx context.Context, tenantID, userID int64, ch chat.Channel, muted bool) error {
	if !muted {
		err := s.write.MuteDelete(ctx, db.MuteDeleteParams{TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID})
		return translate(err, "mute")
	}
	err := s.write.MuteInsert(ctx, db.MuteInsertParams{TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID})
	return translateRef(err, "mute", "user")
}

func (s *Store) MuteGet(ctx context.Context, tenantID, userID int64, ch chat.Channel) (bool, error) {
	ok, err := s.read.MuteGet(ctx, db.MuteGetParams{TenantID: tenantID, UserID: userID, ChannelKind: string(ch.Kind), ChannelID: ch.ID})
	return ok, translate(err, "mute")
}

// NotifyJobBacklog reads the outbox's size for monitoring (chat.NotifyBacklog).
func (s *Store) NotifyJobBacklog(ctx context.Context, now time.Time, n int) (chat.NotifyBacklog, error) {
	r, err := s.read.NotifyJobBacklog(ctx, db.NotifyJobBacklogParams{Lim: int64(max(n, 1)), Now: micros(now)})
	if err != nil {
		return chat.NotifyBacklog{}, translate(err, "notification jobs")
	}
	b := chat.NotifyBacklog{Pending: r.Pending, Due: r.Due}
	if r.OldestDue != 0 {
		b.OldestDue = fromMicros(r.OldestDue)
	}
	return b, nil
}
