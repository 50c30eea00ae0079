package main

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics counts the node's HTTP answers by route group and status
// code, so that an error rate (5xx over all) and the "unavailable" answers
// (503: database or broker down) can be read per node.
type httpMetrics struct {
	responses *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{responses: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "parley", Subsystem: "http", Name: "responses_total",
		Help: "HTTP answers by route group (the API area, ws, health, metrics, web) and status code; a WebSocket upgrade counts once, as 101.",
	}, []string{"group", "code"})}
	reg.MustRegister(m.responses)
	return m
}

// wrap counts every answer of next. The group comes from the pattern the
// mux matched (set on the request it was handed, after it returns), so
// the label's values are the routes' own and bounded; a path no route
// matched is "other".
func (m *httpMetrics) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		m.responses.WithLabelValues(routeGroup(r.Pattern), strconv.Itoa(status)).Inc()
	})
}

// routeGroup is the label of a mux pattern ("GET /api/v1/users/{id}"):
// the API's area (the first path segment after /api/v1/, or after
// /api/v1/tenants/{tenant}/ for an operator's tenant routes), or one of
// ws, health, metrics, web, api (an API path no route serves) and other.
func routeGroup(pattern string) string {
	_, path, ok := strings.Cut(pattern, " ")
	if !ok {
		path = pattern
	}
	switch {
	case path == "":
		return "other"
	case path == "/ws":
		return "ws"
	case path == "/healthz" || path == "/readyz":
		return "health"
	case path == "/metrics":
		return "metrics"
	case path == "/api/":
		return "api"
	case !strings.HasPrefix(path, "/api/v1/"):
		return "web"
	}
	rest := strings.TrimPrefix(path, "/api/v1/")
	if sub, ok := strings.CutPrefix(rest, "tenants/{tenant}/"); ok {
		rest = sub
	}
	area, _, _ := strings.Cut(rest, "/")
	return area
}

// statusWriter records the status a handler answers with. Unwrap lets
// http.ResponseController reach the connection (read deadlines, flushes,
// the WebSocket hijack); Hijack and Flush are also offered directly, for
// code that asserts them.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 || (w.status < 200 && code >= 200) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
