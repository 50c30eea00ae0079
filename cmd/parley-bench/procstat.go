package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ on Linux.
const clockTicks = 100

// cpuSource is a set of other processes whose CPU time a run reports
// under name: every process of a command name (comm; also those serving
// someone else, such as another PostgreSQL on the machine), a process and
// its descendants (pid), or the PostgreSQL server serving database pgDB
// (pgDB: its postmaster and children, less the client backends of other
// databases). A process that exits between two readings takes its time
// with it.
type cpuSource struct {
	name string
	comm string
	pid  int
	pgDB string
}

func (s cpuSource) String() string {
	switch {
	case s.pid != 0:
		return fmt.Sprintf("%s (pid %d and descendants)", s.name, s.pid)
	case s.pgDB != "":
		return fmt.Sprintf("%s (the server of database %s, less other databases' backends)", s.name, s.pgDB)
	}
	return fmt.Sprintf("%s (every process named %s)", s.name, s.comm)
}

// parseCPUSources reads -cpu-comm (names), -cpu-pid (name=pid,...) and
// -cpu-pg-db.
func parseCPUSources(comms, pids, pgDB string) ([]cpuSource, error) {
	var out []cpuSource
	seen := map[string]bool{}
	add := func(s cpuSource) error {
		if s.name == "" || seen[s.name] {
			return fmt.Errorf("CPU source %q is empty or given twice (-cpu-comm, -cpu-pid, -cpu-pg-db)", s.name)
		}
		seen[s.name] = true
		out = append(out, s)
		return nil
	}
	if comms != "" {
		for _, c := range strings.Split(comms, ",") {
			if err := add(cpuSource{name: c, comm: c}); err != nil {
				return nil, err
			}
		}
	}
	if pids != "" {
		for _, np := range strings.Split(pids, ",") {
			name, p, ok := strings.Cut(np, "=")
			pid, err := strconv.Atoi(p)
			if !ok || err != nil || pid <= 0 {
				return nil, fmt.Errorf("-cpu-pid: %q is not name=pid", np)
			}
			if err := add(cpuSource{name: name, pid: pid}); err != nil {
				return nil, err
			}
		}
	}
	if pgDB != "" {
		if err := add(cpuSource{name: "postgres", pgDB: pgDB}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type procInfo struct {
	pid, ppid int
	comm      string
	cpu       time.Duration
}

// readProcs reads every process's command name, parent and CPU time
// (user+system) from /proc.
func readProcs() map[int]procInfo {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	out := make(map[int]procInfo, len(stats))
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
		f := strings.Fields(s[close+1:])
		if len(f) < 13 {
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(s[:open]))
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = procInfo{pid: pid, ppid: ppid, comm: s[open+1 : close], cpu: time.Duration(ut+st) * time.Second / clockTicks}
	}
	return out
}

// pgBackendDB returns the database of a PostgreSQL client backend from its
// process title ("postgres: [cluster: ]user db host(port) state"), ""
// for other processes of the server (checkpointer, walwriter, ...).
func pgBackendDB(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return pgTitleDB(strings.ReplaceAll(string(b), "\x00", " "))
}

// pgTitleDB is pgBackendDB of a process title.
func pgTitleDB(title string) string {
	title, ok := strings.CutPrefix(title, "postgres: ")
	if !ok {
		return ""
	}
	f := strings.Fields(title)
	if len(f) > 0 && strings.HasSuffix(f[0], ":") {
		f = f[1:] // cluster_name
	}
	if len(f) >= 3 && (strings.Contains(f[2], "(") || f[2] == "[local]") {
		return f[1]
	}
	return ""
}

// cpuOf reads the CPU time of each source.
func cpuOf(sources []cpuSource) map[string]time.Duration {
	out := map[string]time.Duration{}
	if len(sources) == 0 {
		return out
	}
	procs := readProcs()
	children := map[int][]int{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	for _, src := range sources {
		var sum time.Duration
		switch {
		case src.comm != "":
			for _, p := range procs {
				if p.comm == src.comm {
					sum += p.cpu
				}
			}
		case src.pid != 0:
			stack := []int{src.pid}
			for len(stack) > 0 {
				pid := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				sum += procs[pid].cpu
				stack = append(stack, children[pid]...)
			}
		case src.pgDB != "":
			// The postmaster is the parent of a backend of the database.
			postmaster := 0
			dbs := map[int]string{}
			for _, p := range procs {
				if p.comm == "postgres" {
					dbs[p.pid] = pgBackendDB(p.pid)
					if dbs[p.pid] == src.pgDB {
						postmaster = p.ppid
					}
				}
			}
			if postmaster == 0 {
				continue // no backend of it (yet)
			}
			sum += procs[postmaster].cpu
			for _, c := range children[postmaster] {
				if db := dbs[c]; db == "" || db == src.pgDB {
					sum += procs[c].cpu
				}
			}
		}
		out[src.name] = sum
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
