package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	endian "encoding/binary" // the package has a func binary (cluster_test.go)
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/coder/websocket"
)

// The load tool shares the machine's cores with the server it measures,
// so its reading must be cheap. A goroutine per connection costs, per
// delivered frame, a wake-up of the runtime's poller and of the goroutine,
// a read, and a second read that finds nothing before parking again. The
// poller reads instead: a few goroutines wait on epoll (level-triggered)
// for all sockets and read each ready one once into a shared buffer,
// parsing the WebSocket frames themselves (server frames are unmasked);
// one read system call per ready socket and one epoll_wait for many.
// When a wait returns only a few sockets, the loop pauses for gather
// before the next, so that the next wait returns many: a fan-out reaches
// the sockets one by one, and an epoll_wait per socket or two cost a
// third of the reading. The pause adds at most gather to the measured
// latency.
//
// The sockets are taken out of the Go runtime's poller after the HTTP
// upgrade (the file descriptor is duplicated and the net.Conn closed), so
// the runtime does not watch them too.

// poller reads the connections of a run on n goroutines, each with its
// own epoll instance.
type poller struct {
	loops []*pollLoop
	next  atomic.Uint32
	wg    sync.WaitGroup
}

func newPoller(n int, gather time.Duration) (*poller, error) {
	p := &poller{}
	for range n {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("epoll: %w", err)
		}
		l := &pollLoop{epfd: epfd, gather: gather, conns: map[int32]*rawConn{}}
		p.loops = append(p.loops, l)
		p.wg.Go(l.run)
	}
	return p, nil
}

// add starts reading rc.
func (p *poller) add(rc *rawConn) {
	l := p.loops[int(p.next.Add(1))%len(p.loops)]
	l.add(rc)
}

// stop ends the loops once the connections are closed; a connection still
// open is closed.
func (p *poller) stop() {
	for _, l := range p.loops {
		l.stopping.Store(true)
	}
	p.wg.Wait()
}

type pollLoop struct {
	epfd     int
	gather   time.Duration
	stopping atomic.Bool

	mu     sync.Mutex
	conns  map[int32]*rawConn // by registration id, the epoll event's data
	nextID int32
}

func (l *pollLoop) add(rc *rawConn) {
	l.mu.Lock()
	l.nextID++
	id := l.nextID
	l.conns[id] = rc
	l.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: id}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, rc.fd, &ev); err != nil {
		l.mu.Lock()
		delete(l.conns, id)
		l.mu.Unlock()
		rc.end(fmt.Errorf("epoll add: %w", err))
	}
}

// pollWaitMS bounds each wait so the loop notices stop.
const pollWaitMS = 100

func (l *pollLoop) run() {
	defer syscall.Close(l.epfd)
	events := make([]syscall.EpollEvent, 256)
	ready := make([]*rawConn, 0, len(events))
	ids := make([]int32, 0, len(events))
	buf := make([]byte, 256<<10)
	var lat latencies
	var st *stats
	for {
		if l.stopping.Load() {
			// What is still open (the run ends) is dropped.
			l.mu.Lock()
			left := make([]*rawConn, 0, len(l.conns))
			for id, rc := range l.conns {
				left = append(left, rc)
				delete(l.conns, id)
			}
			l.mu.Unlock()
			for _, rc := range left {
				_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, rc.fd, nil)
				rc.end(net.ErrClosed)
			}
			return
		}
		n, err := syscall.EpollWait(l.epfd, events, pollWaitMS)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			panic(fmt.Sprintf("epoll_wait: %v", err))
		}
		ready, ids = ready[:0], ids[:0]
		l.mu.Lock()
		for _, ev := range events[:n] {
			// A connection removed earlier in this batch has no entry.
			if rc := l.conns[ev.Fd]; rc != nil {
				ready = append(ready, rc)
				ids = append(ids, ev.Fd)
			}
		}
		l.mu.Unlock()
		for i, rc := range ready {
			if err := rc.readReady(buf, &lat); err != nil {
				l.mu.Lock()
				delete(l.conns, ids[i])
				l.mu.Unlock()
				_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, rc.fd, nil)
				rc.end(err)
			}
			st = rc.c.stats
		}
		if st != nil {
			lat.flush(st)
		}
		if n < len(events)/8 && l.gather > 0 {
			time.Sleep(l.gather)
		}
	}
}

