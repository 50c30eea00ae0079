package main

import (
	"context"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// brokerFault is a fault between the nodes and Redis for runBrokerFault.
type brokerFault struct {
	what   string
	length time.Duration // from begin to end
	begin  func()
	end    func()
	// down lists the nodes that lose the broker (broker_up goes to 0);
	// the others keep it.
	down []int
	// detected, when set, waits after the down nodes noticed (e.g. for
	// the other nodes to learn of it).
	detected func()
	// healed, when set, waits after the down nodes are back.
	healed func()
	// crossMax bounds every cross-node delivery of the run.
	crossMax time.Duration
	// churn is reconnects per second of random non-publishing clients
	// (they resume with since): sockets that connect during the fault.
	churn float64
}

// runBrokerFault runs load on two nodes (clients connected to each node
// directly, so that each delivery is known to be same-node or
// cross-node) with the fault in the middle: each node keeps delivering
// its own publishes at once, the other node's within the catch-up poll
// period once the fault is noticed, and after it every client has every
// acked message once, in order.
func runBrokerFault(t *testing.T, c *cluster, f brokerFault) {
	t.Helper()
	cfg := c.config(wsOf(c.nodeURL(0)), wsOf(c.nodeURL(1)))
	cfg.clients, cfg.channels, cfg.publishers, cfg.users, cfg.rate = 200, 20, 20, 20, 50
	cfg.duration = f.length + 5*time.Second
	cfg.churn = f.churn
	var noticed, recovery time.Duration
	cfg.during = func(ctx context.Context, w window) {
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return
		}
		w.open()
		began := time.Now()
		f.begin()
		t.Logf("%s", f.what)
		for _, i := range f.down {
			waitMetric(t, c.nodeURL(i), "parley_hub_broker_up 0")
		}
		noticed = time.Since(began)
		if f.detected != nil {
			f.detected()
		}
		t.Logf("noticed after %.2f s (and learnt by the others after %.2f s)", noticed.Seconds(), time.Since(began).Seconds())
		time.Sleep(time.Until(began.Add(f.length)))
		f.end()
		back := time.Now()
		t.Log("fault over")
		w.close()
		for _, i := range f.down {
			waitMetric(t, c.nodeURL(i), "parley_hub_broker_up 1")
		}
		recovery = time.Since(back)
		if f.healed != nil {
			f.healed()
		}
		t.Logf("on the broker again %.2f s after the fault ended", recovery.Seconds())
	}
	r, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, r)
	if r.SameNodeWindow == nil || r.CrossNodeWindow == nil || r.SameNode == nil || r.CrossNode == nil {
		t.Fatalf("no deliveries classified: %+v", r)
	}
	t.Logf("FIGURES same-node p99 during the fault %.1f ms (whole run %.1f ms); cross-node p99 during the fault %.0f ms, max %.0f ms, whole run max %.0f ms; noticed %.2f s; recovery %.2f s",
		r.SameNodeWindow.P99, r.SameNode.P99, r.CrossNodeWindow.P99, r.CrossNodeWindow.Max, r.CrossNode.Max, noticed.Seconds(), recovery.Seconds())
	// Generous bounds for a loaded 2-core machine: the point is that
	// nothing waits for Redis.
	if r.SameNodeWindow.P99 > 500 {
		t.Errorf("same-node p99 during the fault %.1f ms", r.SameNodeWindow.P99)
	}
	if r.CrossNode.Max > float64(f.crossMax.Milliseconds()) {
		t.Errorf("a cross-node delivery took %.0f ms (bound %v)", r.CrossNode.Max, f.crossMax)
	}
	for i := range c.nodes {
		sum, n := metricOf(t, c.nodeURL(i), "parley_hub_catchup_poll_duration_seconds_sum"), metricOf(t, c.nodeURL(i), "parley_hub_catchup_poll_duration_seconds_count")
		t.Logf("FIGURES node %d: %.0f catch-up polls, mean %.2f ms, %.0f events delivered by the poll first", i+1, n, sum/n*1000,
			metricOf(t, c.nodeURL(i), "parley_hub_catchup_events_total"))
		for _, m := range []string{"parley_hub_catchup_events_total", "parley_hub_catchup_polls_total"} {
			if v := metricOf(t, c.nodeURL(i), m); v <= 0 {
				t.Errorf("node %d: %s = %v", i+1, m, v)
			}
		}
	}
}

