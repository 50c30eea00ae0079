package chat

import (
	"context"
	"math"
	"time"
)

// NotificationEvent is the data of an EventNotification on a user's
// channel: a new in-app notification, or notifications marked read on
// another device; Unread is the badge count after the change.
type NotificationEvent struct {
	Notification *Notification `json:"notification,omitempty"`
	ReadIDs      []int64       `json:"read_ids,omitempty"`
	// ReadUpTo: every notification with an id up to it is read now.
	ReadUpTo int64 `json:"read_up_to,omitempty"`
	Unread   int64 `json:"unread"`
}

// publishNotificationEvent tells the user's sockets on every node; a
// failed count only costs the badge its freshness.
func (s *core) publishNotificationEvent(ctx context.Context, tenantID, userID int64, ev NotificationEvent) {
	unread, err := s.store.NotificationUnreadCount(ctx, tenantID, userID)
	if err != nil {
		s.log.Warn().Err(err).Int64("tenant", tenantID).Int64("user", userID).Msg("unread notification count")
	}
	ev.Unread = unread
	s.publish(ctx, Event{Channel: UserChannel(userID), Type: EventNotification, Data: ev})
}

// Notifications lists the caller's in-app notifications, oldest first
// after page.After. Errors: EUnauthenticated.
func (s *NotificationService) Notifications(ctx context.Context, page Page) ([]Notification, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.NotificationList(ctx, p.TenantID, p.UserID, page.Normalize())
}

// NotificationsNewest lists the caller's in-app notifications newest
// first, older than the id before (0: from the newest). Errors:
// EUnauthenticated, EInvalid.
func (s *NotificationService) NotificationsNewest(ctx context.Context, before int64, limit int) ([]Notification, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if before < 0 {
		return nil, Errorf(EInvalid, "before must be a notification id")
	}
	return s.store.NotificationListNewest(ctx, p.TenantID, p.UserID, before, Page{Limit: limit}.Normalize().Limit)
}

// NotificationUnreadCount is the caller's badge. Errors: EUnauthenticated.
func (s *NotificationService) NotificationUnreadCount(ctx context.Context) (int64, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return 0, err
	}
	return s.store.NotificationUnreadCount(ctx, p.TenantID, p.UserID)
}

// MarkNotificationRead marks one of the caller's notifications read (again
// is fine) and updates the badge on the caller's other devices.
// Errors: EUnauthenticated, ENotFound.
func (s *NotificationService) MarkNotificationRead(ctx context.Context, id int64) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	if err := s.store.NotificationMarkRead(ctx, p.TenantID, p.UserID, id, s.clock.Now()); err != nil {
		return err
	}
	s.publishNotificationEvent(ctx, p.TenantID, p.UserID, NotificationEvent{ReadIDs: []int64{id}})
	return nil
}

// MarkAllNotificationsRead marks the caller's notifications up to the id
// upTo read (0: all of them), so one that arrives while the user clicks
// stays unread. Errors: EUnauthenticated, EInvalid.
func (s *NotificationService) MarkAllNotificationsRead(ctx context.Context, upTo int64) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	if upTo < 0 {
		return Errorf(EInvalid, "up_to must be a notification id")
	}
	if upTo == 0 {
		upTo = math.MaxInt64
	}
	n, err := s.store.NotificationMarkAllRead(ctx, p.TenantID, p.UserID, upTo, s.clock.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		s.publishNotificationEvent(ctx, p.TenantID, p.UserID, NotificationEvent{ReadUpTo: upTo})
	}
	return nil
}

// NotificationPrefs are a user's own notification settings.
type NotificationPrefs struct {
	// EmailNotifications: emails for offline notifications at all; in-app
	// notifications come regardless.
	EmailNotifications bool `json:"email_notifications"`
	// Channels chooses email, push, both or none per kind of
	// notification (email also needs EmailNotifications).
	Channels NotifyChannels `json:"channels"`
}

// notifyChannels is a user's channels per kind, the defaults when they
// never chose.
func (s *core) notifyChannels(ctx context.Context, st Store, tenantID, userID int64) (NotifyChannels, error) {
	c, err := st.NotifyPrefsGet(ctx, tenantID, userID)
	if IsCode(err, ENotFound) {
		return DefaultNotifyChannels(), nil
	}
	return c, err
}

// NotificationPrefs returns the caller's settings. Errors: EUnauthenticated.
func (s *NotificationService) NotificationPrefs(ctx context.Context) (NotificationPrefs, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return NotificationPrefs{}, err
	}
	u, err := s.store.UserGet(ctx, p.TenantID, p.UserID)
	if err != nil {
		return NotificationPrefs{}, err
	}
	c, err := s.notifyChannels(ctx, s.store, p.TenantID, p.UserID)
	if err != nil {
		return NotificationPrefs{}, err
	}
	return NotificationPrefs{EmailNotifications: u.EmailNotifications, Channels: c}, nil
}