// rawConn is a client WebSocket connection on a bare socket, read by a
// pollLoop. Only the loop reads; writes (subscribe, publish, pong, close)
// come from any goroutine under wmu. The descriptor is closed under wmu
// after the loop let go of it, so a write never reaches a reused one.
type rawConn struct {
	fd     int
	c      *client
	done   chan struct{}
	subbed chan int64

	wmu       sync.Mutex
	closed    bool // fd is closed
	closeSent bool // a close frame went out

	// Loop-only state.
	pending  []byte // the start of an incomplete frame
	fragment []byte // the frames so far of an unfinished message
	closeErr error  // the server's close frame, the reason the reader ends
	started  bool
	ended    bool
}

// handshakeTimeout bounds the upgrade when ctx has no deadline.
const handshakeTimeout = 30 * time.Second

// dialRaw connects and upgrades to WebSocket like websocket.Dial, then
// takes the socket out of the Go runtime's poller.
func dialRaw(ctx context.Context, wsURL, cookie string) (*rawConn, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("the epoll reader speaks ws://, not %s", u.Scheme)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(handshakeTimeout)
	}
	_ = nc.SetDeadline(deadline)
	var keyBytes [16]byte
	_, _ = rand.Read(keyBytes[:])
	key := base64.StdEncoding.EncodeToString(keyBytes[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 4096)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("expected handshake response status code 101 but got %d", resp.StatusCode)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, errors.New("bad Sec-WebSocket-Accept")
	}
	// Frames the server sent right behind its answer.
	early, _ := br.Peek(br.Buffered())
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, errors.New("not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		// The duplicate shares the socket (and its O_NONBLOCK); closing
		// nc then removes the original from the runtime's poller.
		fd, dupErr = syscall.Dup(int(s))
	}); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, dupErr
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &rawConn{fd: fd, pending: append([]byte(nil), early...)}, nil
}

// readReady reads what the socket holds (one read, or more while they
// fill the buffer) and handles the complete frames. A non-nil error ends
// the connection.
func (rc *rawConn) readReady(buf []byte, lat *latencies) error {
	if !rc.started {
		// Frames that came with the handshake.
		rc.started = true
		if err := rc.consume(nil, time.Now(), lat); err != nil {
			return err
		}
	}
	for {
		n, err := readNonblock(rc.fd, buf)
		switch {
		case n > 0:
			if err := rc.consume(buf[:n], time.Now(), lat); err != nil {
				return err
			}
			if n < len(buf) {
				return nil
			}
		case err == syscall.EAGAIN:
			return nil
		case err == syscall.EINTR:
		case err != nil:
			return err
		default:
			if rc.closeErr != nil {
				return rc.closeErr
			}
			return io.EOF
		}
	}
}

// readNonblock is read(2) on a non-blocking socket, which never blocks:
// without the runtime's bookkeeping for system calls that may (a tenth of
// the read's cost here).
func readNonblock(fd int, p []byte) (int, error) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// consume parses data after what is pending and handles every complete
// frame; an incomplete one is kept.
func (rc *rawConn) consume(data []byte, now time.Time, lat *latencies) error {
	inPending := len(rc.pending) > 0
	if inPending {
		rc.pending = append(rc.pending, data...)
		data = rc.pending
	}
	for len(data) >= 2 {
		b0, b1 := data[0], data[1]
		if b1&0x80 != 0 {
			return errors.New("masked frame from the server")
		}
		size, hl := uint64(b1&0x7f), 2
		switch size {
		case 126:
			hl = 4
		case 127:
			hl = 10
		}
		if len(data) < hl {
			break // the extended length is not here yet
		}
		switch hl {
		case 4:
			size = uint64(endian.BigEndian.Uint16(data[2:]))
		case 10:
			size = endian.BigEndian.Uint64(data[2:])
		}
		if size > 16<<20 {
			return errors.New("frame too large")
		}
		if uint64(len(data)-hl) < size {
			break
		}
		payload := data[hl : hl+int(size)]
		data = data[hl+int(size):]
		fin, op := b0&0x80 != 0, b0&0x0f
		switch op {
		case 0x0, 0x1, 0x2: // continuation, text, binary
			if !fin || len(rc.fragment) > 0 {
				rc.fragment = append(rc.fragment, payload...)
				if !fin {
					continue
				}
				payload = rc.fragment
			}
			rc.c.handleMessage(payload, now, rc.subbed, lat)
			rc.fragment = rc.fragment[:0]
		case 0x9: // ping: answered off the loop, which must not wait on wmu
			p := append([]byte(nil), payload...)
			go func() { _ = rc.writeFrame(context.Background(), 0xA, p) }()
		case 0xA: // pong
		case 0x8: // close: answer it; the server then closes the socket
			ce := websocket.CloseError{Code: websocket.StatusNoStatusRcvd}
			if len(payload) >= 2 {
				ce.Code = websocket.StatusCode(endian.BigEndian.Uint16(payload))
				ce.Reason = string(payload[2:])
			}
			rc.closeErr = ce
			reply := append([]byte(nil), payload[:min(2, len(payload))]...)
			go func() { _ = rc.writeFrame(context.Background(), 0x8, reply) }()
		default:
			return fmt.Errorf("unknown opcode %d", op)
		}
	}
	// What is left is an incomplete frame, in rc.pending or in the
	// loop's shared buffer: keep it at the start of rc.pending.
	if inPending {
		rc.pending = rc.pending[:copy(rc.pending, data)]
	} else {
		rc.pending = append(rc.pending[:0], data...)
	}
	return nil
}

