package hub

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"parley/chat"
)

// An upgrade whose session cannot be accepted is refused before the
// WebSocket opens, and the status says what the client should do: 401
// (log in) only for a session known to be invalid; a session that could
// not be checked because the store is down answers 503 with Retry-After,
// so the browser keeps its login and retries.
func TestUpgradeRefusalStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		principal  *chat.Principal
		err        error
		status     int
		retryAfter string
	}{
		{"invalid session", nil, chat.Errorf(chat.EUnauthenticated, "session expired"), http.StatusUnauthorized, ""},
		{"no principal", nil, nil, http.StatusUnauthorized, ""},
		{"store down", nil, chat.Unavailable(errors.New("connection refused"), "session"), http.StatusServiceUnavailable, "2"},
		{"bug", nil, errors.New("boom"), http.StatusInternalServerError, ""},
	} {
		h := New(Config{Service: newFakeService(), Broker: NewMemoryBroker(), Presence: NewMemoryPresence(),
			SessionRecheck: -1,
			Authenticate:   func(*http.Request) (*chat.Principal, error) { return tc.principal, tc.err }})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/ws", nil))
		if rec.Code != tc.status || rec.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%s: %d Retry-After %q, want %d %q", tc.name, rec.Code, rec.Header().Get("Retry-After"), tc.status, tc.retryAfter)
		}
		_ = h.Close()
	}
}
