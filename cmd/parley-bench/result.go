package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

type configView struct {
	URL                string   `json:"url"`
	WS                 []string `json:"ws"`
	Clients            int      `json:"clients"`
	Channels           int      `json:"channels"`
	Publishers         int      `json:"publishers"`
	Users              int      `json:"users"`
	Rate               float64  `json:"rate"`
	Duration           string   `json:"duration"`
	Churn              float64  `json:"churn"`
	Idle               bool     `json:"idle"`
	Accept             bool     `json:"accept"`
	ConnectConcurrency int      `json:"connect_concurrency"`
	CPUComms           []string `json:"cpu_comms,omitempty"`
	// CPUSources says what each of CPUComms counts.
	CPUSources []string `json:"cpu_sources,omitempty"`
}

func cfgView(c config) configView {
	v := configView{URL: c.url, WS: c.wsURLs, Clients: c.clients, Channels: c.channels, Publishers: c.publishers,
		Users: c.users, Rate: c.rate, Duration: c.duration.String(), Churn: c.churn, Idle: c.idle, Accept: c.accept,
		ConnectConcurrency: c.connectConc, CPUComms: c.cpuComms}
	for _, s := range c.cpuSources {
		v.CPUSources = append(v.CPUSources, s.String())
	}
	return v
}

type nodeDelta struct {
	URL    string      `json:"url"`
	Before nodeMetrics `json:"before"`
	After  nodeMetrics `json:"after"`
}

