package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"parley/storage/pgtest"
	"parley/tools/freeport"
	"parley/tools/leakcheck"
	"parley/tools/testbin"
)

// The multi-node tests run real processes: two parley nodes on one
// PostgreSQL database and one private redis-server, behind nginx or
// HAProxy configured with docs/deploy/*. The benchmark's own client does
// the talking and the verifying (no loss, no duplicates, order).

var parleyBin string

func TestMain(m *testing.M) {
	bin, remove, err := testbin.Parley()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	parleyBin = bin
	code := m.Run()
	remove()
	if code == 0 {
		// Idle keep-alive connections of the setup HTTP clients may linger.
		if err := leakcheck.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// binary finds a program from an environment variable or the usual places.
func binary(t *testing.T, env string, names ...string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		if _, err := os.Stat(n); err == nil {
			return n
		}
	}
	t.Fatalf("%s is not set and %v is not installed (make test installs it)", env, names)
	return ""
}

// proc is a child process the test owns.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

func start(t *testing.T, name, dir string, env []string, bin string, args ...string) *proc {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("--- %s log (last 3000 bytes):\n%s", name, tail(b, 3000))
		}
		log.Close()
	})
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// kill sends SIGKILL to the process group and waits.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// waitHTTP polls url until it answers 200.
func waitHTTP(t *testing.T, url string, p *proc) {
	t.Helper()
	p.waitUntil(t, "ready at "+url, 60*time.Second, 100*time.Millisecond, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitTCP polls addr until it accepts a connection.
func waitTCP(t *testing.T, addr string, p *proc) {
	t.Helper()
	p.waitUntil(t, "listening on "+addr, 30*time.Second, 50*time.Millisecond, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// waitUntil polls ready every interval until it holds; the test fails
// when the process exits first or within passes (what says what was
// awaited).
func (p *proc) waitUntil(t *testing.T, what string, within, interval time.Duration, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was %s", p.name, what)
		default:
		}
		if ready() {
			return
		}
		time.Sleep(interval)
	}
	t.Fatalf("%s was not %s within %v", p.name, what, within)
}

// cluster is two parley nodes, their Redis and a load balancer.
type cluster struct {
	t        *testing.T
	dir      string
	lbURL    string
	nodes    [2]*proc
	nodeAddr [2]string
	nodeEnv  []string
	redis    *proc
	redisBin string
	redisArg []string
	// redisURL is the nodes' PARLEY_REDIS_URL; nodeRedisURL[i], when set,
	// node i's instead (e.g. through a proxy the test cuts).
	redisURL     string
	nodeRedisURL [2]string
	admin        [2]string
}

// clusterOption adjusts a cluster before its nodes start.
type clusterOption func(*cluster)

const clusterAdminPassword = "cluster-admin-password"

func newCluster(t *testing.T, balancer string, opts ...clusterOption) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-node test (two nodes, Redis, a balancer): skipped under -short")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o777) // nginx workers may run as nobody
	c := &cluster{t: t, dir: dir}
	c.redisBin = binary(t, "PARLEY_TEST_REDIS_SERVER", "redis-server", "/usr/bin/redis-server")
	redisPort := freeport.Port(t)
	c.redisArg = []string{"--port", fmt.Sprint(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
	c.startRedis()
	c.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)
	for _, o := range opts {
		o(c)
	}
	key := make([]byte, 32)
	rand.Read(key)
	lbPort := freeport.Port(t)
	c.lbURL = fmt.Sprintf("http://127.0.0.1:%d", lbPort)
	c.admin = [2]string{"admin@cluster.example", clusterAdminPassword}
	c.nodeEnv = []string{
		"PARLEY_DATABASE_URL=" + pgtest.NewDatabase(t),
		"PARLEY_SESSION_KEYS=" + hex.EncodeToString(key),
		"PARLEY_MAX_SOCKETS_PER_USER=0", // the load tool opens many sockets per user
		"PARLEY_PUBLIC_URL=" + c.lbURL,
		"PARLEY_ADMIN_EMAIL=" + c.admin[0],
		"PARLEY_ADMIN_PASSWORD=" + c.admin[1],
		"PARLEY_LOG_FORMAT=json",
		"PARLEY_LOG_LEVEL=warn",
	}
	for i := range c.nodes {
		c.nodeAddr[i] = fmt.Sprintf("127.0.0.1:%d", freeport.Port(t))
		c.startNode(i)
	}
	conf, err := os.ReadFile("../../docs/deploy/" + map[string]string{"nginx": "nginx.conf", "haproxy": "haproxy.cfg"}[balancer])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("{{DIR}}", dir, "{{LISTEN}}", fmt.Sprintf("127.0.0.1:%d", lbPort),
		"{{NODE1}}", c.nodeAddr[0], "{{NODE2}}", c.nodeAddr[1]).Replace(string(conf))
	confPath := filepath.Join(dir, balancer+".conf")
	if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var lb *proc
	switch balancer {
	case "nginx":
		lb = start(t, "nginx", dir, nil, binary(t, "PARLEY_TEST_NGINX", "nginx", "/usr/sbin/nginx"),
			"-c", confPath, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	case "haproxy":
		lb = start(t, "haproxy", dir, nil, binary(t, "PARLEY_TEST_HAPROXY", "haproxy", "/usr/sbin/haproxy"), "-db", "-f", confPath)
	}
	waitHTTP(t, c.lbURL+"/readyz", lb)
	return c
}

func (c *cluster) startRedis() {
	c.redis = start(c.t, "redis", c.dir, nil, c.redisBin, c.redisArg...)
	waitTCP(c.t, "127.0.0.1:"+c.redisArg[1], c.redis)
}

func (c *cluster) startNode(i int) {
	redisURL := c.redisURL
	if c.nodeRedisURL[i] != "" {
		redisURL = c.nodeRedisURL[i]
	}
	env := append(slices.Clip(c.nodeEnv), "PARLEY_LISTEN="+c.nodeAddr[i], "PARLEY_DATA_DIR="+filepath.Join(c.dir, fmt.Sprint("node", i)),
		"PARLEY_REDIS_URL="+redisURL)
	c.nodes[i] = start(c.t, fmt.Sprint("node", i+1), c.dir, env, parleyBin)
	waitHTTP(c.t, "http://"+c.nodeAddr[i]+"/readyz", c.nodes[i])
}

func (c *cluster) nodeURL(i int) string { return "http://" + c.nodeAddr[i] }

func (c *cluster) config(ws ...string) config {
	return config{
		url: c.lbURL, wsURLs: ws, metricsURLs: nil, adminEmail: c.admin[0], adminPassword: c.admin[1],
		prefix: "cluster", clients: 120, channels: 12, publishers: 12, users: 12, rate: 120,
		duration: 5 * time.Second, drain: 30 * time.Second, connectConc: 20,
	}
}

func wsOf(url string) string { return "ws" + strings.TrimPrefix(url, "http") + "/ws" }

// verify fails the test unless every acked message reached every
// subscriber once and in order.
func verify(t *testing.T, r *result) {
	t.Helper()
	if !r.Verified || r.Acked == 0 || r.Delivered < r.Expected {
		r.print(testWriter{t})
		t.Fatalf("verification failed: acked %d of %d, delivered %d of %d, missing %d, duplicates %d, out of order %d, errors %d %v",
			r.Acked, r.Published, r.Delivered, r.Expected, r.Missing, r.Duplicates, r.OutOfOrder, r.Errors, r.ErrorSample)
	}
	r.print(testWriter{t})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// Clients split over both nodes (connected to each directly) chat live:
// every message crosses nodes through Redis.
func TestClusterCrossNodeLive(t *testing.T) {
	c := newCluster(t, "nginx")
	cfg := c.config(wsOf(c.nodeURL(0)), wsOf(c.nodeURL(1)))
	cfg.duration = 3 * time.Second
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, r)
}

// kill -9 of one node while clients publish through nginx: nothing acked is
// lost and every client resumes on the other node without gaps or
// duplicates.
func TestClusterNodeKilled(t *testing.T) {
	c := newCluster(t, "nginx")
	cfg := c.config(wsOf(c.lbURL))
	cfg.churn = 2
	var once sync.Once
	cfg.during = func(ctx context.Context, _ window) {
		once.Do(func() {
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			c.nodes[0].kill()
			t.Log("node1 killed with SIGKILL")
		})
	}
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reconnects == 0 {
		t.Fatal("no client reconnected: the kill did not hit any connection")
	}
	verify(t, r)
}

// SIGTERM of one node while clients publish through nginx: its sockets
// get 1001 at once (the drain), reconnect through nginx to the other node
// and resume with since; nothing acked is lost, and the longest delay of
// any message, publish to receive, is how long the stop held anyone up.
func TestClusterNodeStopped(t *testing.T) {
	c := newCluster(t, "nginx")
	cfg := c.config(wsOf(c.lbURL))
	var stopped time.Duration
	cfg.during = func(ctx context.Context, _ window) {
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
			return
		}
		began := time.Now()
		if err := c.nodes[0].cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
			return
		}
		select {
		case <-c.nodes[0].done:
			stopped = time.Since(began)
			t.Logf("node1 stopped %.2f s after SIGTERM", stopped.Seconds())
		case <-ctx.Done():
		}
	}
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reconnects == 0 {
		t.Fatal("no client reconnected: the stop did not hit any connection")
	}
	verify(t, r)
	t.Logf("FIGURES SIGTERM: node gone after %.2f s; %d clients reconnected; publish to receive p99 %.0f ms, max %.0f ms; publish to ack max %.0f ms",
		stopped.Seconds(), r.Reconnects, r.Latency.P99, r.Latency.Max, r.AckLatency.Max)
}

// Redis restarted under load (through HAProxy): delivery recovers and the
// gaps are filled from the database.
func TestClusterRedisRestart(t *testing.T) {
	c := newCluster(t, "haproxy")
	cfg := c.config(wsOf(c.nodeURL(0)), wsOf(c.nodeURL(1)))
	cfg.during = func(ctx context.Context, _ window) {
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
			return
		}
		c.redis.kill()
		t.Log("redis killed with SIGKILL")
		time.Sleep(500 * time.Millisecond)
		c.startRedis()
		t.Log("redis restarted")
	}
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, r)
}

// metricOf reads one unlabelled sample from a node's /metrics.
func metricOf(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// waitMetric waits until a node's /metrics has the line.
func waitMetric(t *testing.T, base, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		name, want, _ := strings.Cut(line, " ")
		if v := metricOf(t, base, name); strconv.FormatFloat(v, 'f', -1, 64) == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("%s never showed %q", base, line)
}
