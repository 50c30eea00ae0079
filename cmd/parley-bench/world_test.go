package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"parley/tools/freeport"
)

// single is one parley node on the embedded SQLite engine, restartable on
// the same data directory.
type single struct {
	t    *testing.T
	dir  string
	addr string
	env  []string
	node *proc
	n    int
}

func newSingle(t *testing.T) *single {
	t.Helper()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	s := &single{t: t, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", freeport.Port(t))}
	s.env = []string{
		"PARLEY_LISTEN=" + s.addr,
		"PARLEY_PUBLIC_URL=http://" + s.addr,
		"PARLEY_DATA_DIR=" + filepath.Join(dir, "data"),
		"PARLEY_SESSION_KEYS=" + hex.EncodeToString(key),
		"PARLEY_MAX_SOCKETS_PER_USER=0", // the load tool opens many sockets per user
		"PARLEY_ADMIN_EMAIL=admin@single.example",
		"PARLEY_ADMIN_PASSWORD=" + clusterAdminPassword,
		"PARLEY_LOG_FORMAT=json",
		"PARLEY_LOG_LEVEL=warn",
		"PARLEY_DATABASE_URL=",
		"PARLEY_REDIS_URL=",
	}
	s.start()
	return s
}

func (s *single) start() {
	s.n++
	s.node = start(s.t, fmt.Sprint("node-run", s.n), s.dir, s.env, parleyBin)
	waitHTTP(s.t, "http://"+s.addr+"/readyz", s.node)
}

// stop stops the node with SIGTERM, as run.sh does, and waits.
func (s *single) stop() {
	syscall.Kill(s.node.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.node.done:
	case <-time.After(60 * time.Second):
		s.t.Fatal("node did not stop within 60 s of SIGTERM")
	}
}

func (s *single) config() config {
	u := "http://" + s.addr
	return config{
		url: u, wsURLs: []string{wsOf(u)}, metricsURLs: []string{u + "/metrics"},
		adminEmail: "admin@single.example", adminPassword: clusterAdminPassword,
		prefix: "single", clients: 40, channels: 4, publishers: 4, users: 4, rate: 40,
		duration: time.Second, drain: 30 * time.Second, connectConc: 10,
	}
}

// A set-up saved with -setup-only serves runs on a restarted node: the
// sessions survive the restart and nothing is set up again.
func TestWorldAcrossRestart(t *testing.T) {
	s := newSingle(t)
	cfg := s.config()
	cfg.worldFile = filepath.Join(t.TempDir(), "world.json")
	cfg.setupOnly = true
	if err := setupOnly(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cfg.worldFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("world file: %v, mode %v; want it readable by its owner only", err, fi.Mode())
	}
	s.stop()
	s.start()

	cfg.setupOnly = false
	// No admin needed: nothing is set up.
	cfg.adminEmail, cfg.adminPassword = "", ""
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, r)
	if r.World != cfg.worldFile || r.Acked == 0 {
		t.Fatalf("world %q, acked %d", r.World, r.Acked)
	}
	if r.CPUPerMessageUS <= 0 || r.CPUPerDeliveryUS <= 0 {
		t.Fatalf("server CPU per message %.1f µs, per delivery %.1f µs; want both", r.CPUPerMessageUS, r.CPUPerDeliveryUS)
	}

	acc := cfg
	acc.accept, acc.publishers = true, 0
	r, err = run(t.Context(), acc)
	if err != nil {
		t.Fatal(err)
	}
	r.print(testWriter{t})
	if r.Accept == nil || r.Accept.Connections != acc.clients || r.Accept.PerSecond <= 0 || !r.Verified {
		t.Fatalf("accept: %+v, verified %v", r.Accept, r.Verified)
	}

	idl := cfg
	idl.idle, idl.publishers, idl.duration = true, 0, 100*time.Millisecond
	r, err = run(t.Context(), idl)
	if err != nil {
		t.Fatal(err)
	}
	r.print(testWriter{t})
	if r.Idle == nil || !r.Idle.SetupFromWorld || r.Idle.RSSBeforeMiB <= 0 || r.Idle.GoroutinesPerConn <= 0 {
		t.Fatalf("idle: %+v", r.Idle)
	}
}

// A world file with fewer users or channels than the run needs is refused.
func TestWorldTooSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.json")
	w := &world{cookies: []string{"a=b"}, channels: []string{"topic:1"}, emails: []string{"u@x"}, userIDs: []int64{1}}
	if err := saveWorld(path, w); err != nil {
		t.Fatal(err)
	}
	if _, err := loadWorld(path, config{users: 1, channels: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := loadWorld(path, config{users: 2, channels: 1}); err == nil {
		t.Fatal("a run needing 2 users accepted a world of 1")
	}
}

// -setup-only needs a file to write; -world alone needs no admin.
func TestParseWorldFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-setup-only", "-admin-email", "a", "-admin-password", "b"}); err == nil {
		t.Fatal("-setup-only without -world accepted")
	}
	if _, err := parseFlags([]string{"-world", "w.json"}); err != nil {
		t.Fatalf("-world without admin: %v", err)
	}
	if _, err := parseFlags([]string{"-world", "w.json", "-idle", "-accept"}); err == nil {
		t.Fatal("-idle -accept accepted")
	}
}
