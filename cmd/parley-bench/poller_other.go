//go:build !linux

package main

import (
	"context"
	"errors"
	"time"
)

// The epoll reader is Linux-only; elsewhere every connection has a reader
// goroutine.

type poller struct{}

func newPoller(int, time.Duration) (*poller, error) {
	return nil, errors.New("the epoll reader needs Linux")
}
func (*poller) add(*rawConn) {}
func (*poller) stop()        {}

type rawConn struct {
	c      *client
	done   chan struct{}
	subbed chan int64
}

func dialRaw(context.Context, string, string) (*rawConn, error) {
	return nil, errors.New("the epoll reader needs Linux")
}
func (*rawConn) write(context.Context, []byte) error { return errors.New("unsupported") }
func (*rawConn) close()                              {}
func (*rawConn) closeNow()                           {}
