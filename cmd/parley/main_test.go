package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/tools/leakcheck"
	"parley/tools/testbin"
)

// The end-to-end tests start the real binary, built once per test run
// into a temporary directory, on a temporary data directory and a free
// port; TestInProcess runs Main itself.

var binary string

func TestMain(m *testing.M) {
	bin, remove, err := testbin.Parley()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = bin
	code := leakcheck.Run(m)
	remove()
	os.Exit(code)
}

// output collects a stream and lets tests wait for what they expect.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until re matches the output, the process exits, or the
// deadline passes, and returns the submatches.
func (o *output) waitFor(t *testing.T, re *regexp.Regexp, exited <-chan struct{}) []string {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		m := re.FindStringSubmatch(o.buf.String())
		changed := o.changed
		o.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-changed:
		case <-exited:
			if m := re.FindStringSubmatch(o.String()); m != nil {
				return m
			}
			t.Fatalf("parley exited before printing %q; output:\n%s", re, o.String())
		case <-deadline.C:
			t.Fatalf("parley did not print %q in time; output:\n%s", re, o.String())
		}
	}
}

// proc is a running parley binary.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *output
	stderr *output
	exited chan struct{}
	err    error // of Wait, once exited
	url    string
	banner string
}

var bannerRE = regexp.MustCompile(`Parley is running at (http://\S+)[^\n]*`)

// start runs parley with args and the environment, on a free port of
// 127.0.0.1 unless env sets PARLEY_LISTEN, and waits for its banner.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := launch(t, env, args...)
	m := p.stdout.waitFor(t, bannerRE, p.exited)
	p.url, p.banner = m[1], m[0]
	return p
}

// launch runs parley without waiting for anything.
func launch(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the parley binary as a process: skipped under -short")
	}
	return launchBinary(t, binary, env, args...)
}

// launchBinary is launch of another build of parley (e.g. with failpoints).
func launchBinary(t *testing.T, binary string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, stdout: newOutput(), stderr: newOutput(), exited: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append([]string{"PARLEY_LISTEN=127.0.0.1:0", "PARLEY_LOG_FORMAT=json", "PATH=" + os.Getenv("PATH")}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("parley %v stderr:\n%s", args, p.stderr.String())
		}
	})
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("parley did not stop on SIGTERM; stderr:\n%s", p.stderr.String())
	}
	if p.err != nil {
		p.t.Fatalf("parley exited with %v; stderr:\n%s", p.err, p.stderr.String())
	}
}

// wait waits for a command to end and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		p.t.Fatal("parley did not exit")
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	p.t.Fatal(p.err)
	return -1
}

// command runs a parley command to its end and returns its output.
func command(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := launch(t, env, args...)
	code = p.wait()
	return p.stdout.String(), p.stderr.String(), code
}

// client is a browser-like API client with its own cookies.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

func (r response) errorOf(t *testing.T) (code, message string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	r.decode(t, &body)
	return body.Error.Code, body.Error.Message
}

func (c *client) raw(method, path, contentType string, body io.Reader, header ...string) response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	if body == nil {
		return c.raw(method, path, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.raw(method, path, "application/json", bytes.NewReader(b))
}

// login logs in and fails the test unless it works.
func (c *client) login(email, password string) response {
	c.t.Helper()
	res := c.do("POST", "/api/v1/session", map[string]string{"email": email, "password": password})
	if res.status != http.StatusOK {
		c.t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	return res
}

// cookie returns the client's session cookie.
func (c *client) cookie() *http.Cookie {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "parley_session" {
			return ck
		}
	}
	return nil
}

// expect fails unless the response has the status and, for errors, the
// code and a message containing msg.
func expect(t *testing.T, what string, res response, status int, code, msg string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: status %d, want %d (%s)", what, res.status, status, res.body)
	}
	if code == "" {
		return
	}
	gotCode, gotMsg := res.errorOf(t)
	if gotCode != code || !strings.Contains(gotMsg, msg) {
		t.Fatalf("%s: error %q %q, want %q containing %q", what, gotCode, gotMsg, code, msg)
	}
}

// bannerPassword extracts the generated admin password of a first run.
var bannerPasswordRE = regexp.MustCompile(`log in as (\S+) with password (\S+)`)
