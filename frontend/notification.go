package frontend

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/chat"
)

// registerNotifications adds the notification routes: the caller's in-app
// notifications and badge, their email preference, muting a topic or a
// conversation, and the tenant admins' lookup of the email decision log.
func (s *Server) registerNotifications(m *http.ServeMux) {
	const p = "/api/v1/notifications"
	m.Handle("GET "+p, s.authed(s.notificationList))
	m.Handle("GET "+p+"/unread", s.authed(s.notificationUnread))
	m.Handle("POST "+p+"/{id}/read", s.authed(s.notificationRead))
	m.Handle("POST "+p+"/read-all", s.authed(s.notificationReadAll))
	m.Handle("GET "+p+"/preferences", s.authed(s.notificationPrefs))
	m.Handle("PUT "+p+"/preferences", s.authed(s.notificationPrefsSet))
	m.Handle("GET "+p+"/mutes/{channel}", s.authed(s.notificationMute))
	m.Handle("PUT "+p+"/mutes/{channel}", s.authed(s.notificationMuteSet))
	m.Handle("GET "+p+"/log", s.authed(s.notificationLog))
}

// notificationView is an in-app notification with the UI route of its
// thread (the same fragment emails link to, without the host).
type notificationView struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Channel   string     `json:"channel"`
	MessageID *int64     `json:"message_id,omitempty"`
	Title     string     `json:"title"`
	Link      string     `json:"link"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

func viewNotification(n chat.Notification) notificationView {
	return notificationView{ID: n.ID, Kind: n.Kind, Channel: n.Channel.String(), MessageID: n.MessageID, Title: n.Title,
		Link: chat.ThreadURL("", n.Channel), ReadAt: n.ReadAt, CreatedAt: n.CreatedAt}
}

func notificationID(n chat.Notification) int64 { return n.ID }

// notificationList pages through the caller's notifications: newest first
// (?before=, next is the before= of the older page), or with ?after= the
// ones newer than a known id, oldest first (catching up).
func (s *Server) notificationList(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	before, err := cursorParam(r, "before", "before must be a cursor from a previous page's next")
	if err != nil {
		return err
	}
	var ns []chat.Notification
	switch q := r.URL.Query(); {
	case q.Has("after") && q.Has("before"):
		return chat.Errorf(chat.EInvalid, "use either after or before")
	case q.Has("after"):
		ns, err = s.notifications.Notifications(r.Context(), page)
	default:
		ns, err = s.notifications.NotificationsNewest(r.Context(), before, page.Limit)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ns, page, notificationID, viewNotification))
	return nil
}

type unreadView struct {
	Unread int64 `json:"unread"`
}

// notificationUnread is the badge.
func (s *Server) notificationUnread(w http.ResponseWriter, r *http.Request) error {
	view := func(n int64) unreadView { return unreadView{Unread: n} }
	return answerCaller(s.notifications.NotificationUnreadCount, view)(w, r)
}

// notificationRead marks one notification read and answers the new badge.
func (s *Server) notificationRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "notification")
	if err != nil {
		return err
	}
	if err := s.notifications.MarkNotificationRead(r.Context(), id); err != nil {
		return err
	}
	return s.notificationUnread(w, r)
}

// notificationReadAll marks read every notification up to up_to (the
// newest the client has shown; absent: all).
func (s *Server) notificationReadAll(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UpTo int64 `json:"up_to"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	if err := s.notifications.MarkAllNotificationsRead(r.Context(), req.UpTo); err != nil {
		return err
	}
	return s.notificationUnread(w, r)
}

type prefsRequest struct {
	EmailNotifications *bool                `json:"email_notifications"`
	Channels           *chat.NotifyChannels `json:"channels"`
}

func (s *Server) notificationPrefs(w http.ResponseWriter, r *http.Request) error {
	return answerCaller(s.notifications.NotificationPrefs, asIs[chat.NotificationPrefs])(w, r)
}

func (s *Server) notificationPrefsSet(w http.ResponseWriter, r *http.Request) error {
	var req prefsRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	prefs, err := s.notifications.SetNotificationPrefs(r.Context(),
		chat.NotificationPrefsChange{EmailNotifications: req.EmailNotifications, Channels: req.Channels})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, prefs)
	return nil
}

type muteView struct {
	Channel string `json:"channel"`
	Muted   bool   `json:"muted"`
}

type muteRequest struct {
	Muted *bool `json:"muted"`
}

// channelOf reads the {channel} path value ("topic:12"); a malformed one
// names nothing, so it answers not found.
func channelOf(r *http.Request) (chat.Channel, error) {
	ch, err := chat.ParseChannel(r.PathValue("channel"))
	if err != nil {
		return chat.Channel{}, chat.NotFound("channel")
	}
	return ch, nil
}

func (s *Server) notificationMute(w http.ResponseWriter, r *http.Request) error {
	ch, err := channelOf(r)
	if err != nil {
		return err
	}
	muted, err := s.notifications.Muted(r.Context(), ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, muteView{Channel: ch.String(), Muted: muted})
	return nil
}

func (s *Server) notificationMuteSet(w http.ResponseWriter, r *http.Request) error {
	ch, err := channelOf(r)
	if err != nil {
		return err
	}
	var req muteRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Muted == nil {
		return chat.Errorf(chat.EInvalid, "muted is required")
	}
	if err := s.notifications.SetMuted(r.Context(), ch, *req.Muted); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, muteView{Channel: ch.String(), Muted: *req.Muted})
	return nil
}

// notificationLog answers "why did or didn't this person get an email for
// this message": ?user= and/or ?message= (tenant admins only).
func (s *Server) notificationLog(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var ids [2]int64
	for i, name := range []string{"user", "message"} {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return chat.Errorf(chat.EInvalid, "%s must be an id", name)
		}
		ids[i] = n
	}
	if ids[0] == 0 && ids[1] == 0 {
		return chat.Errorf(chat.EInvalid, "give a user, a message or both")
	}
	entries, err := s.notifications.NotificationLog(r.Context(), ids[0], ids[1], page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(entries, page, func(e chat.NotifyLogEntry) int64 { return e.ID },
		func(e chat.NotifyLogEntry) chat.NotifyLogEntry { return e }))
	return nil
}
