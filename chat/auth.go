package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sync"
)

// Login checks email and password and opens a session. Unknown users,
// inactive users and wrong passwords get the same answer in the same time.
// Errors: EUnauthenticated, ERateLimited, EInternal.
func (s *SessionService) Login(ctx context.Context, email, password, ip, userAgent string) (Session, User, error) {
	email, emailErr := NormalizeEmail(email)
	accountKey, ipKey := "account:"+email, "ip:"+ip
	if emailErr == nil {
		defer s.passwordChecks.lock(accountKey)()
	}
	now := s.clock.Now()
	since := now.Add(-s.cfg.LoginWindow)
	for _, lim := range []struct {
		key string
		max int64
	}{{accountKey, s.cfg.LoginMaxPerAccount}, {ipKey, s.cfg.LoginMaxPerIP}} {
		n, err := s.store.LoginFailureCount(ctx, lim.key, since)
		if err != nil {
			return Session{}, User{}, err
		}
		if n >= lim.max {
			// The window slides, so waiting all of it is always enough.
			return Session{}, User{}, RateLimited(s.cfg.LoginWindow, "too many failed logins; try again in %d minutes", int(s.cfg.LoginWindow.Minutes()))
		}
	}
	bad := Errorf(EUnauthenticated, "invalid email or password")
	var u User
	hash := dummyHash()
	if emailErr == nil {
		found, h, err := s.store.UserByEmail(ctx, email)
		switch {
		case err == nil:
			u, hash = found, h
		case !IsCode(err, ENotFound):
			return Session{}, User{}, err
		}
	}
	ok := VerifyPassword(hash, password)
	if !ok || u.ID == 0 || !u.Active {
		for _, key := range []string{accountKey, ipKey} {
			if _, err := s.store.LoginFailureAdd(ctx, key, now, since); err != nil {
				return Session{}, User{}, err
			}
		}
		return Session{}, User{}, bad
	}
	if err := s.store.LoginFailureClear(ctx, accountKey); err != nil {
		return Session{}, User{}, err
	}
	id, err := newSessionID()
	if err != nil {
		return Session{}, User{}, err
	}
	sess := Session{ID: id, TenantID: u.TenantID, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionLifetime), IP: truncate(ip, 64), UserAgent: truncate(userAgent, 256)}
	if err := s.store.SessionCreate(ctx, sess); err != nil {
		return Session{}, User{}, err
	}
	s.log.Info().Int64("tenant", u.TenantID).Int64("user", u.ID).Msg("login")
	return sess, u, nil
}

func newSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Internal(err, "session id")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Authenticate resolves a session id to its principal, ending sessions that
// expired or sat idle too long. Errors: EUnauthenticated, EInternal.
func (s *SessionService) Authenticate(ctx context.Context, sessionID string) (*Principal, error) {
	unauth := Errorf(EUnauthenticated, "session expired; please log in again")
	if sessionID == "" {
		return nil, unauth
	}
	sess, err := s.store.SessionGet(ctx, sessionID)
	if IsCode(err, ENotFound) {
		return nil, unauth
	}
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdleTimeout {
		if err := s.store.SessionDelete(ctx, sess.ID); err != nil && !IsCode(err, ENotFound) {
			return nil, err
		}
		return nil, unauth
	}
	p, err := s.principalFor(ctx, sess.TenantID, sess.UserID)
	if IsCode(err, ENotFound) || IsCode(err, EUnauthenticated) {
		return nil, unauth
	}
	if err != nil {
		return nil, err
	}
	p.SessionID = sess.ID
	// Touch at most once a minute: idle detection needs no finer grain and
	// this keeps a write off every request.
	if now.Sub(sess.LastSeenAt) > minuteTouch {
		if err := s.store.SessionTouch(ctx, sess.ID, now); err != nil && !IsCode(err, ENotFound) {
			return nil, err
		}
	}
	return p, nil
}

// MaxSessionsAlive bounds one SessionsAlive call (one query's id list).
const MaxSessionsAlive = 500

// SessionsAlive reports which of the given sessions are still valid, with
// each one's user, for revalidating connected sockets in batches (no
// principal in ctx): one query per call instead of Authenticate's several
// per session. Like Authenticate it keeps the valid ones from going idle.
// Errors: EInvalid (more than MaxSessionsAlive ids), EInternal.
func (s *SessionService) SessionsAlive(ctx context.Context, ids []string) (map[string]int64, error) {
	if len(ids) > MaxSessionsAlive {
		return nil, Errorf(EInvalid, "at most %d sessions per call", MaxSessionsAlive)
	}
	if len(ids) == 0 {
		return map[string]int64{}, nil
	}
	now := s.clock.Now()
	return s.store.SessionsAlive(ctx, ids, now, now.Add(-s.cfg.SessionIdleTimeout), now.Add(-minuteTouch))
}

