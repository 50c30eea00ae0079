package frontend

import "net/http/httptest"

// EnsureMessengerRoutes registers the messenger and search routes unless
// routes() already does, so their tests run before and after the wiring.
func (s *Server) EnsureMessengerRoutes() {
	if _, pattern := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/messenger", nil)); pattern == "/api/" {
		s.registerMessenger(s.mux)
	}
	if _, pattern := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/search", nil)); pattern == "/api/" {
		s.registerSearch(s.mux)
	}
}
