package frontend

import "net/http/httptest"

// EnsureNotificationRoutes registers the notification routes unless
// routes() already does, so their tests run before and after the wiring.
func (s *Server) EnsureNotificationRoutes() {
	if _, pattern := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/notifications", nil)); pattern == "/api/" {
		s.registerNotifications(s.mux)
	}
}
