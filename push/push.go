// Package push is chat.Pusher over Web Push (RFC 8030) with VAPID
// (RFC 8292) and aes128gcm payload encryption (RFC 8291), through
// github.com/SherClockHolmes/webpush-go. push/pushtest is the in-process
// push service tests use.
package push

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"parley/chat"
)

// DefaultHosts are the push services of the browsers people use: Chrome
// and Android (FCM), Firefox (Mozilla autopush), Edge (WNS) and Safari
// (Apple). An endpoint elsewhere is refused (chat.CheckPushEndpoint).
var DefaultHosts = []string{"fcm.googleapis.com", "*.push.services.mozilla.com", "*.notify.windows.com", "*.push.apple.com"}

// Config configures a Pusher.
type Config struct {
	// PrivateKey is the VAPID private key: the P-256 scalar, 32 bytes,
	// base64url (GenerateKey makes one). Required.
	PrivateKey string
	// Subject is the contact push services may use about this sender:
	// "mailto:ops@example.com" or an https URL. Required.
	Subject string
	// Hosts are the allowed endpoint hosts (default DefaultHosts).
	Hosts []string
	// Client sends the pushes (default: a client with a 30-second
	// timeout). Redirects are never followed.
	Client *http.Client
}

// Pusher sends Web Push messages.
type Pusher struct {
	cfg    Config
	public string
	client *http.Client
}

var _ chat.Pusher = (*Pusher)(nil)

// New checks cfg and returns a Pusher.
func New(cfg Config) (*Pusher, error) {
	pub, err := PublicKeyOf(cfg.PrivateKey)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(cfg.Subject, "mailto:") && !strings.HasPrefix(cfg.Subject, "https://") {
		return nil, fmt.Errorf("VAPID subject %q must be a mailto: or https:// URL", cfg.Subject)
	}
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = DefaultHosts
	}
	c := &http.Client{Timeout: 30 * time.Second}
	if cfg.Client != nil {
		cc := *cfg.Client
		c = &cc
	}
	// A push service answers; it never sends us elsewhere.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Pusher{cfg: cfg, public: pub, client: c}, nil
}

// PublicKey is the VAPID application server key (base64url) browsers
// subscribe with.
func (p *Pusher) PublicKey() string { return p.public }

// Hosts are the allowed endpoint hosts.
func (p *Pusher) Hosts() []string { return p.cfg.Hosts }

// GenerateKey makes a new VAPID private key (base64url).
func GenerateKey() (string, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(k.Bytes()), nil
}

// PublicKeyOf derives the application server key of a private key.
func PublicKeyOf(private string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(private), "="))
	if err != nil {
		return "", errors.New("the VAPID private key is not base64url")
	}
	k, err := ecdh.P256().NewPrivateKey(raw)
	if err != nil {
		return "", errors.New("the VAPID private key is not a P-256 key of 32 bytes")
	}
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), nil
}

// Push encrypts payload to the subscription and posts it to its
// endpoint. 404 and 410 (the browser unsubscribed, or the subscription
// expired) are chat.ENotFound; 429, 5xx and network failures
// chat.EUnavailable; any other refusal is permanent.
func (p *Pusher) Push(ctx context.Context, s chat.PushSubscription, payload []byte, o chat.PushOptions) error {
	if err := chat.CheckPushEndpoint(s.Endpoint, p.cfg.Hosts); err != nil {
		return err
	}
	resp, err := webpush.SendNotificationWithContext(ctx, payload,
		&webpush.Subscription{Endpoint: s.Endpoint, Keys: webpush.Keys{P256dh: s.P256dh, Auth: s.Auth}},
		// webpush-go puts "mailto:" before a subscriber that is not an
		// https URL itself.
		&webpush.Options{HTTPClient: p.client, Subscriber: strings.TrimPrefix(p.cfg.Subject, "mailto:"), VAPIDPublicKey: p.public,
			VAPIDPrivateKey: strings.TrimSpace(p.cfg.PrivateKey), TTL: int(o.TTL / time.Second), Topic: o.Topic,
			Urgency: webpush.UrgencyNormal})
	if err != nil {
		// A transport error names the request's URL: the endpoint, a
		// capability that must not reach the logs or the job's last error.
		var ue *url.Error
		if errors.As(err, &ue) {
			return &chat.Error{Code: chat.EUnavailable, Message: "push service unreachable", Err: ue.Err}
		}
		if ctx.Err() != nil {
			return &chat.Error{Code: chat.EUnavailable, Message: "push service unreachable", Err: ctx.Err()}
		}
		return &chat.Error{Code: chat.EInvalid, Message: "push could not be built", Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return statusError(resp.StatusCode)
}

// statusError maps a push service's answer to chat's vocabulary.
func statusError(code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return chat.Errorf(chat.ENotFound, "the push service says the subscription is gone (%d)", code)
	case code == http.StatusTooManyRequests || code >= 500:
		return chat.Errorf(chat.EUnavailable, "the push service is busy or failing (%d)", code)
	case code == http.StatusRequestEntityTooLarge:
		return chat.Errorf(chat.EInvalid, "the push payload is too large (413)")
	}
	return chat.Errorf(chat.EInvalid, "the push service refused the push (%d)", code)
}
