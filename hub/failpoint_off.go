//go:build !parley_failpoints

package hub

// failpoint is a no-op outside test builds (failpoint.go).
func failpoint(string) {}
