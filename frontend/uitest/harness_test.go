package uitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"parley/tools/freeport"
	"parley/tools/leakcheck"
	"parley/tools/testbin"
)

// demoPassword is every demo user's password (cmd/parley/demo.go).
const demoPassword = "parley-demo"

var (
	parleyBin    string
	chromiumPath string
	artifactsDir string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	chromiumPath = os.Getenv("PARLEY_TEST_CHROMIUM")
	if chromiumPath == "" {
		chromiumPath = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		fmt.Fprintf(os.Stderr, "uitest: Chromium not found at %s (set PARLEY_TEST_CHROMIUM; make test installs the chromium package): %v\n", chromiumPath, err)
		return 1
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uitest:", err)
		return 1
	}
	artifactsDir = os.Getenv("PARLEY_TEST_ARTIFACTS")
	if artifactsDir == "" {
		artifactsDir = filepath.Join(root, "test-artifacts")
	}
	artifactsDir = filepath.Join(artifactsDir, "uitest")
	flag.Parse()
	if testing.Short() {
		// Every test here runs a browser and skips (skipShort): no binary.
		return m.Run()
	}
	bin, remove, err := testbin.Parley()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uitest:", err)
		return 1
	}
	defer remove()
	parleyBin = bin
	code := m.Run()
	runSuiteCleanups(code != 0)
	if code == 0 {
		if err := leakcheck.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "uitest: leaked goroutines:", err)
			return 1
		}
	}
	return code
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the parley module")
	}
	return filepath.Dir(mod), nil
}

// lockedBuffer collects output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// artifactName makes a file name from the test name.
func artifactName(t interface{ Name() string }, suffix string) string {
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	return filepath.Join(artifactsDir, name+"-"+suffix)
}

func writeArtifact(t interface {
	Name() string
	Logf(string, ...any)
}, suffix string, data []byte) {
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		t.Logf("artifacts: %v", err)
		return
	}
	path := artifactName(t, suffix)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Logf("artifacts: %v", err)
		return
	}
	t.Logf("artifact: %s", path)
}

// ---- the parley server ----

// skipShort skips a browser test under go test -short (make test-short):
// they are the slowest of the suite; make test runs them all.
func skipShort(t interface{ Skip(args ...any) }) {
	if testing.Short() {
		t.Skip("browser test: skipped under -short")
	}
}

// lifecycle is what a server needs from its owner: a test, or the run
// for the shared server.
type lifecycle interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Failed() bool
	Name() string
	Skip(args ...any)
}

type server struct {
	t    lifecycle
	dir  string
	addr string
	URL  string
	env  []string
	// firstRun starts without --demo: an empty installation's first run
	// (one tenant named "Parley" and its admin, admin@example.com with
	// demoPassword).
	firstRun bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *lockedBuffer
}

// startServer runs parley --demo on a fresh data dir and a free port; env
// adds PARLEY_* settings (e.g. PARLEY_DATABASE_URL).
func startServer(t lifecycle, env ...string) *server {
	t.Helper()
	return launch(t, &server{env: env})
}

// startFirstRun runs parley as a fresh installation, without demo data.
func startFirstRun(t lifecycle, env ...string) *server {
	t.Helper()
	return launch(t, &server{env: append([]string{"PARLEY_ADMIN_PASSWORD=" + demoPassword}, env...), firstRun: true})
}

func launch(t lifecycle, s *server) *server {
	t.Helper()
	skipShort(t)
	s.t, s.dir, s.addr, s.logs = t, t.TempDir(), freeport.Addr(t), &lockedBuffer{}
	s.URL = "http://" + s.addr
	s.start()
	t.Cleanup(func() {
		s.stop(syscall.SIGTERM)
		if t.Failed() {
			writeArtifact(t, "server.log", []byte(s.logs.String()))
		}
	})
	return s
}