// idleResult is memory per idle connection: the growth of the nodes'
// figures from before the first connection to the end of the hold,
// divided by the connections. Heap is Go heap in use
// (go_memstats_heap_inuse_bytes), stacks goroutine stacks
// (go_memstats_stack_inuse_bytes), RSS the process's resident memory.
type idleResult struct {
	Connections       int     `json:"connections"`
	RSSPerConnKiB     float64 `json:"rss_per_conn_kib"`
	HeapPerConnKiB    float64 `json:"heap_per_conn_kib"`
	StackPerConnKiB   float64 `json:"stack_per_conn_kib"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
	// SetupFromWorld: the set-up came from a world file, not from this
	// run, so (as run.sh runs it, on a node started after the set-up)
	// the baseline is that of a process that did nothing but start.
	SetupFromWorld bool    `json:"setup_from_world"`
	RSSBeforeMiB   float64 `json:"rss_before_mib"`
	RSSAfterMiB    float64 `json:"rss_after_mib"`
	HeapBeforeMiB  float64 `json:"heap_before_mib"`
	HeapAfterMiB   float64 `json:"heap_after_mib"`
	// GCCycles completed during connecting and holding: with none, heap
	// in use still holds the garbage of the handshakes.
	GCCycles float64 `json:"gc_cycles"`
}

// acceptResult is the connection accept rate: every client connected
// from nothing, -connect-concurrency at a time.
type acceptResult struct {
	Connection   string  `json:"connection"` // what one connection is
	Connections  int     `json:"connections"`
	Concurrency  int     `json:"concurrency"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"per_second"`
	Latency      summary `json:"latency"`
	DialFailures int64   `json:"dial_failures"` // attempts refused or failed, retried
	// Server CPU (sum over the nodes) over the connecting, and per
	// connection.
	ServerCPUSeconds   float64 `json:"server_cpu_seconds"`
	ServerCPUPerConnUS float64 `json:"server_cpu_us_per_conn"`
	// The -cpu-comm processes' CPU (result's cpu_comm) per connection.
	CPUCommPerConnUS   float64 `json:"cpu_comm_us_per_conn"`
	BenchCPUSeconds    float64 `json:"bench_cpu_seconds"`
	MachineBusySeconds float64 `json:"machine_busy_seconds"`
}

// result is the report, printed and written as JSON.
type result struct {
	Config      configView `json:"config"`
	CommandLine []string   `json:"command_line,omitempty"`
	// World is the saved set-up used (-world), "" when set up by this run.
	World            string          `json:"world,omitempty"`
	SetupSeconds     float64         `json:"setup_seconds"`
	ConnectPerSecond float64         `json:"connect_per_second"`
	Connect          summary         `json:"connect_latency"`
	Idle             *idleResult     `json:"idle,omitempty"`
	Accept           *acceptResult   `json:"accept,omitempty"`
	Shutdown         *shutdownResult `json:"shutdown,omitempty"`

	Published int64 `json:"published"`
	Acked     int64 `json:"acked"`
	// PublishPerSecond is acked publishes per second over AckSeconds:
	// the publishing time, or until the last ack when that came later.
	PublishPerSecond float64 `json:"publish_per_second"`
	AckSeconds       float64 `json:"ack_seconds"`
	Expected         int64   `json:"expected_deliveries"`
	Delivered        int64   `json:"delivered"`
	DeliveredPerSec  float64 `json:"delivered_per_second"`
	AskedDeliveries  float64 `json:"asked_deliveries_per_second"`
	Latency          summary `json:"publish_to_receive"`
	// With one WebSocket URL per node: latency of receivers on the
	// publisher's node and on another, over the run and inside a test's
	// fault window.
	SameNode        *summary `json:"same_node,omitempty"`
	CrossNode       *summary `json:"cross_node,omitempty"`
	SameNodeWindow  *summary `json:"same_node_window,omitempty"`
	CrossNodeWindow *summary `json:"cross_node_window,omitempty"`
	AckLatency      summary  `json:"publish_to_ack"`
	Missing         int64    `json:"missing"`
	Duplicates      int64    `json:"duplicates"`
	OutOfOrder      int64    `json:"out_of_order"`
	Reloads         int64    `json:"reloads"`
	Errors          int64    `json:"errors"`
	ErrorSample     []string `json:"error_sample,omitempty"`
	Reconnects      int64    `json:"reconnects"`
	// Reconnect is the time from a connection's end to the next one's
	// subscription (after a node's restart or kill, a churn drop).
	Reconnect *summary `json:"reconnect,omitempty"`
	// MaxDeliveryGapMS is the longest time a client waited between two
	// new messages of its channel, over all clients.
	MaxDeliveryGapMS float64 `json:"max_delivery_gap_ms"`
	SendFailures     int64   `json:"send_failures"`
	DialFailures     int64   `json:"dial_failures"`
	// Server CPU is the parley nodes' (process_cpu_seconds_total, summed
	// over the nodes) while publishing and draining; per message divides
	// by the acked publishes, per delivery by the deliveries.
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	CPUPerDeliveryUS float64 `json:"server_cpu_us_per_delivery"`
	CPUPerMessageUS  float64 `json:"server_cpu_us_per_message"`
	// CPUComm is the same for the -cpu-comm processes (e.g. postgres,
	// redis-server, nginx), per name and in total.
	CPUComm           map[string]float64 `json:"cpu_comm,omitempty"`
	CPUCommSeconds    float64            `json:"cpu_comm_seconds"`
	CPUCommPerMsgUS   float64            `json:"cpu_comm_us_per_message"`
	CPUCommPerDelivUS float64            `json:"cpu_comm_us_per_delivery"`
	// BenchCPUSeconds is the load tool's own CPU over the same window
	// (publishing and draining), WallSeconds that window.
	BenchCPUSeconds float64 `json:"bench_cpu_seconds"`
	WallSeconds     float64 `json:"wall_seconds"`
	// MachineBusySeconds is the busy time of all cores over that window
	// (at most cores x wall): everything, including other processes.
	MachineBusySeconds float64     `json:"machine_busy_seconds"`
	Nodes              []nodeDelta `json:"nodes,omitempty"`
	Verified           bool        `json:"verified"`
}

// fill computes the figures and verifies every delivery.
func (r *result) fill(cfg config, clients []*client, st *stats, ackTime, elapsed time.Duration, before, after []nodeMetrics) {
	r.Published, r.Acked = st.published.Load(), st.acked.Load()
	r.PublishPerSecond = float64(r.Acked) / ackTime.Seconds()
	r.Delivered = st.delivered.Load()
	r.DeliveredPerSec = float64(r.Delivered) / elapsed.Seconds()
	r.Latency, r.AckLatency = st.latency.summary(), st.ackLatency.summary()
	for i, dst := range []**summary{&r.SameNode, &r.CrossNode, &r.SameNodeWindow, &r.CrossNodeWindow} {
		if s := st.classes[i].summary(); s.Count > 0 {
			*dst = &s
		}
	}
	r.Reloads, r.Errors, r.ErrorSample = st.reloads.Load(), st.errors.Load(), st.errSample
	if s := st.reconnectLatency.summary(); s.Count > 0 {
		r.Reconnect = &s
	}
	subsPerChannel := map[string]int{}
	for _, c := range clients {
		subsPerChannel[c.channel]++
	}
	for ch, seqs := range st.ackedSeqs {
		r.Expected += int64(len(seqs) * subsPerChannel[ch])
	}
	if cfg.publishers > 0 {
		// Deliveries asked per second: each publisher's channel fans out to
		// its subscribers.
		perPub := cfg.rate / float64(cfg.publishers)
		for p := range cfg.publishers {
			r.AskedDeliveries += perPub * float64(subsPerChannel[clients[p].channel])
		}
	}
	for _, c := range clients {
		r.Reconnects += c.connects.Load() - 1
		r.SendFailures = st.sendFailures.Load()
		r.DialFailures = st.dialFailures.Load()
		c.mu.Lock()
		seqs := st.ackedSeqs[c.channel]
		for _, s := range seqs {
			if s <= c.log.startSeq {
				continue
			}
			switch n := c.log.seen.get(s); {
			case n == 0:
				r.Missing++
			case n > 1:
				r.Duplicates += int64(n - 1)
			}
		}
		r.OutOfOrder += int64(c.log.outOfOrd)
		r.MaxDeliveryGapMS = max(r.MaxDeliveryGapMS, float64(c.log.maxGap.Microseconds())/1000)
		c.mu.Unlock()
	}
	for i := range after {
		r.Nodes = append(r.Nodes, nodeDelta{URL: cfg.metricsURLs[i], Before: before[i], After: after[i]})
		r.ServerCPUSeconds += after[i].CPUSeconds - before[i].CPUSeconds
	}
	if r.Delivered > 0 {
		r.CPUPerDeliveryUS = r.ServerCPUSeconds * 1e6 / float64(r.Delivered)
		r.CPUCommPerDelivUS = r.CPUCommSeconds * 1e6 / float64(r.Delivered)
	}
	if r.Acked > 0 {
		r.CPUPerMessageUS = r.ServerCPUSeconds * 1e6 / float64(r.Acked)
		r.CPUCommPerMsgUS = r.CPUCommSeconds * 1e6 / float64(r.Acked)
	}
	r.Verified = r.Missing == 0 && r.Duplicates == 0 && r.OutOfOrder == 0 && r.Acked == r.Published && r.Errors == 0
}

func (r *result) print(w io.Writer) {
	c := r.Config
	switch {
	case c.Accept:
		fmt.Fprintf(w, "parley-bench: accept, %d clients (%d at once), %d channels, %d users\n", c.Clients, c.ConnectConcurrency, c.Channels, c.Users)
	case c.Idle:
		fmt.Fprintf(w, "parley-bench: idle, %d clients held for %s, %d channels, %d users\n", c.Clients, c.Duration, c.Channels, c.Users)
	default:
		fmt.Fprintf(w, "parley-bench: %d clients, %d channels, %d publishers at %.0f msg/s for %s (churn %.1f/s), %d users\n",
			c.Clients, c.Channels, c.Publishers, c.Rate, c.Duration, c.Churn, c.Users)
	}
	if r.World != "" {
		fmt.Fprintf(w, "  set-up:     from %s (none in this server process)\n", r.World)
	} else {
		fmt.Fprintf(w, "  set-up:     %.1f s in this server process (users, topics, logins)\n", r.SetupSeconds)
	}
	if a := r.Accept; a != nil {
		fmt.Fprintf(w, "  accept:     %.0f conn/s (%d connections in %.2f s, %d at once; %d attempts retried); latency p50 %.1f ms, p99 %.1f ms\n",
			a.PerSecond, a.Connections, a.Seconds, a.Concurrency, a.DialFailures, a.Latency.P50, a.Latency.P99)
		fmt.Fprintf(w, "              one connection = %s\n", a.Connection)
		fmt.Fprintf(w, "  server CPU: %.2f s; %.0f µs per connection; bench CPU %.2f s; all cores busy %.2f s of %.1f s\n",
			a.ServerCPUSeconds, a.ServerCPUPerConnUS, a.BenchCPUSeconds, a.MachineBusySeconds, a.Seconds*float64(runtime.NumCPU()))
		r.printComm(w)
		r.printErrors(w)
		return
	}
	fmt.Fprintf(w, "  connect:    %.0f conn/s; latency p50 %.1f ms, p99 %.1f ms\n", r.ConnectPerSecond, r.Connect.P50, r.Connect.P99)
	if s := r.Shutdown; s != nil {
		s.print(w)
		r.printErrors(w)
		return
	}
	if i := r.Idle; i != nil {
		fmt.Fprintf(w, "  idle:       %d connections; RSS %.1f KiB/conn, heap %.1f KiB/conn, stacks %.1f KiB/conn, %.2f goroutines/conn\n",
			i.Connections, i.RSSPerConnKiB, i.HeapPerConnKiB, i.StackPerConnKiB, i.GoroutinesPerConn)
		fresh := "set-up from a world file, not in this run"
		if !i.SetupFromWorld {
			fresh = "WARNING: the set-up (argon2id logins) ran in this server process just before, connections reuse its freed heap; use -world"
		}
		fmt.Fprintf(w, "  memory:     RSS %.1f -> %.1f MiB, heap %.1f -> %.1f MiB; %.0f GC cycles since the baseline; %s\n",
			i.RSSBeforeMiB, i.RSSAfterMiB, i.HeapBeforeMiB, i.HeapAfterMiB, i.GCCycles, fresh)
		return
	}
	fmt.Fprintf(w, "  publish:    %d sent, %d acked (%.0f/s); ack p50 %.1f ms, p99 %.1f ms\n",
		r.Published, r.Acked, r.PublishPerSecond, r.AckLatency.P50, r.AckLatency.P99)
	if publishing, err := time.ParseDuration(c.Duration); err == nil && r.AckSeconds > publishing.Seconds()+1 {
		fmt.Fprintf(w, "              the server fell behind: acks came in over %.1f s of a %s publishing time\n", r.AckSeconds, c.Duration)
	}
	fmt.Fprintf(w, "  delivery:   %d of %d expected, %.0f/s (asked %.0f/s)\n", r.Delivered, r.Expected, r.DeliveredPerSec, r.AskedDeliveries)
	fmt.Fprintf(w, "  latency:    p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.1f ms\n", r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max)
	for _, c := range []struct {
		name string
		s    *summary
	}{{"same node", r.SameNode}, {"cross node", r.CrossNode}, {"same, window", r.SameNodeWindow}, {"cross, window", r.CrossNodeWindow}} {
		if c.s != nil {
			fmt.Fprintf(w, "  %-13s %d deliveries; p50 %.2f ms, p99 %.2f ms, max %.1f ms\n", c.name+":", c.s.Count, c.s.P50, c.s.P99, c.s.Max)
		}
	}
	if s := r.Reconnect; s != nil {
		fmt.Fprintf(w, "  reconnect:  %d; p50 %.1f ms, p99 %.1f ms, max %.1f ms (connection lost to resubscribed)\n", s.Count, s.P50, s.P99, s.Max)
	}
	fmt.Fprintf(w, "  gap:        longest wait between two new messages of a channel %.1f ms\n", r.MaxDeliveryGapMS)
	fmt.Fprintf(w, "  server CPU: %.2f s; %.1f µs per delivery, %.1f µs per message\n", r.ServerCPUSeconds, r.CPUPerDeliveryUS, r.CPUPerMessageUS)
	fmt.Fprintf(w, "  bench CPU:  %.2f s over %.1f s (the load tool shares the cores); all cores busy %.2f s of %.1f s\n",
		r.BenchCPUSeconds, r.WallSeconds, r.MachineBusySeconds, r.WallSeconds*float64(runtime.NumCPU()))
	r.printComm(w)
	fmt.Fprintf(w, "  verify:     missing %d, duplicates %d, out of order %d, reloads %d, errors %d, reconnects %d (%d dials refused), resent %d\n",
		r.Missing, r.Duplicates, r.OutOfOrder, r.Reloads, r.Errors, r.Reconnects, r.DialFailures, r.SendFailures)
	r.printErrors(w)
	verdict := "OK: every acked message reached every subscriber once, in order"
	if !r.Verified {
		verdict = "FAILED verification"
	}
	fmt.Fprintf(w, "  %s\n", verdict)
}

func (r *result) printErrors(w io.Writer) {
	for _, e := range slices.Compact(r.ErrorSample) {
		fmt.Fprintf(w, "    error: %s\n", e)
	}
}

// printComm prints the CPU of the -cpu-comm processes.
func (r *result) printComm(w io.Writer) {
	if len(r.Config.CPUComms) == 0 {
		return
	}
	var parts []string
	for _, c := range r.Config.CPUComms {
		parts = append(parts, fmt.Sprintf("%s %.2f s", c, r.CPUComm[c]))
	}
	per := fmt.Sprintf("%.1f µs per message, %.1f µs per delivery", r.CPUCommPerMsgUS, r.CPUCommPerDelivUS)
	if r.Accept != nil {
		per = fmt.Sprintf("%.0f µs per connection", r.Accept.CPUCommPerConnUS)
	}
	fmt.Fprintf(w, "  other CPU:  %.2f s (%s); %s\n", r.CPUCommSeconds, strings.Join(parts, ", "), per)
}
