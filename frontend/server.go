// Package frontend is what browsers and API clients talk to: the JSON API
// under /api/v1/, login sessions, health checks and the web page at /.
// It decides nothing about access: every request runs as its principal
// through chat.Service, which checks permission itself.
package frontend

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/rs/zerolog"

	"parley/chat"
	"parley/frontend/web"
)

// Config wires a Server. Zero values are documented defaults.
type Config struct {
	// Domain is the chat services the handlers call. Required.
	Domain Domain
	// PublicURL is the address users open (scheme://host[:port]). Its
	// origin is trusted for state-changing requests, and an https URL makes
	// the session cookie Secure. Required.
	PublicURL string
	// SessionKeys are secrets of at least 32 bytes each; the first signs
	// and encrypts new cookies, the others are still accepted so keys can
	// be rotated. Required.
	SessionKeys [][]byte
	// SessionLifetime bounds the cookie's Max-Age; it should equal the
	// service's session lifetime (default 7 days, as in chat.Config).
	SessionLifetime time.Duration
	// ClientIPHeader names a header set by a trusted reverse proxy that
	// carries the client address (X-Forwarded-For: its last entry, or
	// X-Real-IP). Empty: the connection's remote address is used.
	ClientIPHeader string
	// PushPublicKey is the VAPID application server key (base64url)
	// browsers subscribe to Web Push with; empty: no Web Push.
	PushPublicKey string
	// Ready reports whether the server can serve (database reachable and
	// migrated); nil counts as ready.
	Ready  func(ctx context.Context) error
	Logger zerolog.Logger

	// Per-user rate limits of this node (see ratelimit.go). PostLimit
	// covers posts, new conversations and drafts (default 20/s, burst
	// 40), UploadLimit uploads (default 0.2/s, burst 20), SearchLimit
	// searches (default 2/s, burst 10).
	PostLimit, UploadLimit, SearchLimit RateLimit
	// MaxUploadBytes bounds an upload's request body, multipart framing
	// included; keep it above chat.Config.MaxAttachmentBytes (default
	// 26 MiB).
	MaxUploadBytes int64
	// BodyReadTimeout bounds the time a client has to send a request body
	// once its headers are in (default 30 s); UploadReadTimeout replaces
	// it for uploads (default 10 min). A body that is not complete by then
	// fails and the connection is closed, so a client trickling a byte at
	// a time cannot hold a connection forever. Requests without a body
	// (WebSocket upgrades among them) are not affected.
	BodyReadTimeout, UploadReadTimeout time.Duration
}

// Server is the HTTP front of Parley.
type Server struct {
	cfg Config
	// The domain's services, each as the narrow interface handlers use.
	sessions      Sessions
	directory     Directory
	messenger     Messenger
	conversations Conversations
	messages      Messages
	notifications Notifications
	canned        CannedReplies
	log           zerolog.Logger
	mux           *http.ServeMux
	handler       http.Handler
	cookies       *sessions.CookieStore

	postLimit, uploadLimit, searchLimit *userLimiter
}

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if name := cfg.Domain.missing(); name != "" {
		return nil, errors.New("frontend: Domain." + name + " is required")
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 7 * 24 * time.Hour
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 26 << 20
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = 30 * time.Second
	}
	if cfg.UploadReadTimeout <= 0 {
		cfg.UploadReadTimeout = 10 * time.Minute
	}
	pub, err := url.Parse(cfg.PublicURL)
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, errors.New("frontend: PublicURL must be an absolute http(s) URL")
	}
	cookies, err := newCookieStore(cfg.SessionKeys, cfg.SessionLifetime, pub.Scheme == "https")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:           cfg,
		sessions:      cfg.Domain.Sessions,
		directory:     cfg.Domain.Directory,
		messenger:     cfg.Domain.Messenger,
		conversations: cfg.Domain.Conversations,
		messages:      cfg.Domain.Messages,
		notifications: cfg.Domain.Notifications,
		canned:        cfg.Domain.CannedReplies,
		log:           cfg.Logger.With().Str("component", "http").Logger(),
		mux:           http.NewServeMux(),
		cookies:       cookies,

		postLimit:   newUserLimiter(cfg.PostLimit.orDefault(defaultPostLimit)),
		uploadLimit: newUserLimiter(cfg.UploadLimit.orDefault(defaultUploadLimit)),
		searchLimit: newUserLimiter(cfg.SearchLimit.orDefault(defaultSearchLimit)),
	}
	s.routes()

	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(pub.Scheme + "://" + pub.Host); err != nil {
		return nil, err
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, chat.Errorf(chat.EForbidden, "cross-origin request refused"))
	}))
	s.handler = s.recoverPanics(securityHeaders(pub.Scheme == "https", s.bodyDeadline(cop.Handler(s.mux))))
	return s, nil
}

