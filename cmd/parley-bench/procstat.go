package main

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ on Linux.
const clockTicks = 100

// cpuOfComm sums, per command name in comms, the CPU time (user+system)
// of every process of that name, from /proc. Every process of the name
// counts, also one serving someone else (the machine's PostgreSQL serves
// other databases too); a process that exits between two readings takes
// its time with it.
func cpuOfComm(comms []string) map[string]time.Duration {
	out := map[string]time.Duration{}
	if len(comms) == 0 {
		return out
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		comm := s[open+1 : close]
		if !slices.Contains(comms, comm) {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[comm] += time.Duration(ut+st) * time.Second / clockTicks
	}
	return out
}

// selfCPU is the load tool's own CPU time (user+system): it shares the
// cores with the server, so its share is reported next to the server's.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the CPU time all cores spent busy (not idle or waiting
// for I/O) since boot, from /proc/stat: with the load tool and the server
// sharing the machine with others, it tells whether the cores were
// saturated during a run.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// nodeMetrics are the process figures a node exports at /metrics.
type nodeMetrics struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSBytes   float64 `json:"rss_bytes"`
	Goroutines float64 `json:"goroutines"`
	HeapBytes  float64 `json:"heap_inuse_bytes"`
	StackBytes float64 `json:"stack_inuse_bytes"`
	// GCCycles counts completed garbage collections: heap in use
	// includes garbage not yet collected, so a memory figure read with
	// no cycle since the connections were made overstates the heap.
	GCCycles float64 `json:"gc_cycles"`
}

// scrape reads the Prometheus text format for the few series we need.
func scrape(url string) (nodeMetrics, error) {
	var m nodeMetrics
	resp, err := http.Get(url)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			m.CPUSeconds = v
		case "process_resident_memory_bytes":
			m.RSSBytes = v
		case "go_goroutines":
			m.Goroutines = v
		case "go_memstats_heap_inuse_bytes":
			m.HeapBytes = v
		case "go_memstats_stack_inuse_bytes":
			m.StackBytes = v
		case "go_gc_duration_seconds_count":
			m.GCCycles = v
		}
	}
	return m, sc.Err()
}
