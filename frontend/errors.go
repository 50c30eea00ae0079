package frontend

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"parley/chat"
)

// statusOf is the one table from chat error codes to HTTP statuses.
var statusOf = map[string]int{
	chat.ENotFound:        http.StatusNotFound,
	chat.EForbidden:       http.StatusForbidden,
	chat.EUnauthenticated: http.StatusUnauthorized,
	chat.EInvalid:         http.StatusBadRequest,
	chat.EConflict:        http.StatusConflict,
	chat.ERateLimited:     http.StatusTooManyRequests,
	chat.ETooLarge:        http.StatusRequestEntityTooLarge,
	chat.EUnavailable:     http.StatusServiceUnavailable,
	chat.EInternal:        http.StatusInternalServerError,
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with err's status and user-facing message. Internal
// details go to the log only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := chat.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		code, status = chat.EInternal, http.StatusInternalServerError
	}
	switch {
	case status >= 500 && r.Context().Err() != nil:
		// The client went away mid-request: the failure is the
		// cancellation's, not a fault of the server.
		s.log.Debug().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Msg("client went away")
	case status >= 500:
		s.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Msg("request failed")
	}
	if wait := chat.ErrorRetryAfter(err); wait > 0 && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = chat.ErrorMessage(err)
	writeJSON(w, status, body)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeMethodNotAllowed answers a known path asked with the wrong method.
func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	var body errorBody
	body.Error.Code = chat.EInvalid
	body.Error.Message = "method " + r.Method + " is not allowed here; allowed: " + allow
	writeJSON(w, http.StatusMethodNotAllowed, body)
}

// writeCreated answers 201 with the new resource and where it lives.
func writeCreated(w http.ResponseWriter, r *http.Request, id int64, v any) {
	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+strconv.FormatInt(id, 10))
	writeJSON(w, http.StatusCreated, v)
}
