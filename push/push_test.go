package push_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"parley/chat"
	"parley/push"
	"parley/push/pushtest"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

func newPusher(t *testing.T, ps *pushtest.Server) *push.Pusher {
	t.Helper()
	key, err := push.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := push.New(push.Config{PrivateKey: key, Subject: "mailto:ops@parley.example", Hosts: []string{ps.Host()}, Client: ps.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ps.ExpectKey(p.PublicKey())
	return p
}

func sub(in chat.PushSubscriptionInput) chat.PushSubscription {
	return chat.PushSubscription{ID: 1, Endpoint: in.Endpoint, P256dh: in.P256dh, Auth: in.Auth}
}

// A push reaches the push service signed with the server's VAPID key and
// encrypted to the browser's keys: the service verifies the signature and
// decrypts the payload with the subscription's own private key.
func TestPushArrivesDecryptable(t *testing.T) {
	t.Parallel()
	ps := pushtest.New(t)
	p := newPusher(t, ps)
	in := ps.Subscribe()
	payload, _ := json.Marshal(chat.PushPayload{Title: "New message in Payroll", Body: "Acme", Link: "/#/topic/7", Tag: "topic:7"})
	err := p.Push(t.Context(), sub(in), payload, chat.PushOptions{TTL: 12 * time.Hour, Topic: "topic-7"})
	if err != nil {
		t.Fatalf("Push: %v (service saw: %v)", err, ps.Errors())
	}
	got := ps.PushesTo(in.Endpoint)
	if len(got) != 1 {
		t.Fatalf("pushes %+v, errors %v", got, ps.Errors())
	}
	var pl chat.PushPayload
	if err := json.Unmarshal(got[0].Payload, &pl); err != nil || pl.Title != "New message in Payroll" || pl.Link != "/#/topic/7" {
		t.Fatalf("payload %q: %+v %v", got[0].Payload, pl, err)
	}
	if got[0].TTL != 12*3600 || got[0].Topic != "topic-7" || got[0].Subject != "mailto:ops@parley.example" {
		t.Fatalf("push headers %+v", got[0])
	}
	// Another key than the service expects is refused: the check can fail.
	other := newPusher(t, pushtest.New(t))
	ps.ExpectKey(other.PublicKey())
	if err := p.Push(t.Context(), sub(in), payload, chat.PushOptions{TTL: time.Hour}); err == nil || len(ps.Errors()) != 1 {
		t.Fatalf("a push signed with an unexpected key: %v, service errors %v", err, ps.Errors())
	}
}

// The push service's answers map to chat's codes: gone is ENotFound (the
// caller deletes the subscription), busy or failing EUnavailable (retry),
// anything else permanent.
func TestPushStatuses(t *testing.T) {
	t.Parallel()
	ps := pushtest.New(t)
	p := newPusher(t, ps)
	for status, want := range map[int]string{
		http.StatusGone: chat.ENotFound, http.StatusNotFound: chat.ENotFound,
		http.StatusTooManyRequests: chat.EUnavailable, http.StatusBadGateway: chat.EUnavailable,
		http.StatusBadRequest: chat.EInvalid, http.StatusRequestEntityTooLarge: chat.EInvalid,
	} {
		in := ps.Subscribe()
		ps.Answer(in.Endpoint, status)
		if err := p.Push(t.Context(), sub(in), []byte(`{}`), chat.PushOptions{TTL: time.Minute}); !chat.IsCode(err, want) {
			t.Errorf("status %d: %v, want %s", status, err, want)
		}
	}
}

// Only https endpoints of the allowed hosts are posted to, and a push
// service's redirect is not followed: a subscription cannot make the
// server send requests elsewhere.
func TestPushRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	ps := pushtest.New(t)
	p := newPusher(t, ps)
	hit := false
	elsewhere := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer elsewhere.Close()
	in := ps.Subscribe()
	for _, endpoint := range []string{"http://" + ps.Host() + "/push/1", "https://localhost/push/1", "https://user@" + ps.Host() + "/push/1"} {
		s := sub(in)
		s.Endpoint = endpoint
		if err := p.Push(t.Context(), s, []byte(`{}`), chat.PushOptions{}); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("endpoint %s: %v, want invalid", endpoint, err)
		}
	}
	redirect := httptest.NewTLSServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	rp, err := push.New(push.Config{PrivateKey: mustKey(t), Subject: "https://parley.example", Hosts: []string{"127.0.0.1"}, Client: redirect.Client()})
	if err != nil {
		t.Fatal(err)
	}
	s := sub(in)
	s.Endpoint = redirect.URL + "/push/1"
	if err := rp.Push(t.Context(), s, []byte(`{}`), chat.PushOptions{}); err == nil || hit {
		t.Fatalf("redirect: err %v, followed %v", err, hit)
	}
}

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := push.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A malformed key or contact is refused when the pusher is made.
func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]push.Config{
		"no key":      {Subject: "mailto:a@b.example"},
		"short key":   {PrivateKey: "AAAA", Subject: "mailto:a@b.example"},
		"bad subject": {PrivateKey: mustKey(t), Subject: "ops@example.com"},
	} {
		if _, err := push.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	pub, err := push.PublicKeyOf(mustKey(t))
	if err != nil || len(pub) != 87 { // 65 bytes in base64url
		t.Fatalf("public key %q, %v", pub, err)
	}
}

// An unreachable push service is a temporary failure whose error does not
// carry the endpoint (a capability that must not be logged).
func TestPushUnreachableHidesEndpoint(t *testing.T) {
	t.Parallel()
	ps := pushtest.New(t)
	p := newPusher(t, ps)
	in := ps.Subscribe()
	s := sub(in)
	s.Endpoint = "https://127.0.0.1:1/push/secret-token"
	err := p.Push(t.Context(), s, []byte(`{}`), chat.PushOptions{})
	if !chat.IsCode(err, chat.EUnavailable) || strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("unreachable: %v", err)
	}
}