// ServeHTTP serves every route of Parley.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Mount adds a handler for a mux pattern, e.g. the hub at "GET /ws". It
// gets the same security headers and cross-origin protection.
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// apiFunc is a handler that reports failure by returning an error.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// public serves an API handler that needs no login.
func (s *Server) public(fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed serves an API handler as the logged-in principal.
func (s *Server) authed(fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(r)
		if err != nil {
			if chat.IsCode(err, chat.EUnauthenticated) {
				s.clearCookie(w, r)
			}
			s.writeError(w, r, err)
			return
		}
		r = r.WithContext(chat.WithPrincipal(r.Context(), p))
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	m.Handle("GET /readyz", http.HandlerFunc(s.readyz))
	web.Mount(m) // the browser app: / and /assets/

	m.Handle("POST /api/v1/session", s.public(s.login))
	m.Handle("DELETE /api/v1/session", s.authed(s.logout))
	m.Handle("DELETE /api/v1/sessions", s.authed(s.logoutEverywhere))

	m.Handle("GET /api/v1/me", s.authed(s.me))
	m.Handle("PATCH /api/v1/me", s.authed(s.meUpdate))
	m.Handle("PUT /api/v1/me/password", s.authed(s.mePassword))

	m.Handle("GET /api/v1/tenant", s.authed(s.tenantOwn))
	m.Handle("GET /api/v1/tenants", s.authed(s.tenantList))
	m.Handle("POST /api/v1/tenants", s.authed(s.tenantCreate))
	m.Handle("GET /api/v1/tenants/{id}", s.authed(s.tenantGet))
	m.Handle("PATCH /api/v1/tenants/{id}", s.authed(s.tenantUpdate))

	// Companies, users and roles live in a tenant: the caller's own under
	// /api/v1/..., any tenant (for operators) under /api/v1/tenants/{tenant}/...
	m.Handle("GET /api/v1/users/names", s.authed(s.userNames))
	for _, prefix := range []string{"/api/v1", "/api/v1/tenants/{tenant}"} {
		m.Handle("GET "+prefix+"/companies", s.authed(s.companyList))
		m.Handle("POST "+prefix+"/companies", s.authed(s.companyCreate))
		m.Handle("GET "+prefix+"/companies/{id}", s.authed(s.companyGet))
		m.Handle("PATCH "+prefix+"/companies/{id}", s.authed(s.companyUpdate))

		m.Handle("GET "+prefix+"/users", s.authed(s.userList))
		m.Handle("POST "+prefix+"/users", s.authed(s.userCreate))
		m.Handle("GET "+prefix+"/users/{id}", s.authed(s.userGet))
		m.Handle("PATCH "+prefix+"/users/{id}", s.authed(s.userUpdate))
		m.Handle("POST "+prefix+"/users/{id}/password", s.authed(s.userResetPassword))

		m.Handle("GET "+prefix+"/roles", s.authed(s.roleList))
		m.Handle("POST "+prefix+"/roles", s.authed(s.roleCreate))
		m.Handle("GET "+prefix+"/roles/{id}", s.authed(s.roleGet))
		m.Handle("PATCH "+prefix+"/roles/{id}", s.authed(s.roleUpdate))
		m.Handle("DELETE "+prefix+"/roles/{id}", s.authed(s.roleDelete))
	}
	s.registerMessenger(m)
	s.registerSearch(m)
	s.registerReactions(m)
	s.registerAvatars(m)
	s.registerNotifications(m)
	s.registerPush(m)
	s.registerConversations(m)
	s.registerCannedReplies(m)

	// Anything else under the API answers in JSON.
	m.Handle("/api/", s.public(s.apiNotFound))
}

// apiNotFound answers API paths no route serves: 405 when the path exists
// with other methods, else 404.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) > 0 {
		writeMethodNotAllowed(w, r, strings.Join(allowed, ", "))
		return nil
	}
	return chat.Errorf(chat.ENotFound, "no API endpoint %s %s", r.Method, r.URL.Path)
}

// securityHeaders sets the headers every response carries. Served over
// https, browsers are told to keep to https (HSTS), so that no later visit
// starts over plain http where the session cookie could be stripped.
func securityHeaders(https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", web.CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// bodyDeadline gives a request with a body BodyReadTimeout to send it:
// the connection's read deadline, which net/http clears itself when the
// body has been read to its end (so a handler that works longer is not
// cut off) and resets for the connection's next request. http.Server's
// ReadTimeout would do the same for every request, WebSocket upgrades
// included, which must stay open. A handler that expects a longer body
// moves the deadline with extendBodyDeadline.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			// Not every ResponseWriter supports deadlines (httptest's
			// recorder does not); there is nothing to bound then.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout))
		}
		next.ServeHTTP(w, r)
	})
}

// extendBodyDeadline gives the rest of r's body d from now.
func extendBodyDeadline(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

// recoverPanics turns a panicking handler into a logged 500.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error().Interface("panic", v).Str("method", r.Method).Str("path", r.URL.Path).Msg("handler panicked")
				s.writeError(w, r, chat.Errorf(chat.EInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// healthz answers while the process runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the database is reachable and migrated.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.Warn().Err(err).Msg("not ready")
			s.writeError(w, r, chat.Errorf(chat.EUnavailable, "not ready"))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
