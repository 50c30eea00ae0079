// Command parley-bench is Parley's load tool: N WebSocket clients over M
// topic channels, P of them publishing at a fixed total rate R, optional
// reconnect churn. It measures delivered messages per second,
// publish-to-receive latency (HDR histogram), connect rate and errors, and
// verifies every delivery: no loss, no duplicates, per-channel order.
//
// It sets itself up through the JSON API as a tenant admin (users, one
// group, the topics), so run it against a throwaway server:
//
//	PARLEY_ADMIN_EMAIL=admin@example.com PARLEY_ADMIN_PASSWORD=... parley &
//	parley-bench -url http://127.0.0.1:8080 -admin-email admin@example.com -admin-password ... \
//	    -clients 1000 -channels 100 -publishers 50 -rate 500 -duration 30s
//
// On Linux a few goroutines read all connections through epoll (-reader
// epoll, ws:// only), so that the tool takes as little of the cores it
// shares with the server as it can; -reader goroutine reads each with a
// coder/websocket reader of its own.
//
// The set-up can be split from the measurement, so that the measured
// server process did none of it (logins hash passwords with argon2id,
// about 19 MiB each, and connections made afterwards reuse that freed
// heap): -setup-only -world FILE sets up, logs the users in and saves
// their sessions and the channels to FILE; a later -world FILE run (against
// a restarted server on the same database) uses them instead of setting up.
// -accept measures connections accepted per second and nothing else.
//
// See docs/performance.md and tools/bench/run.sh for the scenarios.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	url           string
	wsURLs        []string
	metricsURLs   []string
	adminEmail    string
	adminPassword string
	prefix        string
	clients       int
	channels      int
	publishers    int
	users         int
	rate          float64
	duration      time.Duration
	churn         float64
	idle          bool
	accept        bool   // connect every client as fast as the server accepts, report the rate, stop
	setupOnly     bool   // set up and save the world to worldFile, measure nothing
	worldFile     string // the saved set-up to use instead of setting up (or to write, with setupOnly)
	drain         time.Duration
	shutdownPID   int // with -idle: SIGTERM this process once connected and measure the stop
	connectConc   int
	cpuSources    []cpuSource
	cpuComms      []string // the names of cpuSources
	jsonOut       string
	cpuProfile    string
	// reader is how connections are read: "epoll" (the default, "" too)
	// or "goroutine" (one coder/websocket reader per connection).
	reader  string
	pollers int           // epoll goroutines (default 2)
	gather  time.Duration // the epoll reader's pause after a wait with few sockets
	// during runs while publishing (fault injection in tests); window
	// marks the fault's start and end, whose latencies are reported apart.
	during func(ctx context.Context, window window)
}

// wsURLOf is client i's WebSocket URL. Client i follows channel i mod M
// and the publishers are the first clients, so plain round-robin would put
// every channel's subscribers on its publisher's node (M a multiple of
// the URLs); shifting by one URL per round of M spreads each channel's
// subscribers over every URL.
func (cfg config) wsURLOf(i int) string {
	n := len(cfg.wsURLs)
	return cfg.wsURLs[(i+i/max(cfg.channels, 1))%n]
}

// window marks a stretch of the run (by send time).
type window struct{ open, close func() }