func (s *server) start() {
	s.t.Helper()
	args := []string{"--listen", s.addr, "--data-dir", s.dir}
	if !s.firstRun {
		args = append([]string{"--demo"}, args...)
	}
	cmd := exec.Command(parleyBin, args...)
	cmd.Env = append(os.Environ(), "PARLEY_PUBLIC_URL="+s.URL, "PARLEY_LOG_LEVEL=warn", "PARLEY_LOG_FORMAT=json")
	cmd.Env = append(cmd.Env, s.env...)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting parley: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			s.t.Fatalf("parley exited during startup:\n%s", s.logs.String())
		default:
		}
		res, err := http.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("parley did not become ready:\n%s", s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the process with sig and waits for it.
func (s *server) stop(sig os.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// ---- API client for setting up and checking ----

type client struct {
	t    testing.TB
	base string
	http *http.Client
	me   struct {
		User struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
	}
}

func (s *server) api(t testing.TB, email string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	c.must("POST", "/api/v1/session", map[string]string{"email": email, "password": demoPassword}, &c.me)
	return c
}

// call sends a JSON request and decodes a JSON answer into out; it
// returns the status.
func (c *client) call(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: decoding %s: %w", method, path, data, err)
		}
	}
	return res.StatusCode, nil
}

func (c *client) must(method, path string, body, out any) {
	c.t.Helper()
	if _, err := c.call(method, path, body, out); err != nil {
		c.t.Fatal(err)
	}
}

// findItem GETs the list at path ({"items": [...]}) and returns the first
// item that match accepts; what names it in the failure when none does.
func findItem[T any](c *client, what, path string, match func(T) bool) T {
	c.t.Helper()
	var page struct {
		Items []T `json:"items"`
	}
	c.must("GET", path, nil, &page)
	for _, it := range page.Items {
		if match(it) {
			return it
		}
	}
	c.t.Fatalf("%s sees no %s", c.me.User.Name, what)
	var none T
	return none
}

// roleID is the id of the built-in role key (the client must be an
// admin).
func (c *client) roleID(key string) int64 {
	c.t.Helper()
	type role struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	return findItem(c, "role "+key, "/api/v1/roles", func(r role) bool { return r.Key == key }).ID
}

// upload stores a file as an attachment and returns its id.
func (c *client) upload(name string, content []byte) int64 {
	c.t.Helper()
	var buf bytes.Buffer
	boundary := "parleyuitestboundary"
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=%q\r\nContent-Type: application/octet-stream\r\n\r\n", boundary, name)
	buf.Write(content)
	fmt.Fprintf(&buf, "\r\n--%s--\r\n", boundary)
	req, _ := http.NewRequest("POST", c.base+"/api/v1/attachments", &buf)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		c.t.Fatalf("upload %s: %d %s", name, res.StatusCode, data)
	}
	var a struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		c.t.Fatal(err)
	}
	return a.ID
}

type topicInfo struct {
	ID      int64  `json:"id"`
	GroupID int64  `json:"group_id"`
	Name    string `json:"name"`
	LastSeq int64  `json:"last_seq"`
}

// topic finds a topic the client can see by name.
func (c *client) topic(name string) topicInfo {
	c.t.Helper()
	var o struct {
		Groups []struct {
			ID     int64       `json:"id"`
			Name   string      `json:"name"`
			Topics []topicInfo `json:"topics"`
		} `json:"groups"`
	}
	c.must("GET", "/api/v1/messenger", nil, &o)
	for _, g := range o.Groups {
		for _, tp := range g.Topics {
			if tp.Name == name {
				return tp
			}
		}
	}
	c.t.Fatalf("topic %q not visible to %s", name, c.me.User.Name)
	return topicInfo{}
}

