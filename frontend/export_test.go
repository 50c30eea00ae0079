package frontend

import (
	"net/http"

	"parley/chat"
)

// SessionCookie returns the cookie a browser holds for sess, so tests can
// start logged in without paying for a password hash on every login.
func (s *Server) SessionCookie(sess chat.Session) *http.Cookie {
	rec := &headerRecorder{h: http.Header{}}
	req, _ := http.NewRequest("GET", "/", nil)
	if err := s.setCookie(rec, req, sess); err != nil {
		panic(err)
	}
	return (&http.Response{Header: rec.h}).Cookies()[0]
}

type headerRecorder struct{ h http.Header }

func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(int)             {}