func parseFlags(args []string) (config, error) {
	var c config
	var ws, metrics, comms, cpuPIDs, cpuPGDB string
	fs := flag.NewFlagSet("parley-bench", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL for the JSON API (setup and logins)")
	fs.StringVar(&ws, "ws", "", "comma-separated WebSocket URLs; clients are spread over them round-robin (default: <url>/ws)")
	fs.StringVar(&metrics, "metrics", "", "comma-separated /metrics URLs of the nodes, for CPU, memory and goroutines (default: <url>/metrics)")
	fs.StringVar(&c.adminEmail, "admin-email", os.Getenv("PARLEY_ADMIN_EMAIL"), "tenant admin email (default $PARLEY_ADMIN_EMAIL)")
	fs.StringVar(&c.adminPassword, "admin-password", os.Getenv("PARLEY_ADMIN_PASSWORD"), "tenant admin password (default $PARLEY_ADMIN_PASSWORD)")
	fs.StringVar(&c.prefix, "prefix", "bench", "name prefix of the users, group and topics it creates")
	fs.IntVar(&c.clients, "clients", 100, "WebSocket clients (N)")
	fs.IntVar(&c.channels, "channels", 10, "topic channels (M); client i subscribes to channel i mod M")
	fs.IntVar(&c.publishers, "publishers", 10, "publishing clients (P), the first P clients")
	fs.IntVar(&c.users, "users", 0, "distinct user accounts the clients log in as (default min(N, 100))")
	fs.Float64Var(&c.rate, "rate", 100, "total publishes per second (R), spread over the publishers")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to publish")
	fs.Float64Var(&c.churn, "churn", 0, "reconnects per second of random non-publishing clients (resume with since)")
	fs.BoolVar(&c.idle, "idle", false, "connect and subscribe, then hold idle for -duration and report memory per connection")
	fs.BoolVar(&c.accept, "accept", false, "connect and subscribe every client (-connect-concurrency at once), report connections accepted per second, stop")
	fs.BoolVar(&c.setupOnly, "setup-only", false, "only set up (users, group, topics, logins) and save it to -world; measure nothing")
	fs.StringVar(&c.worldFile, "world", "", "with -setup-only: file to save the set-up to (JSON, holds session cookies); else: a saved set-up to use instead of setting up")
	fs.DurationVar(&c.drain, "drain", 30*time.Second, "how long to wait for the last deliveries after publishing stops")
	fs.IntVar(&c.shutdownPID, "shutdown-pid", 0, "with -idle: once every client is connected, send SIGTERM to this (parley) process and measure until every socket ended (close codes) and the process is gone, within -drain")
	fs.IntVar(&c.connectConc, "connect-concurrency", 50, "simultaneous connection attempts")
	fs.StringVar(&comms, "cpu-comm", "", "comma-separated process names whose CPU time to report, every process of each name (e.g. postgres,redis-server)")
	fs.StringVar(&cpuPIDs, "cpu-pid", "", "comma-separated name=pid: report the CPU time of each process and its descendants under name (e.g. redis-server=123,nginx=456)")
	fs.StringVar(&cpuPGDB, "cpu-pg-db", "", "report the CPU time of the PostgreSQL server serving this database (postmaster and children, less other databases' backends) as postgres")
	fs.StringVar(&c.jsonOut, "json", "", "write the results as JSON to this file")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the load tool itself while publishing to this file")
	fs.StringVar(&c.reader, "reader", "epoll", "how to read the connections: epoll (a few goroutines wait on all sockets; Linux, ws:// only) or goroutine (one per connection)")
	fs.IntVar(&c.pollers, "pollers", 2, "goroutines of the epoll reader")
	fs.DurationVar(&c.gather, "poll-gather", 500*time.Microsecond, "the epoll reader's pause after a wait that found few sockets ready, so the next finds many (adds at most this to latencies)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.url = strings.TrimSuffix(c.url, "/")
	split := func(s, def string) []string {
		if s == "" {
			return []string{def}
		}
		return strings.Split(s, ",")
	}
	c.wsURLs = split(ws, "ws"+strings.TrimPrefix(c.url, "http")+"/ws")
	c.metricsURLs = split(metrics, c.url+"/metrics")
	srcs, err := parseCPUSources(comms, cpuPIDs, cpuPGDB)
	if err != nil {
		return c, err
	}
	c.cpuSources = srcs
	for _, s := range srcs {
		c.cpuComms = append(c.cpuComms, s.name)
	}
	if c.users <= 0 {
		c.users = min(c.clients, 100)
	}
	switch {
	case (c.worldFile == "" || c.setupOnly) && (c.adminEmail == "" || c.adminPassword == ""):
		return c, errors.New("-admin-email and -admin-password (or PARLEY_ADMIN_EMAIL/PASSWORD) are required")
	case c.clients <= 0 || c.channels <= 0 || c.publishers < 0 || c.publishers > c.clients:
		return c, errors.New("need clients > 0, channels > 0 and 0 <= publishers <= clients")
	case !c.idle && c.publishers > 0 && c.rate <= 0:
		return c, errors.New("-rate must be positive")
	case c.reader != "epoll" && c.reader != "goroutine":
		return c, errors.New("-reader is epoll or goroutine")
	case c.setupOnly && c.worldFile == "":
		return c, errors.New("-setup-only needs -world FILE to save the set-up to")
	case c.shutdownPID != 0 && !c.idle:
		return c, errors.New("-shutdown-pid goes with -idle")
	case c.idle && c.accept:
		return c, errors.New("-idle and -accept are different scenarios")
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parley-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.setupOnly {
		t0 := time.Now()
		if err := setupOnly(ctx, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "parley-bench:", err)
			os.Exit(1)
		}
		fmt.Printf("parley-bench: set up %d users and %d channels in %.1f s; saved to %s\n",
			cfg.users, cfg.channels, time.Since(t0).Seconds(), cfg.worldFile)
		return
	}
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parley-bench:", err)
		os.Exit(1)
	}
	res.CommandLine = os.Args
	res.print(os.Stdout)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "parley-bench:", err)
			os.Exit(1)
		}
	}
	if !res.Verified {
		os.Exit(1)
	}
}

