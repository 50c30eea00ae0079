package frontend

import "net/http/httptest"

// EnsureConversationRoutes registers the conversation, category,
// attachment and draft routes unless routes() already does, so their tests
// run before and after the wiring.
func (s *Server) EnsureConversationRoutes() {
	if _, pattern := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/conversations", nil)); pattern == "/api/" {
		s.registerConversations(s.mux)
	}
}
