package hub

import (
	"bufio"
	"net"
	"net/http"
	"time"
)

// Memory of an idle connection. Most connections are idle most of the
// time, so what one holds while it waits is what a node's memory is made
// of (docs/performance.md, scenario 1). Two things dominate it: the
// buffers coder/websocket keeps from the hijacked HTTP connection, and the
// stack of the reader goroutine (the writer runs only while it has
// something to write).

// Buffer sizes of a connection's socket. net/http hands over 4 KiB for
// each; client frames are small (a typical request fits in 256 bytes,
// and bigger ones are read straight into the message). coder/websocket
// writes only control frames through its buffered writer, at most 127
// bytes each (a 2-byte header and at most 125 bytes of payload; the
// writer frames the messages itself, see socket), so 128 bytes hold any
// of them whole and it reaches the socket in one Write.
const (
	socketReadBuffer  = 256
	socketWriteBuffer = 128
)

// leanHijacker hands coder/websocket smaller buffers than net/http's on
// Hijack; bytes the client already sent are kept. coder/websocket gets the
// socket wrapped in a *socket, which the writer shares (see socket).
type leanHijacker struct {
	http.ResponseWriter
	writeTimeout time.Duration
	conn         *socket
}

func (w *leanHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &socket{Conn: nc, timeout: w.writeTimeout}
	// net/http flushed the response before handing the writer over.
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	// coder/websocket takes the bytes the client already sent (a frame may
	// follow the upgrade at once, since net/http sends the 101 before the
	// hijack) with Peek(Buffered()) and then resets the reader onto the
	// socket, so those bytes must sit in the returned reader's buffer:
	// keep net/http's reader when it holds any, which is rare.
	br := brw.Reader
	if br.Buffered() == 0 {
		br = bufio.NewReaderSize(nc, socketReadBuffer)
	}
	return w.conn, bufio.NewReadWriter(br, bufio.NewWriterSize(w.conn, socketWriteBuffer)), nil
}

// onFreshStack runs fn on a short-lived goroutine and waits for it. Calls
// into the database or Redis grow a goroutine's stack to tens of KiB, and
// the runtime gives that back only slowly (half per GC cycle, when mostly
// unused); a connection's long-lived reader makes such calls for its
// requests, so it makes them on a stack that ends with the request. A
// panic in fn continues in the caller.
func onFreshStack(fn func()) {
	var p any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { p = recover() }()
		fn()
	}()
	<-done
	if p != nil {
		panic(p)
	}
}
