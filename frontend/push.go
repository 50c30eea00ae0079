package frontend

import (
	"net/http"
	"time"

	"parley/chat"
)

// registerPush adds the Web Push routes: the server's application key
// and the caller's devices (subscribe, unsubscribe).
func (s *Server) registerPush(m *http.ServeMux) {
	const p = "/api/v1/push"
	m.Handle("GET "+p, s.authed(s.pushInfo))
	m.Handle("POST "+p+"/subscriptions", s.authed(s.limited(s.postLimit, s.pushSubscribe)))
	m.Handle("DELETE "+p+"/subscriptions", s.authed(s.limited(s.postLimit, s.pushUnsubscribe)))
}

type pushInfoView struct {
	// Enabled is false when the server has no Web Push (no VAPID key).
	Enabled bool `json:"enabled"`
	// PublicKey is the VAPID application server key (base64url) the
	// browser subscribes with.
	PublicKey string `json:"public_key,omitempty"`
	// Devices is how many browsers receive the caller's pushes.
	Devices int `json:"devices"`
}

func (s *Server) pushInfo(w http.ResponseWriter, r *http.Request) error {
	n, err := s.notifications.PushDeviceCount(r.Context())
	if err != nil {
		return err
	}
	key := s.cfg.PushPublicKey
	writeJSON(w, http.StatusOK, pushInfoView{Enabled: key != "", PublicKey: key, Devices: n})
	return nil
}

// pushSubscriptionRequest is PushSubscription.toJSON() of the browser.
type pushSubscriptionRequest struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

type pushSubscriptionView struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) pushSubscribe(w http.ResponseWriter, r *http.Request) error {
	var req pushSubscriptionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	sub, err := s.notifications.SubscribePush(r.Context(),
		chat.PushSubscriptionInput{Endpoint: req.Endpoint, P256dh: req.Keys.P256dh, Auth: req.Keys.Auth})
	if err != nil {
		return err
	}
	// The endpoint is a capability: it is not echoed.
	writeJSON(w, http.StatusCreated, pushSubscriptionView{ID: sub.ID, CreatedAt: sub.CreatedAt})
	return nil
}

func (s *Server) pushUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Endpoint string `json:"endpoint"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Endpoint == "" {
		return chat.Errorf(chat.EInvalid, "endpoint is required")
	}
	if err := s.notifications.UnsubscribePush(r.Context(), req.Endpoint); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