// end runs on the loop once the loop has let go of the socket: the reader
// is done. The descriptor is closed once no write is under way.
func (rc *rawConn) end(err error) {
	if rc.ended {
		return
	}
	rc.ended = true
	rc.c.mu.Lock()
	rc.c.readErr = err
	rc.c.mu.Unlock()
	close(rc.done)
	go func() {
		rc.wmu.Lock()
		defer rc.wmu.Unlock()
		if !rc.closed {
			rc.closed = true
			syscall.Close(rc.fd)
		}
	}()
}

func (rc *rawConn) write(ctx context.Context, p []byte) error {
	return rc.writeFrame(ctx, 0x1, p)
}

// writeFrame writes one masked frame, whole, before ctx ends.
func (rc *rawConn) writeFrame(ctx context.Context, op byte, p []byte) error {
	b := make([]byte, 0, 14+len(p))
	b = append(b, 0x80|op)
	switch {
	case len(p) <= 125:
		b = append(b, 0x80|byte(len(p)))
	case len(p) <= 0xffff:
		b = append(b, 0x80|126, byte(len(p)>>8), byte(len(p)))
	default:
		b = append(b, 0x80|127)
		b = endian.BigEndian.AppendUint64(b, uint64(len(p)))
	}
	key := mrand.Uint32()
	b = endian.LittleEndian.AppendUint32(b, key)
	start := len(b)
	b = append(b, p...)
	var k [4]byte
	endian.LittleEndian.PutUint32(k[:], key)
	for i := range len(b) - start {
		b[start+i] ^= k[i&3]
	}
	rc.wmu.Lock()
	defer rc.wmu.Unlock()
	if rc.closed || rc.closeSent {
		return net.ErrClosed
	}
	if op == 0x8 {
		rc.closeSent = true
	}
	for len(b) > 0 {
		n, err := syscall.Write(rc.fd, b)
		if n > 0 {
			b = b[n:]
		}
		switch {
		case err == nil || err == syscall.EINTR:
		case err == syscall.EAGAIN:
			// The socket's buffer is full: rare for these small frames.
			select {
			case <-ctx.Done():
				rc.shutdown()
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		default:
			rc.shutdown()
			return err
		}
	}
	return nil
}

// shutdown ends the connection in both directions: the loop reads the
// end and lets go of the socket. Called under wmu.
func (rc *rawConn) shutdown() {
	if !rc.closed {
		_ = syscall.Shutdown(rc.fd, syscall.SHUT_RDWR)
	}
}

// closeNow drops the connection, as a network fault would.
func (rc *rawConn) closeNow() {
	rc.wmu.Lock()
	rc.shutdown()
	rc.wmu.Unlock()
}

// close sends a close frame; the server answers and closes the socket.
// Without an answer in time the connection is dropped.
func (rc *rawConn) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var payload [2]byte
	endian.BigEndian.PutUint16(payload[:], uint16(websocket.StatusNormalClosure))
	if err := rc.writeFrame(ctx, 0x8, payload[:]); err != nil {
		rc.closeNow()
		return
	}
	select {
	case <-rc.done:
	case <-ctx.Done():
		rc.closeNow()
	}
}
