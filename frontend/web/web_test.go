package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

func newMux() (*http.ServeMux, *App) {
	m := http.NewServeMux()
	a := New()
	a.Mount(m)
	return m, a
}

func get(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIndexAndAssets(t *testing.T) {
	t.Parallel()
	m, a := newMux()

	res := get(t, m, "/", nil)
	if res.Code != 200 || !strings.HasPrefix(res.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("index: %d %s", res.Code, res.Header().Get("Content-Type"))
	}
	if res.Header().Get("Cache-Control") != "no-cache" || res.Header().Get("ETag") == "" {
		t.Fatalf("index cache headers: %v", res.Header())
	}
	csp := res.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP: %q", csp)
	}
	body := res.Body.String()
	script := "/assets/" + a.Version() + "/js/app.js"
	if !strings.Contains(body, `src="`+script+`"`) || strings.Contains(body, versionToken) {
		t.Fatalf("index does not load %s:\n%s", script, body)
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
		t.Fatal("index has inline script or style")
	}

	res = get(t, m, "/", map[string]string{"If-None-Match": res.Header().Get("ETag")})
	if res.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", res.Code)
	}

	for path, ct := range map[string]string{
		script:                                 "text/javascript; charset=utf-8",
		"/assets/" + a.Version() + "/app.css":  "text/css; charset=utf-8",
		"/assets/" + a.Version() + "/icon.svg": "image/svg+xml",
	} {
		res := get(t, m, path, nil)
		if res.Code != 200 || res.Header().Get("Content-Type") != ct {
			t.Fatalf("%s: %d %q", path, res.Code, res.Header().Get("Content-Type"))
		}
		if !strings.Contains(res.Header().Get("Cache-Control"), "immutable") || res.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s headers: %v", path, res.Header())
		}
	}
	// Another build's URL still works, uncached.
	res = get(t, m, "/assets/0123456789abcdef/js/app.js", nil)
	if res.Code != 200 || res.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("other version: %d %v", res.Code, res.Header())
	}
	for _, path := range []string{"/assets/" + a.Version() + "/nope.js", "/assets/" + a.Version() + "/index.html", "/nope"} {
		if res := get(t, m, path, nil); res.Code != 404 {
			t.Fatalf("%s: %d", path, res.Code)
		}
	}
}

// jsFiles returns the app's JavaScript sources by name.
func jsFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(static, p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoHTMLSinks keeps user content out of the HTML parser: the app
// builds DOM nodes only.
func TestNoHTMLSinks(t *testing.T) {
	t.Parallel()
	sinks := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment|\.srcdoc|setAttribute\(\s*['"]style`)
	for name, src := range jsFiles(t) {
		if m := sinks.FindString(src); m != "" {
			t.Errorf("%s uses %s", name, m)
		}
	}
}

var stringLine = regexp.MustCompile(`(?m)^\s*'([a-z0-9_.-]+)':\s*'((?:[^'\\]|\\.)*)',?\s*$`)

// languages parses strings.js into key -> text per language.
func languages(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile("static/js/strings.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	fi := strings.Index(src, "\n  fi: {")
	if fi < 0 {
		t.Fatal("strings.js: no fi section")
	}
	parse := func(s string) map[string]string {
		out := map[string]string{}
		for _, m := range stringLine.FindAllStringSubmatch(s, -1) {
			if _, dup := out[m[1]]; dup {
				t.Errorf("strings.js: %s twice", m[1])
			}
			out[m[1]] = m[2]
		}
		return out
	}
	return map[string]map[string]string{"en": parse(src[:fi]), "fi": parse(src[fi:])}
}

// TestStringsBothLanguages: every key exists in English and Finnish with
// the same placeholders.
func TestStringsBothLanguages(t *testing.T) {
	t.Parallel()
	langs := languages(t)
	en, fi := langs["en"], langs["fi"]
	if len(en) < 300 {
		t.Fatalf("only %d English strings parsed", len(en))
	}
	ph := regexp.MustCompile(`\{\w+\}`)
	placeholders := func(s string) string {
		p := ph.FindAllString(s, -1)
		sort.Strings(p)
		return strings.Join(p, ",")
	}
	for k, v := range en {
		f, ok := fi[k]
		switch {
		case !ok:
			t.Errorf("%s has no Finnish text", k)
		case placeholders(v) != placeholders(f):
			t.Errorf("%s: placeholders differ: %q vs %q", k, v, f)
		}
	}
	for k := range fi {
		if _, ok := en[k]; !ok {
			t.Errorf("%s has no English text", k)
		}
	}
}

// TestStringsUsedExist: every literal key the code looks up exists.
func TestStringsUsedExist(t *testing.T) {
	t.Parallel()
	en := languages(t)["en"]
	use := regexp.MustCompile(`\b(t|tn)\('([a-z0-9_.-]+)'`)
	for name, src := range jsFiles(t) {
		for _, m := range use.FindAllStringSubmatch(src, -1) {
			key := m[2]
			if m[1] == "tn" {
				if _, ok := en[key+".one"]; !ok {
					t.Errorf("%s: plural %s has no .one", name, key)
				}
				if _, ok := en[key+".other"]; !ok {
					t.Errorf("%s: plural %s has no .other", name, key)
				}
				continue
			}
			if strings.HasSuffix(key, ".") {
				continue // a prefix completed at run time
			}
			if _, ok := en[key]; !ok {
				t.Errorf("%s: string %s is missing", name, key)
			}
		}
	}
}