// setupOnly sets up and saves the world to cfg.worldFile.
func setupOnly(ctx context.Context, cfg config) error {
	w, err := setup(ctx, cfg)
	if err != nil {
		return err
	}
	return saveWorld(cfg.worldFile, w)
}

func run(ctx context.Context, cfg config) (*result, error) {
	res := &result{Config: cfgView(cfg)}
	w, err := loadOrSetUp(ctx, cfg, res)
	if err != nil {
		return nil, err
	}
	// The baseline, before any connection: with -world on a fresh
	// process, memory as the process has it after starting.
	before := scrapeAll(cfg.metricsURLs)
	comm0 := cpuOf(cfg.cpuSources)
	st := newStats()
	st.urlOf, st.nodes = cfg.wsURLOf, len(cfg.wsURLs)
	p := epollReader(cfg)
	if p != nil {
		// After the clients are closed (deferred below, so run first).
		defer p.stop()
	}
	clients := make([]*client, cfg.clients)
	for i := range clients {
		clients[i] = newClient(i, cfg.wsURLOf(i), w.cookies[i%len(w.cookies)], w.channels[i%len(w.channels)], st)
		clients[i].poller = p
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	cs, err := connectAll(ctx, cfg, clients)
	if err != nil {
		return nil, err
	}
	res.ConnectPerSecond = float64(len(clients)) / cs.time.Seconds()
	res.Connect = st.connectLatency.summary()
	switch {
	case cfg.accept:
		return accepted(cfg, res, st, cs, before, comm0), nil
	case cfg.shutdownPID != 0:
		return shutdown(ctx, cfg, res, clients)
	case cfg.idle:
		return idle(ctx, cfg, res, before)
	}
	return publishing(ctx, cfg, res, clients, st)
}

// loadOrSetUp returns the world saved by an earlier -setup-only (-world),
// or sets it up, and notes the set-up in res.
func loadOrSetUp(ctx context.Context, cfg config, res *result) (*world, error) {
	t0 := time.Now()
	var w *world
	var err error
	if cfg.worldFile != "" {
		// Set up by an earlier -setup-only: this server process may have
		// done nothing yet, so what is measured from here is its own.
		w, err = loadWorld(cfg.worldFile, cfg)
	} else {
		w, err = setup(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	res.SetupSeconds = time.Since(t0).Seconds()
	res.World = cfg.worldFile
	return w, nil
}

// epollReader is the reader of -reader epoll, or nil for a reader
// goroutine per connection: asked for, or the epoll reader cannot.
func epollReader(cfg config) *poller {
	if cfg.reader == "goroutine" {
		return nil
	}
	var err error
	for _, u := range cfg.wsURLs {
		if !strings.HasPrefix(u, "ws://") {
			err = fmt.Errorf("%s is not ws://", u)
		}
	}
	var p *poller
	if err == nil {
		p, err = newPoller(max(cfg.pollers, 1), cfg.gather)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "parley-bench: a reader goroutine per connection (the epoll reader cannot: %v)\n", err)
		return nil
	}
	return p
}

// connectStats is how long connecting every client took, and the tool's
// and the machine's CPU meanwhile.
type connectStats struct {
	time, self, machine time.Duration
}

// connectAll connects every client, -connect-concurrency at once.
func connectAll(ctx context.Context, cfg config, clients []*client) (connectStats, error) {
	// The tool's and the machine's CPU are read right at the start and the
	// end of what is timed, so that they cover the same window.
	self0, machine0, t1 := selfCPU(), machineCPU(), time.Now()
	if err := parallel(ctx, len(clients), cfg.connectConc, func(i int) error { return clients[i].connectRetrying(ctx) }); err != nil {
		return connectStats{}, fmt.Errorf("connect: %w", err)
	}
	connectTime, self1, machine1 := time.Since(t1), selfCPU(), machineCPU()
	return connectStats{time: connectTime, self: self1 - self0, machine: machine1 - machine0}, nil
}

// accepted is the result of -accept: connections accepted per second and
// what each cost the server.
func accepted(cfg config, res *result, st *stats, cs connectStats, before []nodeMetrics, comm0 map[string]time.Duration) *result {
	n := cfg.clients
	connected := scrapeAll(cfg.metricsURLs)
	a := &acceptResult{
		Connection:  "TCP connect + WebSocket upgrade (session cookie checked) + subscribe answered (subscribed frame)",
		Connections: n, Concurrency: cfg.connectConc, Seconds: cs.time.Seconds(),
		PerSecond: res.ConnectPerSecond, Latency: res.Connect, DialFailures: st.dialFailures.Load(),
		BenchCPUSeconds: cs.self.Seconds(), MachineBusySeconds: cs.machine.Seconds(),
	}
	for i := range connected {
		res.Nodes = append(res.Nodes, nodeDelta{URL: cfg.metricsURLs[i], Before: before[i], After: connected[i]})
		a.ServerCPUSeconds += connected[i].CPUSeconds - before[i].CPUSeconds
	}
	a.ServerCPUPerConnUS = a.ServerCPUSeconds * 1e6 / float64(n)
	res.setCPUComm(cfg, comm0, cpuOf(cfg.cpuSources))
	a.CPUCommPerConnUS = res.CPUCommSeconds * 1e6 / float64(n)
	res.Accept = a
	res.Verified = st.errors.Load() == 0
	res.Errors, res.ErrorSample, res.DialFailures = st.errors.Load(), st.errSample, st.dialFailures.Load()
	return res
}

// publishing publishes for -duration on the connected clients and
// measures the deliveries.
func publishing(ctx context.Context, cfg config, res *result, clients []*client, st *stats) (*result, error) {
	cpuComm0 := cpuOf(cfg.cpuSources)
	mid := scrapeAll(cfg.metricsURLs)
	if cfg.cpuProfile != "" {
		stop, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	self0, machine0, t2 := selfCPU(), machineCPU(), time.Now()
	doneAt := runPublishers(ctx, cfg, clients, st)
	self1, machine1 := selfCPU(), machineCPU()
	publishTime := min(time.Since(t2), cfg.duration)
	elapsed := doneAt.Sub(t2)
	after := scrapeAll(cfg.metricsURLs)
	res.setCPUComm(cfg, cpuComm0, cpuOf(cfg.cpuSources))
	res.BenchCPUSeconds = (self1 - self0).Seconds()
	res.MachineBusySeconds = (machine1 - machine0).Seconds()
	res.WallSeconds = elapsed.Seconds()
	// A server that falls behind acks after publishing has stopped: the
	// acked rate is over the time until the last ack, not the publishing.
	ackTime := max(publishTime, time.Unix(0, st.lastAck.Load()).Sub(t2))
	res.AckSeconds = ackTime.Seconds()
	res.fill(cfg, clients, st, ackTime, elapsed, mid, after)
	return res, nil
}

// startCPUProfile profiles the tool itself into the file until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// setCPUComm sets the CPU the -cpu-* processes spent between two
// readings, per name and in total.
func (r *result) setCPUComm(cfg config, before, after map[string]time.Duration) {
	r.CPUComm = map[string]float64{}
	for _, c := range cfg.cpuComms {
		r.CPUComm[c] = (after[c] - before[c]).Seconds()
		r.CPUCommSeconds += r.CPUComm[c]
	}
}

// runPublishers publishes at the configured total rate for the duration,
// with optional reconnect churn, and returns when done. Every client is
// supervised: a dropped connection reconnects and resumes.
func runPublishers(ctx context.Context, cfg config, clients []*client, st *stats) (caughtUpAt time.Time) {
	superCtx, stopSupervising := context.WithCancel(ctx)
	var supervisors sync.WaitGroup
	for _, c := range clients {
		supervisors.Add(1)
		go func() {
			defer supervisors.Done()
			c.supervise(superCtx)
		}()
	}
	defer func() {
		stopSupervising()
		supervisors.Wait()
	}()
	pubCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var wg sync.WaitGroup
	if cfg.publishers > 0 {
		interval := time.Duration(float64(time.Second) * float64(cfg.publishers) / cfg.rate)
		for p := range cfg.publishers {
			c := clients[p]
			wg.Add(1)
			go func() {
				defer wg.Done()
				publish(pubCtx, c, p, interval, st)
			}()
		}
	}
	if cfg.churn > 0 && cfg.clients > cfg.publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.churn))
			defer tick.Stop()
			for {
				select {
				case <-pubCtx.Done():
					return
				case <-tick.C:
					clients[cfg.publishers+rand.IntN(cfg.clients-cfg.publishers)].drop()
				}
			}
		}()
	}
	if cfg.during != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg.during(pubCtx, window{open: func() { st.openWindow(time.Now()) }, close: func() { st.closeWindow(time.Now()) }})
		}()
	}
	wg.Wait()
	// Keep supervising while the last deliveries drain.
	deadline := time.Now().Add(cfg.drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if caughtUp(clients, st) {
			return time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Now()
}

// publish sends publish frames at a fixed interval (starting at a random
// phase so publishers do not burst together) and records the acks. After a
// reconnect it sends every unacknowledged frame again with the same
// client_msg_id: the server stores each once.
func publish(ctx context.Context, c *client, pub int, interval time.Duration, st *stats) {
	p := &publisher{c: c, pub: pub, st: st, inflight: map[string]pending{}, connects: c.connects.Load()}
	jitter := time.NewTimer(time.Duration(rand.Int64N(int64(interval) + 1)))
	defer jitter.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	started := false
	// The end of publishing is seen at once, and the publisher returns
	// with its last ack, not at the next tick: the run's window (deliveries
	// per second, CPU) is the publishing and the draining, no more.
	done := ctx.Done()
	for {
		select {
		case <-done:
			done = nil
			p.drain()
			if p.left() == 0 {
				return
			}
		case f := <-c.acks:
			p.take(f)
			if p.draining() && p.left() == 0 {
				return
			}
		case <-retry.C:
			p.resendAfterReconnect(ctx)
			if p.draining() && (p.left() == 0 || time.Now().After(p.drainUntil)) {
				return
			}
		case <-jitter.C:
			// The ticker starts at this publisher's own phase: started
			// together, every publisher would send at the same instants
			// and the server would see bursts of P publishes.
			started = true
			tick.Reset(interval)
			if ctx.Err() == nil {
				p.publishNext(ctx) // the first publish goes now
			}
		case <-tick.C:
			switch {
			case !started || p.draining():
				// Not this publisher's phase yet, or publishing is over.
			case ctx.Err() != nil:
				p.drain()
			default:
				p.publishNext(ctx)
			}
		}
	}
}

// pending is a publish frame sent and not yet acked.
type pending struct {
	at    time.Time
	frame map[string]any
}

// publisher is the state of one publishing client (see publish).
type publisher struct {
	c   *client
	pub int
	st  *stats
	n   int // frames published
	// inflight holds the frames not yet acked, by id, under mu.
	mu       sync.Mutex
	inflight map[string]pending
	connects int64 // c.connects when last looked at
	// drainUntil, once publishing has ended, is how long acks are waited
	// for (acks keep arriving after the last publish).
	drainUntil time.Time
}

func (p *publisher) draining() bool { return !p.drainUntil.IsZero() }

// drain starts waiting for the last acks, if not yet.
func (p *publisher) drain() {
	if !p.draining() {
		p.drainUntil = time.Now().Add(20 * time.Second)
	}
}

// left is how many frames wait for their ack.
func (p *publisher) left() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inflight)
}

