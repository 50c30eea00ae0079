// Package freeport picks TCP ports for test servers that must be given
// their address before they start (nginx, redis-server, a parley process
// with a fixed public URL, a server restarted on the same port).
//
// The usual trick, binding port 0 and closing the listener, leaves a
// window until the server binds the port, and any bind(0) or outgoing
// connection on the machine may take the port meanwhile: the server then
// fails to start or, worse, the test talks to someone else's server (seen
// with nginx in the multi-node tests). Ports from here lie below the
// kernel's ephemeral range, which bind(0) and connect() never hand out,
// so only another caller of this package can collide, and it picks at
// random among thousands.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// TB is the part of testing.TB this package needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

const lowest = 10000 // above the well-known ports services use

var handed struct {
	sync.Mutex
	ports map[int]bool
}

// Port returns a port of 127.0.0.1 that was free a moment ago and that
// nothing but a server told to use it will take.
func Port(t TB) int {
	t.Helper()
	high := ephemeralLow()
	if high-lowest < 1000 {
		// No room below the ephemeral range: fall back to bind(0).
		return probe(t, 0)
	}
	handed.Lock()
	defer handed.Unlock()
	if handed.ports == nil {
		handed.ports = map[int]bool{}
	}
	for range 1000 {
		p := lowest + rand.IntN(high-lowest)
		if handed.ports[p] {
			continue
		}
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			handed.ports[p] = true
			return p
		}
	}
	t.Fatalf("freeport: no free port in %d..%d", lowest, high-1)
	return 0
}

// Addr is Port as a host:port address.
func Addr(t TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", Port(t))
}

// ephemeralLow is the first port of the kernel's ephemeral range
// (Linux); 32768 when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}

func probe(t TB, port int) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("freeport: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
