package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

type configView struct {
	URL        string   `json:"url"`
	WS         []string `json:"ws"`
	Clients    int      `json:"clients"`
	Channels   int      `json:"channels"`
	Publishers int      `json:"publishers"`
	Users      int      `json:"users"`
	Rate       float64  `json:"rate"`
	Duration   string   `json:"duration"`
	Churn      float64  `json:"churn"`
	Idle       bool     `json:"idle"`
}

func cfgView(c config) configView {
	return configView{URL: c.url, WS: c.wsURLs, Clients: c.clients, Channels: c.channels, Publishers: c.publishers,
		Users: c.users, Rate: c.rate, Duration: c.duration.String(), Churn: c.churn, Idle: c.idle}
}

type nodeDelta struct {
	URL    string      `json:"url"`
	Before nodeMetrics `json:"before"`
	After  nodeMetrics `json:"after"`
}

type idleResult struct {
	Connections       int     `json:"connections"`
	RSSPerConnKiB     float64 `json:"rss_per_conn_kib"`
	HeapPerConnKiB    float64 `json:"heap_per_conn_kib"`
	StackPerConnKiB   float64 `json:"stack_per_conn_kib"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
}

// result is the report, printed and written as JSON.
type result struct {
	Config           configView  `json:"config"`
	SetupSeconds     float64     `json:"setup_seconds"`
	ConnectPerSecond float64     `json:"connect_per_second"`
	Connect          summary     `json:"connect_latency"`
	Idle             *idleResult `json:"idle,omitempty"`

	Published        int64    `json:"published"`
	Acked            int64    `json:"acked"`
	PublishPerSecond float64  `json:"publish_per_second"`
	Expected         int64    `json:"expected_deliveries"`
	Delivered        int64    `json:"delivered"`
	DeliveredPerSec  float64  `json:"delivered_per_second"`
	AskedDeliveries  float64  `json:"asked_deliveries_per_second"`
	Latency          summary  `json:"publish_to_receive"`
	AckLatency       summary  `json:"publish_to_ack"`
	Missing          int64    `json:"missing"`
	Duplicates       int64    `json:"duplicates"`
	OutOfOrder       int64    `json:"out_of_order"`
	Reloads          int64    `json:"reloads"`
	Errors           int64    `json:"errors"`
	ErrorSample      []string `json:"error_sample,omitempty"`
	Reconnects       int64    `json:"reconnects"`
	SendFailures     int64    `json:"send_failures"`
	DialFailures     int64    `json:"dial_failures"`
	ServerCPUSeconds float64  `json:"server_cpu_seconds"`
	CPUPerDeliveryUS float64  `json:"server_cpu_us_per_delivery"`
	CPUPerMessageUS  float64  `json:"server_cpu_us_per_message"`
	CPUCommSeconds   float64  `json:"cpu_comm_seconds"`
	CPUCommPerMsgUS  float64  `json:"cpu_comm_us_per_message"`
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
func (r *result) fill(cfg config, clients []*client, st *stats, publishTime, elapsed time.Duration, before, after []nodeMetrics) {
	r.Published, r.Acked = st.published.Load(), st.acked.Load()
	r.PublishPerSecond = float64(r.Acked) / publishTime.Seconds()
	r.Delivered = st.delivered.Load()
	r.DeliveredPerSec = float64(r.Delivered) / elapsed.Seconds()
	r.Latency, r.AckLatency = st.latency.summary(), st.ackLatency.summary()
	r.Reloads, r.Errors, r.ErrorSample = st.reloads.Load(), st.errors.Load(), st.errSample
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
		c.mu.Unlock()
	}
	for i := range after {
		r.Nodes = append(r.Nodes, nodeDelta{URL: cfg.metricsURLs[i], Before: before[i], After: after[i]})
		r.ServerCPUSeconds += after[i].CPUSeconds - before[i].CPUSeconds
	}
	if r.Delivered > 0 {
		r.CPUPerDeliveryUS = r.ServerCPUSeconds * 1e6 / float64(r.Delivered)
	}
	if r.Acked > 0 {
		r.CPUPerMessageUS = r.ServerCPUSeconds * 1e6 / float64(r.Acked)
		r.CPUCommPerMsgUS = r.CPUCommSeconds * 1e6 / float64(r.Acked)
	}
	r.Verified = r.Missing == 0 && r.Duplicates == 0 && r.OutOfOrder == 0 && r.Acked == r.Published && r.Errors == 0
}

func (r *result) print(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "parley-bench: %d clients, %d channels, %d publishers at %.0f msg/s for %s (churn %.1f/s), %d users\n",
		c.Clients, c.Channels, c.Publishers, c.Rate, c.Duration, c.Churn, c.Users)
	fmt.Fprintf(w, "  connect:    %.0f conn/s; latency p50 %.1f ms, p99 %.1f ms\n", r.ConnectPerSecond, r.Connect.P50, r.Connect.P99)
	if r.Idle != nil {
		fmt.Fprintf(w, "  idle:       %d connections; RSS %.1f KiB/conn, heap %.1f KiB/conn, stacks %.1f KiB/conn, %.2f goroutines/conn\n",
			r.Idle.Connections, r.Idle.RSSPerConnKiB, r.Idle.HeapPerConnKiB, r.Idle.StackPerConnKiB, r.Idle.GoroutinesPerConn)
		return
	}
	fmt.Fprintf(w, "  publish:    %d sent, %d acked (%.0f/s); ack p50 %.1f ms, p99 %.1f ms\n",
		r.Published, r.Acked, r.PublishPerSecond, r.AckLatency.P50, r.AckLatency.P99)
	fmt.Fprintf(w, "  delivery:   %d of %d expected, %.0f/s (asked %.0f/s)\n", r.Delivered, r.Expected, r.DeliveredPerSec, r.AskedDeliveries)
	fmt.Fprintf(w, "  latency:    p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.1f ms\n", r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "  server CPU: %.2f s; %.1f µs per delivery, %.1f µs per message\n", r.ServerCPUSeconds, r.CPUPerDeliveryUS, r.CPUPerMessageUS)
	fmt.Fprintf(w, "  bench CPU:  %.2f s over %.1f s (the load tool shares the cores); all cores busy %.2f s of %.1f s\n",
		r.BenchCPUSeconds, r.WallSeconds, r.MachineBusySeconds, r.WallSeconds*float64(runtime.NumCPU()))
	if r.CPUCommSeconds > 0 {
		fmt.Fprintf(w, "  other CPU:  %.2f s (%s); %.1f µs per message\n", r.CPUCommSeconds, "cpu-comm", r.CPUCommPerMsgUS)
	}
	fmt.Fprintf(w, "  verify:     missing %d, duplicates %d, out of order %d, reloads %d, errors %d, reconnects %d (%d dials refused), resent %d\n",
		r.Missing, r.Duplicates, r.OutOfOrder, r.Reloads, r.Errors, r.Reconnects, r.DialFailures, r.SendFailures)
	for _, e := range slices.Compact(r.ErrorSample) {
		fmt.Fprintf(w, "    error: %s\n", e)
	}
	verdict := "OK: every acked message reached every subscriber once, in order"
	if !r.Verified {
		verdict = "FAILED verification"
	}
	fmt.Fprintf(w, "  %s\n", verdict)
}
