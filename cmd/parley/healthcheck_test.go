package main

import (
	"bytes"
	"net"
	"testing"
)

// parley healthcheck (the container HEALTHCHECK) passes against a running
// server and fails against an address nobody serves.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	m := NewMain(testConfig(t), testLogger(t), newOutput())
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	env := func(string) string { return "" }
	var out, errs bytes.Buffer
	if code := run(t.Context(), []string{"healthcheck", "--listen", m.listener.Addr().String()}, &out, &errs, env); code != exitOK {
		t.Fatalf("healthcheck of a running server: exit %d, %s", code, errs.String())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	errs.Reset()
	if code := run(t.Context(), []string{"healthcheck", "--listen", dead}, &out, &errs, env); code == exitOK {
		t.Fatal("healthcheck passed with no server")
	}
}
