//go:build parley_failpoints

package hub

import "os"

// failpoint ends the process at the named point when PARLEY_FAILPOINT
// names it, as a node dying there would: process tests build the binary
// with -tags parley_failpoints to kill a node at an exact moment (see
// cmd/parley's commit-without-ack test). Production builds have the no-op
// in failpoint_off.go.
func failpoint(name string) {
	if os.Getenv("PARLEY_FAILPOINT") == name {
		os.Exit(failpointExit)
	}
}

// failpointExit is the exit status of a process ended by a failpoint.
const failpointExit = 86