// Redis killed for 10 s under load (two nodes on PostgreSQL behind
// nginx): the connection breaks at once, so both nodes notice at once.
func TestClusterRedisDown(t *testing.T) {
	c := newCluster(t, "nginx")
	runBrokerFault(t, c, brokerFault{
		what: "redis killed with SIGKILL", length: 10 * time.Second, down: []int{0, 1}, crossMax: 2 * time.Second,
		begin: c.redis.kill,
		end:   c.startRedis,
	})
}

// Redis hung (SIGSTOP) for 7 s under load: its connections stay open and
// answer nothing. The nodes notice by an unanswered ping (one second
// without traffic, one more for the pong), deliver their own publishes at
// once meanwhile, and nothing waits on the hung connections.
func TestClusterRedisHung(t *testing.T) {
	c := newCluster(t, "nginx")
	pid := c.redis.cmd.Process.Pid
	signal := func(sig syscall.Signal) func() {
		return func() {
			if err := syscall.Kill(pid, sig); err != nil {
				t.Errorf("signal %v to redis: %v", sig, err)
			}
		}
	}
	t.Cleanup(signal(syscall.SIGCONT)) // before the kill of its own cleanup
	runBrokerFault(t, c, brokerFault{
		what: "redis stopped with SIGSTOP", length: 7 * time.Second, down: []int{0, 1},
		// Noticing takes up to two health intervals (2 s), then the poll
		// period (1 s).
		crossMax: 4 * time.Second,
		churn:    2,
		begin:    signal(syscall.SIGSTOP),
		end:      signal(syscall.SIGCONT),
	})
}

// One node cut off from Redis for 8 s (a proxy between it and Redis
// drops its connections and refuses new ones) while the other still
// reaches it: the cut-off node records its outage in the database, the
// other node learns it within a poll period and catches up the cut-off
// node's publishes from the database until it is back.
func TestClusterNodeCutOffFromRedis(t *testing.T) {
	var proxy *cutProxy
	c := newCluster(t, "nginx", func(c *cluster) {
		proxy = newCutProxy(t, "127.0.0.1:"+c.redisArg[1])
		c.nodeRedisURL[1] = "redis://" + proxy.addr() + "/0"
	})
	runBrokerFault(t, c, brokerFault{
		what: "node 2 cut off from redis", length: 8 * time.Second, down: []int{1},
		// Noticing is at once (the connection breaks); recording it and
		// the other node reading it take a poll period each.
		crossMax: 3 * time.Second,
		begin:    func() { proxy.setCut(true) },
		end:      func() { proxy.setCut(false) },
		detected: func() { waitMetric(t, c.nodeURL(0), "parley_hub_catchup_peer_outages 1") },
		healed:   func() { waitMetric(t, c.nodeURL(0), "parley_hub_catchup_peer_outages 0") },
	})
}

// cutProxy forwards TCP connections to target. Cut, it closes every
// connection and closes new ones at once, as a partition between one
// node and Redis looks to the node.
type cutProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.setCut(true)
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		if !p.track(in, out) {
			in.Close()
			out.Close()
			continue
		}
		for _, dir := range [][2]net.Conn{{in, out}, {out, in}} {
			p.wg.Go(func() {
				_, _ = io.Copy(dir[1], dir[0])
				dir[0].Close()
				dir[1].Close()
			})
		}
	}
}

// track registers a connection pair unless the proxy is cut.
func (p *cutProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}