// publishNext sends the next frame.
func (p *publisher) publishNext(ctx context.Context) {
	id := fmt.Sprintf("p%d-%d", p.pub, p.n)
	p.n++
	now := time.Now()
	f := map[string]any{"type": "publish", "id": id, "channel": p.c.channel, "body": body(p.pub, p.n, now), "client_msg_id": id}
	p.mu.Lock()
	p.inflight[id] = pending{at: now, frame: f}
	p.mu.Unlock()
	p.st.published.Add(1)
	// The send outlives the publishing window: cancelling a write would
	// close the socket.
	if err := p.c.send(context.WithoutCancel(ctx), f); err != nil {
		// Not an error of the server: the frame is sent again after the
		// reconnect.
		p.st.sendFailures.Add(1)
	}
}

// take records an ack (or error) frame of one of the publisher's frames.
func (p *publisher) take(f frame) {
	var id string
	_ = json.Unmarshal(f.ID, &id)
	p.mu.Lock()
	pf, ok := p.inflight[id]
	if ok && f.Type == "ack" {
		delete(p.inflight, id)
	}
	p.mu.Unlock()
	if ok && f.Type == "ack" {
		p.st.acked.Add(1)
		p.st.lastAck.Store(time.Now().UnixNano())
		p.st.ackLatency.record(time.Since(pf.at))
		p.st.noteAck(p.c.channel, f.Seq)
	}
}

