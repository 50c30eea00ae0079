package main

import (
	"bufio"
	"crypto/rand"
	wsbin "encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// SIGTERM to a node holding a few thousand sockets, some of whose clients
// never answer the close frame: every client gets close code 1001 (the
// mute ones find it in their socket), the node drops the mute sockets
// after PARLEY_SHUTDOWN_DRAIN instead of waiting for the library's 5 s
// handshake timeout each, and the process exits well within
// PARLEY_SHUTDOWN_TIMEOUT.
func TestShutdownDrain(t *testing.T) {
	const (
		clients = 2000
		mute    = 20
		drain   = time.Second
	)
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	url := "http://" + addr
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{
		"PARLEY_LISTEN=" + addr, "PARLEY_PUBLIC_URL=" + url, "PARLEY_DATA_DIR=" + filepath.Join(dir, "data"),
		"PARLEY_SESSION_KEYS=" + hex.EncodeToString(key), "PARLEY_MAX_SOCKETS_PER_USER=0",
		"PARLEY_ADMIN_EMAIL=admin@drain.example", "PARLEY_ADMIN_PASSWORD=" + clusterAdminPassword,
		"PARLEY_SHUTDOWN_DRAIN=" + drain.String(), "PARLEY_SHUTDOWN_TIMEOUT=60s",
		"PARLEY_LOG_FORMAT=json", "PARLEY_LOG_LEVEL=info",
	}
	node := start(t, "node", dir, env, parleyBin)
	waitHTTP(t, url+"/readyz", node)

	cfg := config{url: url, wsURLs: []string{wsOf(url)}, metricsURLs: []string{url + "/metrics"},
		adminEmail: "admin@drain.example", adminPassword: clusterAdminPassword, prefix: "drain",
		clients: clients, channels: 50, users: 10, idle: true, drain: 60 * time.Second, connectConc: 100,
		shutdownPID: node.cmd.Process.Pid}
	w, err := setup(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.worldFile = filepath.Join(dir, "world.json")
	if err := saveWorld(cfg.worldFile, w); err != nil {
		t.Fatal(err)
	}
	var silent []net.Conn
	for range mute {
		silent = append(silent, dialMute(t, addr, w.cookies[0]))
	}

	res, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res.print(testWriter{t})
	s := res.Shutdown
	if !res.Verified || s.GoingAway != clients {
		t.Fatalf("close codes after SIGTERM: %v, want 1001 for all %d", s.CloseCodes, clients)
	}
	select {
	case <-node.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not exit")
	}
	for i, c := range silent {
		if code := closeCodeIn(t, c); code != 1001 {
			t.Fatalf("mute client %d found close code %d in its socket, want 1001", i, code)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "node.log"))
	dropped := 0
	if m := regexp.MustCompile(`"sockets":(\d+)[^\n]*had not answered the close`).FindSubmatch(log); m != nil {
		dropped, _ = strconv.Atoi(string(m[1]))
	}
	if dropped < mute {
		t.Fatalf("the node did not drop the %d mute sockets after the drain; log:\n%s", mute, tail(log, 2000))
	}
	// Generous, and tied to the setting: the drain plus room for the
	// machine being busy, far below PARLEY_SHUTDOWN_TIMEOUT (60 s).
	if limit := drain + 20*time.Second; s.ExitSeconds > limit.Seconds() {
		t.Fatalf("exit took %.1f s, want within %s", s.ExitSeconds, limit)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dialMute opens a WebSocket and never reads or answers anything.
func dialMute(t *testing.T, addr, cookie string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: " + cookie + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c
}

// closeCodeIn reads what the server sent (101 response, then frames) and
// returns the code of its close frame, -1 if none.
func closeCodeIn(t *testing.T, c net.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("mute client's upgrade: %v %v", resp, err)
	}
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return -1
		}
		n := int64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			io.ReadFull(br, b[:])
			n = int64(wsbin.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			io.ReadFull(br, b[:])
			n = int64(wsbin.BigEndian.Uint64(b[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return -1
		}
		if h[0]&0x0f == 0x8 && len(p) >= 2 {
			return int(wsbin.BigEndian.Uint16(p))
		}
	}
}
