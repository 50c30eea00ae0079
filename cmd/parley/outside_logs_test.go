package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coder/websocket"

	"parley/tools/freeport"
)

// A data directory the server cannot write is one clear message that
// names the directory and the cause, for the server and the commands.
func TestOutsideReadOnlyDataDir(t *testing.T) {
	t.Parallel()
	// Root writes anywhere: the binary then runs as nobody, so it needs a
	// copy that nobody may execute.
	dir, err := os.MkdirTemp("", "parley-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "data"), 0o755); _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "parley")
	src, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{nil, {"migrate"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PARLEY_DATA_DIR=" + data, "PARLEY_LISTEN=127.0.0.1:0", "PARLEY_LOG_FORMAT=json"}
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil || !strings.Contains(stderr.String(), "data directory "+data+" is not writable: permission denied") {
			t.Errorf("parley %v on a read-only data directory: %v, stderr:\n%s", args, err, stderr.String())
		}
	}
}

// Every log line of a server's life, "stopping" included, names its
// component.
func TestOutsideLogLinesHaveComponent(t *testing.T) {
	t.Parallel()
	p := start(t, []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword})
	newClient(t, p.url).login("admin@example.com", outsidePassword)
	p.stop()
	var sawStopping bool
	dec := json.NewDecoder(strings.NewReader(p.stderr.String()))
	for {
		var line map[string]any
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("a log line is not JSON (%v):\n%s", err, p.stderr.String())
		}
		if line["message"] == "stopping" {
			sawStopping = true
		}
		if c, _ := line["component"].(string); c == "" {
			t.Errorf("log line without component: %v", line)
		}
	}
	if !sawStopping {
		t.Fatalf("no stopping line:\n%s", p.stderr.String())
	}
}

// With Redis gone, go-redis's own complaints (failed dials) come out as
// the server's JSON log lines with component "redis", not as its own
// plain "redis: ..." lines.
func TestOutsideRedisDownLogsStayJSON(t *testing.T) {
	t.Parallel()
	redisBin := os.Getenv("PARLEY_TEST_REDIS_SERVER")
	if redisBin == "" {
		redisBin = "/usr/bin/redis-server"
	}
	port := freeport.Port(t)
	rs := exec.Command(redisBin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := rs.Start(); err != nil {
		t.Fatalf("redis-server (PARLEY_TEST_REDIS_SERVER): %v", err)
	}
	redisDone := make(chan struct{})
	go func() { _ = rs.Wait(); close(redisDone) }()
	t.Cleanup(func() { _ = rs.Process.Kill(); <-redisDone })

	p := start(t, []string{"PARLEY_DATA_DIR=" + t.TempDir(), "PARLEY_ADMIN_PASSWORD=" + outsidePassword,
		"PARLEY_REDIS_URL=redis://127.0.0.1:" + strconv.Itoa(port) + "/0",
		"PARLEY_SESSION_KEYS=outside-test-session-key-0123456789abcdef"})
	c := newClient(t, p.url)
	c.login("admin@example.com", outsidePassword)
	_ = rs.Process.Kill()
	<-redisDone

	// A socket needs presence, which needs Redis: go-redis fails to dial.
	h := http.Header{}
	u, _ := urlParse(p.url)
	for _, ck := range c.http.Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if ws, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(p.url, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h}); err == nil {
		_, _, _ = ws.Read(t.Context()) // the hub closes it: try again later
		_ = ws.CloseNow()
	}
	line := p.stderr.waitFor(t, regexpMust(`(?m)^(redis: .*|\{.*"component":"redis".*)$`), p.exited)[0]
	if !strings.HasPrefix(line, "{") {
		t.Fatalf("go-redis logged on its own: %s", line)
	}
	p.stop()
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("not a JSON log line: %s", l)
		}
	}
}
