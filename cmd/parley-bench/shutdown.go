package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// shutdownResult is what -shutdown-pid measures: the node is sent SIGTERM
// with every client connected; how long until every client saw its
// socket end, with which close codes, and until the process was gone.
type shutdownResult struct {
	Connections int `json:"connections"`
	// ClosedSeconds is from SIGTERM to the last client's socket ending.
	ClosedSeconds float64 `json:"closed_seconds"`
	// ExitSeconds is from SIGTERM until the process no longer runs (a
	// zombie counts as gone).
	ExitSeconds float64        `json:"exit_seconds"`
	CloseCodes  map[string]int `json:"close_codes"`
	// GoingAway is how many clients got close code 1001.
	GoingAway int `json:"going_away"`
}

// shutdown sends SIGTERM to cfg.shutdownPID once every client is
// connected and measures the stop. Verified: every client got 1001.
func shutdown(ctx context.Context, cfg config, res *result, clients []*client) (*result, error) {
	if err := syscall.Kill(cfg.shutdownPID, syscall.SIGTERM); err != nil {
		return nil, fmt.Errorf("SIGTERM %d: %w", cfg.shutdownPID, err)
	}
	t0 := time.Now()
	deadline := time.NewTimer(cfg.drain)
	defer deadline.Stop()
	exited := make(chan time.Time, 1)
	go func() {
		for !processGone(cfg.shutdownPID) && time.Since(t0) < cfg.drain {
			time.Sleep(5 * time.Millisecond)
		}
		exited <- time.Now()
	}()
	var last time.Time
	for _, c := range clients {
		_, done := c.current()
		select {
		case <-done:
		case <-deadline.C:
			return nil, fmt.Errorf("not every socket ended within -drain %s after SIGTERM", cfg.drain)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	last = time.Now()
	gone := <-exited
	if !processGone(cfg.shutdownPID) {
		return nil, fmt.Errorf("process %d still runs %s after SIGTERM", cfg.shutdownPID, cfg.drain)
	}
	s := &shutdownResult{Connections: len(clients), ClosedSeconds: last.Sub(t0).Seconds(),
		ExitSeconds: gone.Sub(t0).Seconds(), CloseCodes: map[string]int{}}
	for _, c := range clients {
		c.mu.Lock()
		err := c.readErr
		c.mu.Unlock()
		code := websocket.CloseStatus(err)
		key := strconv.Itoa(int(code))
		if code == -1 {
			key = "none"
		}
		s.CloseCodes[key]++
		if code == websocket.StatusGoingAway {
			s.GoingAway++
		}
	}
	res.Shutdown = s
	res.Verified = s.GoingAway == len(clients)
	return res, nil
}

// processGone reports whether pid no longer runs: absent, or a zombie
// waiting for its parent.
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	// The state follows the command name in parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

func (s *shutdownResult) print(w io.Writer) {
	fmt.Fprintf(w, "  shutdown:   SIGTERM with %d connections: every socket ended after %.2f s, process gone after %.2f s; close codes %v (%d of %d going away)\n",
		s.Connections, s.ClosedSeconds, s.ExitSeconds, s.CloseCodes, s.GoingAway, s.Connections)
}
