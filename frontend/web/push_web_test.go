package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// The service worker is served at the root (its scope is the whole app),
// always revalidated, as JavaScript, with the CSP; the manifest names the
// app, its icons (which exist) and how it starts.
func TestServiceWorkerAndManifest(t *testing.T) {
	t.Parallel()
	m, a := newMux()
	res := get(t, m, "/sw.js", nil)
	if res.Code != 200 || !strings.HasPrefix(res.Header().Get("Content-Type"), "text/javascript") ||
		res.Header().Get("Cache-Control") != "no-cache" || res.Header().Get("Service-Worker-Allowed") != "/" {
		t.Fatalf("sw.js: %d %v", res.Code, res.Header())
	}
	if csp := res.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("sw.js CSP %q", csp)
	}
	body := res.Body.String()
	if !strings.Contains(body, "addEventListener('push'") || strings.Contains(body, versionToken) ||
		!strings.Contains(body, "/assets/"+a.Version()+"/app-192.png") {
		t.Fatalf("sw.js body:\n%s", body)
	}
	if res := get(t, m, "/assets/"+a.Version()+"/sw.js", nil); res.Code != 404 {
		t.Fatalf("sw.js under /assets/ (a narrower scope): %d", res.Code)
	}

	res = get(t, m, "/manifest.webmanifest", nil)
	if res.Code != 200 || res.Header().Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %v", res.Code, res.Header())
	}
	var man struct {
		Name, ShortName, StartURL, Display string
		Icons                              []struct{ Src, Sizes, Type string }
	}
	raw := strings.NewReplacer(`"short_name"`, `"ShortName"`, `"start_url"`, `"StartURL"`).Replace(res.Body.String())
	if err := json.Unmarshal([]byte(raw), &man); err != nil {
		t.Fatalf("manifest JSON: %v\n%s", err, raw)
	}
	if man.Name != "Parley" || man.ShortName == "" || man.StartURL != "/" || man.Display != "standalone" || len(man.Icons) < 2 {
		t.Fatalf("manifest %+v", man)
	}
	sizes := map[string]bool{}
	for _, ic := range man.Icons {
		sizes[ic.Sizes] = true
		if r := get(t, m, ic.Src, nil); r.Code != 200 || r.Header().Get("Content-Type") != ic.Type {
			t.Errorf("icon %s: %d %s", ic.Src, r.Code, r.Header().Get("Content-Type"))
		}
	}
	if !sizes["192x192"] || !sizes["512x512"] {
		t.Fatalf("icons %v: an installable app needs 192 and 512", sizes)
	}
	idx := get(t, m, "/", nil).Body.String()
	if !strings.Contains(idx, `<link rel="manifest" href="/manifest.webmanifest">`) {
		t.Fatal("index does not link the manifest")
	}
}
