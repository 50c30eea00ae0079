// Package web is Parley's browser app: plain ES modules and CSS embedded in
// the binary, so building and running need no Node.js.
//
// index.html is served at / with "no-cache" (always revalidated by ETag).
// Every other file is served under /assets/<version>/, where the version is
// a hash of all embedded files: a new build gets new URLs, so the assets can
// be cached for a year. Modules import each other by relative paths, so the
// whole tree moves together with the version.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// versionToken is replaced in index.html by the asset version.
const versionToken = "__VERSION__"

// CSP is the Content-Security-Policy of every response: only Parley's
// own scripts, styles, workers and manifest; images also as data: URLs,
// for the favicon with the unread badge (drawn on a canvas).
const CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// Headers every response of the app carries. The server sets them too;
// repeating them here keeps the app safe wherever it is mounted. No inline
// script or style is ever needed: the CSP forbids both.
var securityHeaders = map[string]string{
	"Content-Security-Policy": CSP,
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "same-origin",
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json",

	".webmanifest": "application/manifest+json",
}

type file struct {
	body        []byte
	etag        string
	contentType string
}

// App serves the embedded browser app.
type App struct {
	version string
	index   file
	// worker and manifest are served at fixed root paths (a service
	// worker's scope is its own directory; the manifest is linked once),
	// with the asset version filled in like index.html.
	worker, manifest file
	files            map[string]file // by path below static/
}

// New loads the embedded files and computes the asset version.
func New() *App {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("web: " + err.Error()) // the embed directive guarantees the directory
	}
	a := &App{files: map[string]file{}}
	var names []string
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic("web: " + err.Error())
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			panic("web: " + err.Error())
		}
		all.Write([]byte(name))
		all.Write([]byte{0})
		all.Write(body)
		a.files[name] = newFile(name, body)
	}
	a.version = hex.EncodeToString(all.Sum(nil))[:16]
	versioned := func(name string) file {
		return newFile(name, bytes.ReplaceAll(a.files[name].body, []byte(versionToken), []byte(a.version)))
	}
	a.index, a.worker, a.manifest = versioned("index.html"), versioned("sw.js"), versioned("manifest.webmanifest")
	return a
}

func newFile(name string, body []byte) file {
	sum := sha256.Sum256(body)
	ct := contentTypes[path.Ext(name)]
	if ct == "" {
		ct = "application/octet-stream"
	}
	return file{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, contentType: ct}
}

// Version is the current asset version (a hash of the embedded files).
func (a *App) Version() string { return a.version }

// Mount adds the app's routes: the page at / and the assets.
func (a *App) Mount(m *http.ServeMux) {
	m.Handle("GET /{$}", http.HandlerFunc(a.serveIndex))
	m.Handle("GET /assets/{version}/{path...}", http.HandlerFunc(a.serveAsset))
	m.Handle("GET /sw.js", http.HandlerFunc(a.serveWorker))
	m.Handle("GET /manifest.webmanifest", http.HandlerFunc(a.serveManifest))
	m.Handle("GET /favicon.ico", http.RedirectHandler("/assets/"+a.version+"/icon.svg", http.StatusMovedPermanently))
}

// Mount adds a freshly loaded App to m.
func Mount(m *http.ServeMux) { New().Mount(m) }

// ServeHTTP serves the page for "/" and assets below /assets/, for use
// without a mux.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/assets/"); ok {
		version, p, _ := strings.Cut(rest, "/")
		r.SetPathValue("version", version)
		r.SetPathValue("path", p)
		a.serveAsset(w, r)
		return
	}
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	a.serveIndex(w, r)
}

func (a *App) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	serve(w, r, a.index)
}

// serveWorker serves the service worker at the root, so that its scope
// is the whole app. Browsers revalidate it on every navigation anyway;
// no-cache keeps proxies from holding an old one.
func (a *App) serveWorker(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Service-Worker-Allowed", "/")
	serve(w, r, a.worker)
}

func (a *App) serveManifest(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	serve(w, r, a.manifest)
}

func (a *App) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("path")
	f, ok := a.files[name]
	if !ok || name == "index.html" || name == "sw.js" || name == "manifest.webmanifest" || strings.Contains(name, "..") {
		setSecurityHeaders(w)
		http.NotFound(w, r)
		return
	}
	if r.PathValue("version") == a.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A page of another build (a rolling deploy): serve ours, uncached.
		w.Header().Set("Cache-Control", "no-cache")
	}
	serve(w, r, f)
}

func serve(w http.ResponseWriter, r *http.Request, f file) {
	setSecurityHeaders(w)
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

func setSecurityHeaders(w http.ResponseWriter) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
}