// principalFor builds the principal of an active user from the store.
func (s *core) principalFor(ctx context.Context, tenantID, userID int64) (*Principal, error) {
	u, err := s.store.UserGet(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, Errorf(EUnauthenticated, "account is deactivated")
	}
	roles, err := s.store.RoleList(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	p := &Principal{TenantID: u.TenantID, UserID: u.ID, Name: u.Name, Locale: u.Locale, Superuser: u.Superuser,
		RoleIDs: slices.Clone(u.RoleIDs), CompanyIDs: slices.Clone(u.CompanyIDs)}
	for _, r := range roles {
		if !slices.Contains(u.RoleIDs, r.ID) {
			continue
		}
		if r.Key != "" {
			p.RoleKeys = append(p.RoleKeys, r.Key)
		}
		if r.Handler {
			p.Handler = true
		}
	}
	return p, nil
}

// Logout ends the caller's session.
func (s *SessionService) Logout(ctx context.Context) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	if err := s.store.SessionDelete(ctx, p.SessionID); err != nil && !IsCode(err, ENotFound) {
		return err
	}
	s.publish(ctx, Event{Channel: UserChannel(p.UserID), Type: EventRevoked, SessionID: p.SessionID})
	return nil
}

// LogoutEverywhere ends every session of the caller.
func (s *SessionService) LogoutEverywhere(ctx context.Context) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	return s.revokeUserSessions(ctx, p.TenantID, p.UserID)
}

// revokeUserSessions deletes every session of a user and closes their
// sockets on every node.
func (s *core) revokeUserSessions(ctx context.Context, tenantID, userID int64) error {
	if _, err := s.store.SessionDeleteByUser(ctx, tenantID, userID); err != nil {
		return err
	}
	// Whatever ends a user's sessions (a password change or reset,
	// logging out everywhere, deactivation) ends their reply addresses.
	if err := s.revokeReplyTokens(ctx, s.store, tenantID, userID); err != nil {
		return err
	}
	s.publish(ctx, Event{Channel: UserChannel(userID), Type: EventRevoked})
	return nil
}

// ChangePassword replaces the caller's password after checking the old one
// and ends every session of the user; the caller logs in again. Wrong old
// passwords count toward the account's login throttling.
// Errors: EUnauthenticated (wrong old password), ERateLimited, EInvalid,
// EInternal.
func (s *SessionService) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return err
	}
	u, err := s.store.UserGet(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	_, hash, err := s.store.UserByEmail(ctx, u.Email)
	if err != nil {
		return err
	}
	// A wrong current password counts as a failed login of the account, so
	// a stolen session cannot guess the password without limit.
	accountKey := "account:" + u.Email
	defer s.passwordChecks.lock(accountKey)()
	now := s.clock.Now()
	since := now.Add(-s.cfg.LoginWindow)
	n, err := s.store.LoginFailureCount(ctx, accountKey, since)
	if err != nil {
		return err
	}
	if n >= s.cfg.LoginMaxPerAccount {
		return RateLimited(s.cfg.LoginWindow, "too many failed attempts; try again in %d minutes", int(s.cfg.LoginWindow.Minutes()))
	}
	if !VerifyPassword(hash, oldPassword) {
		if _, err := s.store.LoginFailureAdd(ctx, accountKey, now, since); err != nil {
			return err
		}
		return Errorf(EUnauthenticated, "current password is wrong")
	}
	if err := ValidatePassword(newPassword); err != nil {
		return err
	}
	newHash, err := HashPassword(newPassword)
	if err != nil {
		return err
	}
	if err := s.store.UserSetPassword(ctx, p.TenantID, p.UserID, newHash); err != nil {
		return err
	}
	return s.revokeUserSessions(ctx, p.TenantID, p.UserID)
}

// ExpireSessions removes expired and idle sessions; run periodically.
func (s *SessionService) ExpireSessions(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	return s.store.SessionDeleteExpired(ctx, now, now.Add(-s.cfg.SessionIdleTimeout))
}

// keyedMutex is a mutex per key; keys nobody holds or waits for are
// forgotten. The zero value is ready to use.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int
}

// lock takes the key's mutex and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
