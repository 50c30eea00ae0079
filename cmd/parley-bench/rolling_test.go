package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A rolling restart under load, as docs/operations.md ("Rolling restart")
// tells an operator: two nodes behind nginx (docs/deploy/nginx.conf), every
// client connected through it, publishing and subscribed; node 1 gets
// SIGTERM, exits, is started again and becomes ready; then node 2 the
// same. Nothing acknowledged is lost, nothing is delivered twice, every
// channel stays in order, and every client reconnects (each was on a node
// that stopped at least once).
func TestClusterRollingRestart(t *testing.T) {
	c := newCluster(t, "nginx")
	cfg := c.config(wsOf(c.lbURL))
	cfg.clients, cfg.channels, cfg.publishers, cfg.users, cfg.rate = 200, 20, 20, 20, 100
	cfg.duration = 20 * time.Second
	var stops [2]time.Duration
	var downtime [2]time.Duration
	cfg.during = func(ctx context.Context, _ window) {
		for i := range c.nodes {
			select {
			case <-time.After(3 * time.Second):
			case <-ctx.Done():
				return
			}
			began := time.Now()
			stops[i] = c.stopNode(i)
			c.startNode(i)
			downtime[i] = time.Since(began)
			t.Logf("node%d: SIGTERM to exit %.2f s, back and ready %.2f s after SIGTERM", i+1, stops[i].Seconds(), downtime[i].Seconds())
		}
	}
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(c.dir, "error.log"))
			t.Logf("--- nginx error.log (last 3000 bytes):\n%s", tail(b, 3000))
		}
	})
	verify(t, r)
	if r.Reconnects < int64(cfg.clients) {
		t.Errorf("%d reconnects for %d clients: some client never moved although both nodes restarted", r.Reconnects, cfg.clients)
	}
	if r.Reconnect == nil {
		t.Fatal("no reconnect was timed")
	}
	t.Logf("FIGURES rolling restart: %d clients, %.0f msg/s; %d acked, %d delivered; reconnects %d, reconnect p50 %.0f ms, p99 %.0f ms, max %.0f ms; "+
		"longest gap between two messages of a channel %.0f ms; publish-to-receive p99 %.1f ms, max %.0f ms; node stops %.2f s and %.2f s",
		cfg.clients, cfg.rate, r.Acked, r.Delivered, r.Reconnects, r.Reconnect.P50, r.Reconnect.P99, r.Reconnect.Max,
		r.MaxDeliveryGapMS, r.Latency.P99, r.Latency.Max, stops[0].Seconds(), stops[1].Seconds())
}

// stopNode sends node i SIGTERM and waits for it to exit, which must be
// a clean exit; it returns how long that took.
func (c *cluster) stopNode(i int) time.Duration {
	c.t.Helper()
	p := c.nodes[i]
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		c.t.Fatalf("%s did not exit within 30 s of SIGTERM", p.name)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		c.t.Errorf("%s exited with %d after SIGTERM, want 0", p.name, code)
	}
	return time.Since(began)
}