func (c *client) postTopic(topicID int64, body string) {
	c.t.Helper()
	c.must("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topicID), map[string]any{"body": body}, nil)
}

// ---- browsers ----

type browser struct {
	t       testing.TB
	name    string
	srv     *server
	ctx     context.Context
	cancel  context.CancelFunc
	console *lockedBuffer
	stderr  *lockedBuffer // the browser process's own output
	dialogs chan string
	wg      sync.WaitGroup
}

type browserOption func(*browserConfig)

type browserConfig struct {
	lang          string
	width, height int
}

func withLang(l string) browserOption { return func(c *browserConfig) { c.lang = l } }
func withSize(w, h int) browserOption { return func(c *browserConfig) { c.width, c.height = w, h } }
func defaultBrowserConfig() browserConfig {
	return browserConfig{lang: "en-GB", width: 1280, height: 860}
}

// newBrowser starts a headless Chromium with a fresh profile. On test
// failure it leaves a screenshot and its console log as artifacts.
func newBrowser(t testing.TB, srv *server, name string, opts ...browserOption) *browser {
	t.Helper()
	cfg := defaultBrowserConfig()
	for _, o := range opts {
		o(&cfg)
	}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", cfg.lang),
		chromedp.Flag("accept-lang", cfg.lang),
		chromedp.WindowSize(cfg.width, cfg.height),
	)
	if os.Geteuid() == 0 {
		allocOpts = append(allocOpts, chromedp.NoSandbox)
	}
	// Kept for the artifacts: when the browser itself dies (it has been
	// seen to segfault on a loaded CI machine) its output says why.
	stderr := &lockedBuffer{}
	allocOpts = append(allocOpts, chromedp.CombinedOutput(stderr))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, name: name, srv: srv, ctx: ctx, console: &lockedBuffer{}, stderr: stderr, dialogs: make(chan string, 16)}
	b.cancel = func() {
		cancel()
		acancel()
	}
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		b.cancel()
		t.Fatalf("starting Chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	b.wg.Add(2)
	go func() {
		defer b.wg.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			fmt.Fprintf(b.console, "%s [%s] %s\n", time.Now().Format("15:04:05.000"), m.Type, m.Text)
		}
	}()
	go func() {
		defer b.wg.Done()
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			select {
			case b.dialogs <- ev.Type.String() + ": " + ev.Message:
			default:
			}
			fmt.Fprintf(b.console, "%s [dialog] %s: %s\n", time.Now().Format("15:04:05.000"), ev.Type, ev.Message)
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
			if png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot()); err == nil {
				writeArtifact(t, name+".png", png)
			}
			scancel()
			writeArtifact(t, name+"-console.log", []byte(b.console.String()))
			writeArtifact(t, name+"-chromium.log", []byte(b.stderr.String()))
		}
		b.cancel()
		b.wg.Wait()
	})
	return b
}

const stepTimeout = 20 * time.Second

// do runs actions, failing the test on error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", b.name, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.name, js, err)
	}
	return v
}

// evalAsync evaluates an expression that yields a promise and decodes
// what it resolves to.
func evalAsync[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.name, js, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true.
func (b *browser) waitJS(what, js string) {
	b.t.Helper()
	b.waitJSFor(what, js, stepTimeout)
}

func (b *browser) waitJSFor(what, js string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: timed out waiting for %s (%s) last error: %v", b.name, what, js, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jsStr quotes a Go string as a JavaScript string literal.
func jsStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// hasText is a JS condition: some element matching sel contains text.
func hasText(sel, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.textContent.includes(%s))`, jsStr(sel), jsStr(text))
}

func countText(sel, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(e => e.textContent.includes(%s)).length`, jsStr(sel), jsStr(text))
}

func (b *browser) waitText(sel, text string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf("%q in %s", text, sel), hasText(sel, text))
}

// click clicks the element; the query and the click are one step, so a
// live re-render in between cannot make it miss.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.waitJS("click "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e || e.disabled) return false; e.focus(); e.click(); return true })()`, jsStr(sel)))
}

func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.waitJS(sel+" present", fmt.Sprintf(`document.querySelector(%s)`, jsStr(sel)))
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue replaces an input's value and fires the input event (SendKeys
// appends).
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	b.waitJS(sel+" present", fmt.Sprintf(`document.querySelector(%s)`, jsStr(sel)))
	eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, jsStr(sel), jsStr(value)))
}

func (b *browser) open(route string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.srv.URL + "/" + route))
}

// login opens the app and logs in through the form.
func (b *browser) login(email string) {
	b.t.Helper()
	b.open("")
	b.waitJS("login form", `document.querySelector('#login-email')`)
	b.typeInto("#login-email", email)
	b.typeInto("#login-password", demoPassword)
	b.click("#login-submit")
	b.waitJS("the app after login", `document.querySelector('#sidebar') && document.querySelector('#conn')`)
}

