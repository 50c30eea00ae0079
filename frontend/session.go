package frontend

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"parley/chat"
)

// Login sessions. The cookie is signed and encrypted (securecookie) and
// carries only the id of a server-side session created by chat.Login, so
// deleting the row revokes it everywhere.

const (
	cookieName   = "parley_session"
	sessionIDKey = "sid"
	// MinSessionKeyLen is the least length of a session secret.
	MinSessionKeyLen = 32
)

// newCookieStore derives a hash and an encryption key from each secret, so
// operators handle one secret per key generation.
func newCookieStore(secrets [][]byte, lifetime time.Duration, secure bool) (*sessions.CookieStore, error) {
	if len(secrets) == 0 {
		return nil, errors.New("frontend: at least one session key is required")
	}
	var pairs [][]byte
	for _, secret := range secrets {
		if len(secret) < MinSessionKeyLen {
			return nil, errors.New("frontend: session keys must have at least 32 bytes")
		}
		hashKey, err := hkdf.Key(sha256.New, secret, nil, "parley session cookie hash", 64)
		if err != nil {
			return nil, err
		}
		blockKey, err := hkdf.Key(sha256.New, secret, nil, "parley session cookie block", 32)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, hashKey, blockKey)
	}
	cs := sessions.NewCookieStore(pairs...)
	cs.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	cs.MaxAge(int(lifetime.Seconds()))
	return cs, nil
}

// sessionID returns the session id carried by the request's cookie, or "".
func (s *Server) sessionID(r *http.Request) string {
	if _, err := r.Cookie(cookieName); err != nil {
		return ""
	}
	sess, err := s.cookies.New(r, cookieName)
	if err != nil {
		return ""
	}
	id, _ := sess.Values[sessionIDKey].(string)
	return id
}

// Authenticate resolves the request's session cookie to its principal; the
// hub authenticates WebSocket upgrades with it. Errors: EUnauthenticated,
// EInternal.
func (s *Server) Authenticate(r *http.Request) (*chat.Principal, error) {
	id := s.sessionID(r)
	if id == "" {
		return nil, chat.Errorf(chat.EUnauthenticated, "login required")
	}
	return s.sessions.Authenticate(r.Context(), id)
}

// setCookie sends the cookie for a new session, expiring with it.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, sess chat.Session) error {
	c, err := s.cookies.New(r, cookieName)
	if c == nil {
		return chat.Internal(err, "session cookie")
	}
	c.Values = map[any]any{sessionIDKey: sess.ID}
	c.Options.MaxAge = max(1, min(int(time.Until(sess.ExpiresAt).Seconds()), int(s.cfg.SessionLifetime.Seconds())))
	if err := s.cookies.Save(r, w, c); err != nil {
		return chat.Internal(err, "session cookie")
	}
	return nil
}

// clearCookie tells the browser to forget its session cookie.
func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(cookieName); err != nil {
		return
	}
	opts := *s.cookies.Options
	opts.MaxAge = -1
	http.SetCookie(w, sessions.NewCookie(cookieName, "", &opts))
}

// clientIP is the address login throttling counts by.
func (s *Server) clientIP(r *http.Request) string {
	if h := s.cfg.ClientIPHeader; h != "" {
		if v := r.Header.Values(h); len(v) > 0 {
			// Proxies append: the last entry is the one our proxy saw.
			parts := strings.Split(v[len(v)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || host == "" {
		// Never an empty key: throttling would lump such clients together.
		return r.RemoteAddr
	}
	return host
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login checks email and password and starts a new session. A session the
// browser held before is ended: every login gets a fresh id.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if old := s.sessionID(r); old != "" {
		if p, err := s.sessions.Authenticate(r.Context(), old); err == nil {
			_ = s.sessions.Logout(chat.WithPrincipal(r.Context(), p))
		}
	}
	sess, _, err := s.sessions.Login(r.Context(), req.Email, req.Password, s.clientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	if err := s.setCookie(w, r, sess); err != nil {
		return err
	}
	p, err := s.sessions.Authenticate(r.Context(), sess.ID)
	if err != nil {
		return err
	}
	doc, err := s.meDoc(chat.WithPrincipal(r.Context(), p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// logout ends the caller's session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.Logout(r.Context()); err != nil {
		return err
	}
	s.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logoutEverywhere ends every session of the caller, on every device.
func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.LogoutEverywhere(r.Context()); err != nil {
		return err
	}
	s.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