// resendAfterReconnect sends every frame in flight again if the client
// has reconnected since last looked at.
func (p *publisher) resendAfterReconnect(ctx context.Context) {
	now := p.c.connects.Load()
	if now == p.connects {
		return
	}
	p.connects = now
	p.mu.Lock()
	frames := make([]map[string]any, 0, len(p.inflight))
	for _, pf := range p.inflight {
		frames = append(frames, pf.frame)
	}
	p.mu.Unlock()
	sctx := context.WithoutCancel(ctx)
	for _, f := range frames {
		if err := p.c.send(sctx, f); err != nil {
			return
		}
	}
}

// caughtUp reports whether every client saw the last acked seq of its
// channel.
func caughtUp(clients []*client, st *stats) bool {
	st.mu.Lock()
	last := map[string]int64{}
	for ch, seqs := range st.ackedSeqs {
		for _, s := range seqs {
			last[ch] = max(last[ch], s)
		}
	}
	st.mu.Unlock()
	for _, c := range clients {
		c.mu.Lock()
		behind := c.log == nil || c.log.lastSeq < last[c.channel]
		c.mu.Unlock()
		if behind {
			return false
		}
	}
	return true
}

// idle holds the connections and reports memory and goroutines per
// connection.
func idle(ctx context.Context, cfg config, res *result, before []nodeMetrics) (*result, error) {
	select {
	case <-time.After(cfg.duration):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	after := scrapeAll(cfg.metricsURLs)
	n := float64(cfg.clients)
	for i := range after {
		res.Nodes = append(res.Nodes, nodeDelta{URL: cfg.metricsURLs[i], Before: before[i], After: after[i]})
	}
	var rss, heap, stack, gor, gcs float64
	id := &idleResult{Connections: cfg.clients, SetupFromWorld: cfg.worldFile != ""}
	for i := range after {
		rss += after[i].RSSBytes - before[i].RSSBytes
		heap += after[i].HeapBytes - before[i].HeapBytes
		stack += after[i].StackBytes - before[i].StackBytes
		gor += after[i].Goroutines - before[i].Goroutines
		gcs += after[i].GCCycles - before[i].GCCycles
		id.RSSBeforeMiB += before[i].RSSBytes / (1 << 20)
		id.RSSAfterMiB += after[i].RSSBytes / (1 << 20)
		id.HeapBeforeMiB += before[i].HeapBytes / (1 << 20)
		id.HeapAfterMiB += after[i].HeapBytes / (1 << 20)
	}
	id.RSSPerConnKiB, id.HeapPerConnKiB, id.StackPerConnKiB, id.GoroutinesPerConn = rss/n/1024, heap/n/1024, stack/n/1024, gor/n
	id.GCCycles = gcs
	res.Idle = id
	res.Verified = true
	return res, nil
}

func scrapeAll(urls []string) []nodeMetrics {
	out := make([]nodeMetrics, len(urls))
	for i, u := range urls {
		m, err := scrape(u)
		if err != nil {
			fmt.Fprintf(os.Stderr, "parley-bench: scrape %s: %v\n", u, err)
		}
		out[i] = m
	}
	return out
}
