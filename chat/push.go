package chat

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

// Web Push: a browser (a device) subscribes with the push service of its
// vendor and gives Parley the subscription; the Notifier then pushes
// through the outbox to the devices of users who are offline, with the
// same policy as email (docs/notifications.md).

// PushSubscription is one browser that receives pushes for a user.
type PushSubscription struct {
	ID       int64
	TenantID int64
	UserID   int64
	// Endpoint is the push service's URL for this browser. Whoever knows
	// it can push to the browser, so it is never shown to anyone else or
	// logged.
	Endpoint string
	// P256dh is the browser's public key (base64url, uncompressed P-256
	// point) and Auth its authentication secret (base64url, 16 bytes):
	// what the payload is encrypted to (RFC 8291).
	P256dh    string
	Auth      string
	CreatedAt time.Time
}

// PushOptions are the delivery hints of one push.
type PushOptions struct {
	// TTL is how long the push service keeps a push for a device that is
	// not reachable.
	TTL time.Duration
	// Topic replaces an undelivered earlier push with the same topic (one
	// pending push per thread); at most 32 base64url characters.
	Topic string
}

// Pusher sends Web Push messages (implemented by package push). Push
// encrypts payload to the subscription's keys and posts it to its
// endpoint. A subscription the push service says is gone (404, 410) is
// ENotFound; a temporary failure (5xx, 429, timeouts) is EUnavailable;
// anything else is permanent.
type Pusher interface {
	Push(ctx context.Context, s PushSubscription, payload []byte, o PushOptions) error
}

// Push limits: a user keeps at most MaxPushSubscriptions devices (a new
// one replaces the oldest); an endpoint is a URL of bounded length.
const (
	MaxPushSubscriptions = 10
	MaxPushEndpointLen   = 2048
)

// PushHostAllowed reports whether host (no port) matches one of the
// patterns: a name, or "*.domain" for any name below domain.
func PushHostAllowed(host string, patterns []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSpace(p))
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if p != "" && host == p {
			return true
		}
	}
	return false
}

// CheckPushEndpoint refuses an endpoint Parley would not post to: only
// https URLs of the allowed push service hosts, with no user info, so
// that a subscription cannot make the server send requests to internal
// addresses. The Pusher checks again before each send.
func CheckPushEndpoint(endpoint string, hosts []string) error {
	if len(endpoint) > MaxPushEndpointLen {
		return Errorf(EInvalid, "the push endpoint is longer than %d bytes", MaxPushEndpointLen)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return Errorf(EInvalid, "the push endpoint must be an https URL")
	}
	if !PushHostAllowed(u.Hostname(), hosts) {
		return Errorf(EInvalid, "push service %s is not allowed on this server", u.Hostname())
	}
	return nil
}

// checkPushKeys makes sure the payload can be encrypted to the keys: a
// P-256 public key and a 16-byte secret, base64url with or without
// padding (browsers send it without).
func checkPushKeys(p256dh, auth string) error {
	pub, err := decodeB64URL(p256dh)
	if err != nil {
		return Errorf(EInvalid, "keys.p256dh is not base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return Errorf(EInvalid, "keys.p256dh is not a P-256 public key")
	}
	secret, err := decodeB64URL(auth)
	if err != nil || len(secret) != 16 {
		return Errorf(EInvalid, "keys.auth must be 16 bytes of base64url")
	}
	return nil
}

func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// PushSubscriptionInput is what a browser's PushSubscription.toJSON()
// gives, less expirationTime.
type PushSubscriptionInput struct {
	Endpoint string
	P256dh   string
	Auth     string
}

// SubscribePush keeps the caller's browser as a push device. Subscribing
// the same endpoint again updates it (and moves it to the caller when
// another user had it: the browser's last login receives its pushes); a
// device over MaxPushSubscriptions replaces the caller's oldest.
// Errors: EUnauthenticated, EUnavailable (Web Push is not configured),
// EInvalid.
func (s *NotificationService) SubscribePush(ctx context.Context, in PushSubscriptionInput) (PushSubscription, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return PushSubscription{}, err
	}
	if len(s.cfg.PushHosts) == 0 {
		return PushSubscription{}, Errorf(EUnavailable, "Web Push is not configured on this server")
	}
	if err := CheckPushEndpoint(in.Endpoint, s.cfg.PushHosts); err != nil {
		return PushSubscription{}, err
	}
	if err := checkPushKeys(in.P256dh, in.Auth); err != nil {
		return PushSubscription{}, err
	}
	sub := PushSubscription{TenantID: p.TenantID, UserID: p.UserID, Endpoint: in.Endpoint,
		P256dh: strings.TrimRight(in.P256dh, "="), Auth: strings.TrimRight(in.Auth, "="), CreatedAt: s.clock.Now()}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.PushSubscriptionSave(ctx, &sub); err != nil {
			return err
		}
		subs, err := tx.PushSubscriptionList(ctx, p.TenantID, p.UserID)
		if err != nil {
			return err
		}
		// Oldest first: drop the oldest over the limit.
		for i := 0; i < len(subs)-MaxPushSubscriptions; i++ {
			if err := tx.PushSubscriptionDelete(ctx, p.TenantID, subs[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return PushSubscription{}, err
	}
	return sub, nil
}

// UnsubscribePush forgets one of the caller's devices by its endpoint
// (what the browser knows). Errors: EUnauthenticated, ENotFound.
func (s *NotificationService) UnsubscribePush(ctx context.Context, endpoint string) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	return s.store.PushSubscriptionDeleteEndpoint(ctx, p.TenantID, p.UserID, endpoint)
}

// PushDeviceCount says how many devices receive the caller's pushes.
// Errors: EUnauthenticated.
func (s *NotificationService) PushDeviceCount(ctx context.Context) (int, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return 0, err
	}
	subs, err := s.store.PushSubscriptionList(ctx, p.TenantID, p.UserID)
	return len(subs), err
}
