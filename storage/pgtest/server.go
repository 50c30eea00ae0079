package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a private PostgreSQL cluster that one test owns, so that it may
// stop and start it (outage tests) without touching the server every other
// test shares. It listens on 127.0.0.1 on a port of its own, which it keeps
// across restarts so clients reconnect to the same address.
//
// The binaries come from PARLEY_TEST_PG_BIN, else the newest
// /usr/lib/postgresql/<v>/bin (package postgresql). As root, initdb and
// postgres run as the postgres OS user (they refuse to run as root), as in
// tools/ci/services.sh.
type Server struct {
	t    testing.TB
	bin  string
	dir  string // temp dir holding data, socket and log
	data string
	port int
	// Admin is the superuser URL of the cluster's postgres database.
	Admin string
}

// StartServer initialises and starts a private cluster on port (the test
// picks it, with tools/freeport: storage does not import tools); it is
// stopped and removed when t ends.
func StartServer(t testing.TB, port int) *Server {
	t.Helper()
	bin := os.Getenv("PARLEY_TEST_PG_BIN")
	if bin == "" {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
		if len(dirs) > 0 {
			bin = dirs[len(dirs)-1]
		}
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Fatalf("pgtest: no PostgreSQL server binaries (set PARLEY_TEST_PG_BIN or install package postgresql): %v", err)
	}
	dir, err := os.MkdirTemp("", "parley-pg-")
	if err != nil {
		t.Fatal(err)
	}
	// The postgres OS user must reach its data dir inside.
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, dir: filepath.Join(dir, "pg"), port: port}
	s.data = filepath.Join(s.dir, "data")
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres:", s.dir).CombinedOutput(); err != nil {
			t.Fatalf("pgtest: chown data dir to postgres: %v %s", err, out)
		}
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(s.data, "postmaster.pid")); err == nil {
			_ = s.ctl("-m", "immediate", "-w", "-t", "30", "stop")
		}
		_ = os.RemoveAll(dir)
	})
	if out, err := s.cmd("initdb", "-D", s.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	s.Admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Start()
	return s
}

// version orders /usr/lib/postgresql/<v>/bin by v.
func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (s *Server) ctl(args ...string) error {
	base := []string{"-D", s.data, "-l", filepath.Join(s.dir, "postgres.log")}
	out, err := s.cmd("pg_ctl", append(base, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %w\n%s", args, err, out)
	}
	return nil
}

// Start starts the cluster and returns once it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=100 -c max_parallel_workers_per_gather=0 -c log_min_messages=warning",
		s.port, s.dir)
	if err := s.ctl("-w", "-t", "60", "-o", opts, "start"); err != nil {
		s.t.Fatalf("pgtest: %v", err)
	}
}

// Stop shuts the cluster down the way an operator's restart or a failover
// does: sessions are ended (SQLSTATE 57P01) and new connections refused
// until Start.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.ctl("-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		s.t.Fatalf("pgtest: %v", err)
	}
}

// Database creates an empty database on the cluster and returns its URL.
func (s *Server) Database(name string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.Admin)
	if err != nil {
		s.t.Fatalf("pgtest: connect to private server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		s.t.Fatalf("pgtest: create database: %v", err)
	}
	u, err := withDatabase(s.Admin, name)
	if err != nil {
		s.t.Fatalf("pgtest: %v", err)
	}
	return u
}