// NotificationPrefsChange is a change of settings; nil fields stay.
type NotificationPrefsChange struct {
	EmailNotifications *bool
	Channels           *NotifyChannels
}

// SetNotificationPrefs saves the caller's settings and returns them all.
// Errors: EUnauthenticated, EInvalid (nothing to change).
func (s *NotificationService) SetNotificationPrefs(ctx context.Context, ch NotificationPrefsChange) (NotificationPrefs, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return NotificationPrefs{}, err
	}
	if ch.EmailNotifications == nil && ch.Channels == nil {
		return NotificationPrefs{}, Errorf(EInvalid, "give email_notifications, channels or both")
	}
	// Read and write in one transaction: UserUpdate saves every field, so
	// an admin's concurrent edit must not be overwritten with stale data.
	err = s.store.InTx(ctx, func(tx Store) error {
		if ch.Channels != nil {
			if err := tx.NotifyPrefsSave(ctx, p.TenantID, p.UserID, *ch.Channels); err != nil {
				return err
			}
		}
		u, err := tx.UserGet(ctx, p.TenantID, p.UserID)
		if err != nil || ch.EmailNotifications == nil || u.EmailNotifications == *ch.EmailNotifications {
			return err
		}
		u.EmailNotifications = *ch.EmailNotifications
		return tx.UserUpdate(ctx, u)
	})
	if err != nil {
		return NotificationPrefs{}, err
	}
	return s.NotificationPrefs(ctx)
}

// SetMuted mutes or unmutes a topic or conversation the caller can read.
// A muted thread sends the caller no email and no in-app notification,
// mentions included. Errors: EUnauthenticated, ENotFound, EInvalid.
func (s *NotificationService) SetMuted(ctx context.Context, ch Channel, muted bool) error {
	if !ch.Persisted() {
		return Errorf(EInvalid, "only topics and conversations can be muted")
	}
	if err := s.authorize(ctx, ch); err != nil {
		return err
	}
	p := PrincipalFrom(ctx)
	return s.store.MuteSet(ctx, p.TenantID, p.UserID, ch, muted)
}

// Muted reports whether the caller muted a thread they can read.
// Errors: EUnauthenticated, ENotFound, EInvalid.
func (s *NotificationService) Muted(ctx context.Context, ch Channel) (bool, error) {
	if !ch.Persisted() {
		return false, Errorf(EInvalid, "only topics and conversations can be muted")
	}
	if err := s.authorize(ctx, ch); err != nil {
		return false, err
	}
	p := PrincipalFrom(ctx)
	return s.store.MuteGet(ctx, p.TenantID, p.UserID, ch)
}

// NotifyLogEntry is one recorded decision with its explanation, for the
// admin lookup "why did or didn't this person get an email".
type NotifyLogEntry struct {
	ID          int64         `json:"id"`
	UserID      int64         `json:"user_id"` // 0: an external address (in Detail)
	Via         NotifyVia     `json:"via"`
	Channel     Channel       `json:"channel"`
	MessageID   int64         `json:"message_id"`
	Reason      NotifyReason  `json:"reason"`
	Outcome     NotifyOutcome `json:"outcome"`
	Explanation string        `json:"explanation"`
	Detail      string        `json:"detail,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
}

// NotificationLog lists the recorded email decisions of the caller's
// tenant for a user and/or a message (0: any), oldest first. Tenant
// admins only: the log shows who was told about what.
// Errors: EUnauthenticated, EForbidden, ENotFound (unknown user or message).
func (s *NotificationService) NotificationLog(ctx context.Context, userID, messageID int64, page Page) ([]NotifyLogEntry, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.TenantAdmin() && !p.Superuser {
		return nil, Errorf(EForbidden, "only administrators can read the notification log")
	}
	if userID < 0 || messageID < 0 {
		return nil, Errorf(EInvalid, "user and message ids must not be negative")
	}
	if userID > 0 {
		if _, err := s.store.UserGet(ctx, p.TenantID, userID); err != nil {
			return nil, err
		}
	}
	if messageID > 0 {
		if _, err := s.store.MessageGet(ctx, p.TenantID, messageID); err != nil {
			return nil, err
		}
	}
	ds, err := s.store.NotifyDecisionList(ctx, p.TenantID, userID, messageID, page.Normalize())
	if err != nil {
		return nil, err
	}
	out := make([]NotifyLogEntry, 0, len(ds))
	for _, d := range ds {
		via := d.Via
		if via == "" {
			via = ViaEmail
		}
		out = append(out, NotifyLogEntry{ID: d.ID, UserID: d.UserID, Via: via, Channel: d.Channel, MessageID: d.MessageID,
			Reason: d.Reason, Outcome: d.Outcome, Explanation: ExplainOutcome(d.Outcome), Detail: d.Detail,
			CreatedAt: d.CreatedAt})
	}
	return out, nil
}