// go navigates within the app to a hash route.
func (b *browser) route(hash string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(location.hash = %s, true)`, jsStr(hash)))
}

func (b *browser) waitOnline() {
	b.t.Helper()
	b.waitJS("connected", `document.querySelector('#conn')?.dataset.state === 'online'`)
}

// noDialogs fails when the page opened an alert, confirm or prompt.
func (b *browser) noDialogs() {
	b.t.Helper()
	select {
	case d := <-b.dialogs:
		b.t.Fatalf("%s: a JavaScript dialog opened: %s", b.name, d)
	default:
	}
}

func (b *browser) screenshot() []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	return png
}

// ---- the run's own lifecycle, for the shared server ----

var suite struct {
	mu       sync.Mutex
	cleanups []func()
	failed   bool
	dir      string
}

// suiteTB owns things that live for the whole run. Fatal errors during
// setup fail the test that asked first.
type suiteTB struct{ t *testing.T }

func (s suiteTB) Helper()                      { s.t.Helper() }
func (s suiteTB) Fatalf(f string, args ...any) { s.t.Fatalf(f, args...) }
func (s suiteTB) Logf(f string, args ...any)   { fmt.Fprintf(os.Stderr, f+"\n", args...) }
func (s suiteTB) Name() string                 { return "shared" }
func (s suiteTB) Skip(args ...any)             { s.t.Skip(args...) }
func (s suiteTB) Failed() bool                 { suite.mu.Lock(); defer suite.mu.Unlock(); return suite.failed }
func (s suiteTB) Cleanup(fn func()) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.cleanups = append(suite.cleanups, fn)
}

func (s suiteTB) TempDir() string {
	dir, err := os.MkdirTemp("", "parley-uitest-shared-")
	if err != nil {
		s.t.Fatal(err)
	}
	s.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func runSuiteCleanups(failed bool) {
	suite.mu.Lock()
	suite.failed = failed
	fns := suite.cleanups
	suite.cleanups = nil
	suite.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// msgAction clicks an action button (reply, edit, delete, ...) of the last
// message whose text contains text.
func (b *browser) msgAction(text, action string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const m = [...document.querySelectorAll('#messages article.msg')].filter(e => e.querySelector('.body')?.textContent.includes(%s)).pop();
		const btn = m && m.querySelector('[data-action=%s]');
		if (!btn) return false;
		btn.focus();
		btn.click();
		return true;
	})()`, jsStr(text), jsStr(action))
	b.waitJS(action+" on "+text, js)
}

// enter presses Enter in the element as a real keyboard does. chromedp's
// kb.Enter sends a separate "char" event that inserts a newline even when
// the page handled (and prevented) the keydown, which a real browser never
// does.
func (b *browser) enter(sel string) {
	b.t.Helper()
	// Focus only when needed: refocusing blurs first, which closes popups
	// such as the mention list.
	b.waitJS(sel+" focused", fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (e && document.activeElement !== e) e.focus(); return e && document.activeElement === e })()`, jsStr(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	key := input.DispatchKeyEventParams{Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		key.Type = typ
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, key); err != nil {
			b.t.Fatalf("%s: pressing Enter: %v", b.name, err)
		}
	}
}

// send types text into the composer and presses Enter.
func (b *browser) send(text string) {
	b.t.Helper()
	b.typeInto("#composer-input", text)
	b.enter("#composer-input")
}

// typeUntilSeen types text into sel and keeps typing (one more character
// every 2.5 s, past the client's and the hub's 2 s typing throttle) until
// other shows name in #typing. Typing events are ephemeral: one sent
// before the other side had subscribed is not replayed, so a single
// keystroke burst may legitimately go unseen.
func (b *browser) typeUntilSeen(sel, text string, other *browser, name string) {
	b.t.Helper()
	seen := func() bool {
		ctx, cancel := context.WithTimeout(other.ctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+hasText("#typing", name)+")"))
		return err == nil && ok
	}
	b.typeInto(sel, text)
	deadline := time.Now().Add(stepTimeout)
	for {
		for retype := time.Now().Add(2500 * time.Millisecond); time.Now().Before(retype); {
			if seen() {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %q never showed as typing", other.name, name)
		}
		b.do(chromedp.SendKeys(chromedp.CSS(sel), "."))
	}
}
