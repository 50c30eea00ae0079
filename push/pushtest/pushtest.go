// Package pushtest is a Web Push service for tests, in process: browsers'
// subscriptions are made here (a P-256 key pair and an auth secret per
// subscription, as a browser makes them), and every push the server under
// test sends is checked the way a real push service and browser would:
// the VAPID signature (RFC 8292) and the aes128gcm encryption (RFC 8291,
// RFC 8188) are verified, the payload decrypted with the subscription's
// own private key and recorded. An endpoint can be made to answer 410
// Gone (unsubscribed) or any other status.
package pushtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/chat"
)

// Push is one push the service accepted, decrypted.
type Push struct {
	Endpoint string
	Payload  []byte
	TTL      int
	Topic    string
	Urgency  string
	// Subject is the VAPID "sub" claim: the sender's contact.
	Subject string
}

// Server is the in-process push service.
type Server struct {
	t    testing.TB
	srv  *httptest.Server
	next int

	mu     sync.Mutex
	subs   map[string]*subscription // by endpoint path
	pushes []Push
	errs   []error
	// wantKey, when set, is the VAPID public key every push must be
	// signed with.
	wantKey string
}

type subscription struct {
	priv   *ecdh.PrivateKey
	auth   []byte
	status int // answer to pushes; 0: 201 Created
}

// New starts a push service over TLS on 127.0.0.1, stopped when the test
// ends.
func New(t testing.TB) *Server {
	s := &Server{t: t, subs: map[string]*subscription{}}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// Client trusts the service's certificate; the Pusher under test uses it.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Host is the service's host name, for the allowed push hosts.
func (s *Server) Host() string {
	u, _ := url.Parse(s.srv.URL)
	return u.Hostname()
}

// ExpectKey makes every push signed with another VAPID key than this
// (base64url) fail.
func (s *Server) ExpectKey(publicKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wantKey = publicKey
}

// Subscribe makes a new browser subscription: its endpoint and the
// browser's public keys, as PushSubscription.toJSON() gives them.
func (s *Server) Subscribe() chat.PushSubscriptionInput {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		s.t.Fatalf("pushtest: key: %v", err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	s.mu.Lock()
	s.next++
	path := "/push/" + strconv.Itoa(s.next)
	s.subs[path] = &subscription{priv: priv, auth: auth}
	s.mu.Unlock()
	b64 := base64.RawURLEncoding.EncodeToString
	return chat.PushSubscriptionInput{Endpoint: s.srv.URL + path, P256dh: b64(priv.PublicKey().Bytes()), Auth: b64(auth)}
}

// Answer makes the endpoint answer every push with status (410: the
// browser unsubscribed).
func (s *Server) Answer(endpoint string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs[pathOf(endpoint)].status = status
}

// Pushes returns the accepted pushes so far, to every endpoint.
func (s *Server) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Push(nil), s.pushes...)
}

// PushesTo returns the accepted pushes to one endpoint.
func (s *Server) PushesTo(endpoint string) []Push {
	var out []Push
	for _, p := range s.Pushes() {
		if p.Endpoint == endpoint {
			out = append(out, p)
		}
	}
	return out
}

// Errors returns what was wrong with refused pushes (bad signature,
// encryption, headers): a test that expects none checks it is empty.
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

func pathOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	return u.Path
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sub := s.subs[r.URL.Path]
	wantKey := s.wantKey
	s.mu.Unlock()
	if sub == nil || r.Method != http.MethodPost {
		http.Error(w, "no such subscription", http.StatusNotFound)
		return
	}
	if sub.status != 0 {
		w.WriteHeader(sub.status)
		return
	}
	p, err := s.check(r, sub, wantKey)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.pushes = append(s.pushes, p)
	w.WriteHeader(http.StatusCreated)
}

// check verifies one push as a push service and the browser would.
func (s *Server) check(r *http.Request, sub *subscription, wantKey string) (Push, error) {
	p := Push{Endpoint: s.srv.URL + r.URL.Path, Topic: r.Header.Get("Topic"), Urgency: r.Header.Get("Urgency")}
	ttl, err := strconv.Atoi(r.Header.Get("TTL"))
	if err != nil || ttl < 0 {
		return p, fmt.Errorf("TTL header %q", r.Header.Get("TTL"))
	}
	p.TTL = ttl
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		return p, fmt.Errorf("Content-Encoding %q, want aes128gcm", ce)
	}
	if p.Subject, err = checkVAPID(r.Header.Get("Authorization"), "https://"+r.Host, wantKey); err != nil {
		return p, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	if err != nil {
		return p, err
	}
	if len(body) > 4096 {
		return p, fmt.Errorf("payload of %d bytes: push services take at most 4096", len(body))
	}
	p.Payload, err = Decrypt(body, sub.priv, sub.auth)
	return p, err
}

// checkVAPID verifies "vapid t=<JWT>, k=<key>" (RFC 8292): an ES256 JWT
// signed by k, for this push service's origin, expiring within 24 hours.
func checkVAPID(header, audience, wantKey string) (string, error) {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return "", fmt.Errorf("authorization %q is not vapid", header)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		params[k] = v
	}
	token, key := params["t"], params["k"]
	if wantKey != "" && key != wantKey {
		return "", fmt.Errorf("signed with key %s, want %s", key, wantKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		return "", fmt.Errorf("vapid k: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return "", fmt.Errorf("vapid k: %w", err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("vapid t is not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", errors.New("vapid JWT signature is not 64 bytes of ES256")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", errors.New("vapid JWT signature does not verify")
	}
	var head struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := decodeSegment(parts[0], &head); err != nil || head.Alg != "ES256" {
		return "", fmt.Errorf("vapid JWT header %+v (%v)", head, err)
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return "", err
	}
	exp := time.Unix(claims.Exp, 0)
	switch {
	case claims.Aud != audience:
		return "", fmt.Errorf("vapid aud %q, want %q", claims.Aud, audience)
	case time.Until(exp) <= 0 || time.Until(exp) > 24*time.Hour+time.Minute:
		return "", fmt.Errorf("vapid exp %v is not within 24 hours", exp)
	case !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:"):
		return "", fmt.Errorf("vapid sub %q is neither a mailto nor an https address", claims.Sub)
	}
	return claims.Sub, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Decrypt opens an aes128gcm push body (RFC 8291 with RFC 8188's one
// record) with the subscription's private key and auth secret.
func Decrypt(body []byte, priv *ecdh.PrivateKey, authSecret []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt, rs, idLen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idLen || idLen != 65 {
		return nil, fmt.Errorf("keyid of %d bytes, want the sender's 65-byte public key", idLen)
	}
	senderPub, ciphertext := body[21:21+idLen], body[21+idLen:]
	if uint32(len(ciphertext)) > rs {
		return nil, fmt.Errorf("%d bytes of ciphertext in records of %d: more than one record", len(ciphertext), rs)
	}
	as, err := ecdh.P256().NewPublicKey(senderPub)
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	shared, err := priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	prkKey, err := hkdf.Extract(sha256.New, shared, authSecret)
	if err != nil {
		return nil, err
	}
	keyInfo := "WebPush: info\x00" + string(priv.PublicKey().Bytes()) + string(senderPub)
	ikm, err := hkdf.Expand(sha256.New, prkKey, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	// The last record ends with the delimiter 2, then zero padding.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter after the payload")
	}
	return plain[:end], nil
}
