// Package leakcheck is goleak for test binaries, with patience: goleak
// gives goroutines that are still winding down when the tests end (a
// keep-alive connection's reader that has not yet seen its server close,
// a socket's goroutines after CloseNow) well under a second, which a
// loaded CI machine running every package at once can exceed. Here they
// get Patience; a real leak fails all the same, only later.
package leakcheck

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Patience is how long goroutines may take to end after the tests.
const Patience = 30 * time.Second

// Find is goleak.Find retried until it finds nothing or Patience passes.
func Find(options ...goleak.Option) error {
	deadline := time.Now().Add(Patience)
	for {
		err := goleak.Find(options...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Run runs the tests and, when they passed, checks for leaked
// goroutines; it returns the exit code (as goleak.VerifyTestMain, which
// exits).
func Run(m *testing.M, options ...goleak.Option) int {
	code := m.Run()
	if code == 0 {
		if err := Find(options...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			return 1
		}
	}
	return code
}

// VerifyTestMain runs the tests, checks for leaks and exits.
func VerifyTestMain(m *testing.M, options ...goleak.Option) {
	os.Exit(Run(m, options...))
}
