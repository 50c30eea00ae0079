package main

import "testing"

func TestRouteGroup(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /api/v1/me":                              "me",
		"PUT /api/v1/me/password":                     "me",
		"POST /api/v1/session":                        "session",
		"GET /api/v1/users/{id}":                      "users",
		"GET /api/v1/tenants/{tenant}/users/{id}":     "users",
		"GET /api/v1/tenants/{id}":                    "tenants",
		"GET /api/v1/tenants":                         "tenants",
		"POST /api/v1/messenger/topics/{id}/messages": "messenger",
		"GET /api/v1/conversations/{id}/messages":     "conversations",
		"/api/":                           "api",
		"GET /ws":                         "ws",
		"GET /healthz":                    "health",
		"GET /readyz":                     "health",
		"GET /metrics":                    "metrics",
		"GET /{$}":                        "web",
		"GET /assets/{version}/{path...}": "web",
		"":                                "other",
	} {
		if got := routeGroup(pattern); got != want {
			t.Errorf("routeGroup(%q) = %q, want %q", pattern, got, want)
		}
	}
}
