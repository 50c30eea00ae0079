package hub

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// The hub writes on one socket from three places: the writer's own
// frames (socket.writeText), and coder/websocket's control frames (its
// reader's pongs and close replies, the heartbeat's pings, the final
// close) through socket.Write. A client that knows nothing of either
// reads everything the hub writes while all of them interleave: every
// byte must parse as RFC 6455 server frames, every data frame accepted
// before a close must arrive once and in order, and nothing may follow
// the close frame. Run under -race with data from several goroutines,
// pings every few milliseconds, client pings and requests, and the close
// started by either side while data is in flight.
func TestWireInterleavingIndependentClient(t *testing.T) {
	for _, closer := range []string{"server", "client"} {
		t.Run("close by "+closer, func(t *testing.T) {
			t.Parallel()
			testWireInterleaving(t, closer == "server")
		})
	}
}

func testWireInterleaving(t *testing.T, serverCloses bool) {
	e := newEnv(t, nil, nil, func(c *Config) {
		c.PingInterval = 2 * time.Millisecond
		c.SendQueueBytes = 64 << 20 // no slow-consumer close: the test closes
	})
	e.svc.addSession("w", 1, 1)
	rc, err := dialRaw(strings.TrimPrefix(e.srv.URL, "http://"), "w", "user:1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.nc.Close()
	rc.nc.SetDeadline(time.Now().Add(2 * waitTimeout))
	c := e.serverConn()

	var wmu sync.Mutex
	clientWrite := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		_, err := rc.nc.Write(b)
		return err
	}

	// Producers on the server: numbered frames across every length class.
	// Each takes a credit, which the client returns for every frame it
	// reads, so data is still being produced, queued and written when the
	// close comes.
	const producers, perProducer, window = 3, 60, 6
	sizes := []int{0, 100, 125, 126, 400, 3000, 65535, 70_000}
	credit := make(chan struct{}, producers*perProducer)
	for range window {
		credit <- struct{}{}
	}
	readDone := make(chan struct{})
	accepted := make([]int, producers) // frames accepted by enqueue, per producer
	var prodWG sync.WaitGroup
	for p := range producers {
		prodWG.Go(func() {
			for i := range perProducer {
				select {
				case <-credit:
				case <-readDone:
					return
				}
				pad := strings.Repeat("é", sizes[(i+p)%len(sizes)]/2)
				if !c.enqueue(fmt.Appendf(nil, `{"type":"x","reason":"%d %d %s"}`, p, i, pad)) {
					return
				}
				accepted[p] = i + 1
			}
		})
	}

	// The client's own traffic: pings (the hub's reader answers with
	// pongs through socket.Write) and requests (answered through the
	// writer).
	const clientPings = 100
	stopClient := make(chan struct{})
	var clientWG sync.WaitGroup
	var stopOnce sync.Once
	// A client sends nothing after its close frame.
	stopClientTraffic := func() {
		stopOnce.Do(func() { close(stopClient) })
		clientWG.Wait()
	}
	clientWG.Go(func() {
		for i := range clientPings {
			select {
			case <-stopClient:
				return
			default:
			}
			if clientWrite(maskedFrame(0x9, fmt.Appendf(nil, "c%d", i))) != nil {
				return
			}
			if clientWrite(maskedText(fmt.Sprintf(`{"type":"ping","id":"r%d"}`, i))) != nil {
				return
			}
		}
	})

	// The close, from either side, while the producers still run.
	closeNow := func() {
		if serverCloses {
			c.close(CloseGoingAway, reasonShutdown)
			return
		}
		stopClientTraffic()
		_ = clientWrite(maskedFrame(0x8, []byte{0x03, 0xe8}))
	}

	got := make([]int, producers) // next index expected, per producer
	var pongs, replies, serverPings, texts int
	var closeFrame []byte
	br := bufio.NewReader(rc.nc)
	closeTriggered := false
	for {
		f, err := readStrictFrame(br)
		if errors.Is(err, io.EOF) && closeFrame != nil {
			break // the hub closed the TCP connection after the handshake
		}
		if err != nil {
			t.Fatalf("after %d text messages: %v", texts, err)
		}
		if closeFrame != nil {
			t.Fatalf("frame (opcode %x, %d bytes) after the close frame", f.op, len(f.payload))
		}
		switch f.op {
		case 0x1:
			texts++
			for line := range bytes.SplitSeq(f.payload, []byte{'\n'}) {
				if rest, ok := bytes.CutPrefix(line, []byte(`{"type":"x","reason":"`)); ok {
					var p, i int
					if _, err := fmt.Sscanf(string(rest[:min(len(rest), 20)]), "%d %d", &p, &i); err != nil || p >= producers || !bytes.HasSuffix(rest, []byte(`"}`)) {
						t.Fatalf("bad data frame %.80q", line)
					}
					if i != got[p] {
						t.Fatalf("producer %d: frame %d arrived, %d expected", p, i, got[p])
					}
					got[p]++
					select {
					case credit <- struct{}{}:
					default:
					}
					continue
				}
				var v struct{ Type string }
				if err := json.Unmarshal(line, &v); err != nil {
					t.Fatalf("line of a text message is not JSON: %v: %.80q", err, line)
				}
				if v.Type == "pong" {
					replies++
				}
			}
		case 0x9:
			serverPings++
			_ = clientWrite(maskedFrame(0xA, f.payload))
		case 0xA:
			if want := fmt.Sprintf("c%d", pongs); string(f.payload) != want {
				t.Fatalf("pong %q, want %q", f.payload, want)
			}
			pongs++
		case 0x8:
			closeFrame = f.payload
			if serverCloses {
				stopClientTraffic()
				_ = clientWrite(maskedFrame(0x8, f.payload))
			}
		}
		// Close once about half the data and a ping are through:
		// producers, pings and the client's traffic are all still going.
		// (Pings keep coming, so this is reached even when the data is.)
		if !closeTriggered && serverPings > 0 && got[0]+got[1]+got[2] >= producers*perProducer/2 {
			closeTriggered = true
			go closeNow()
		}
	}
	close(readDone)
	prodWG.Wait()
	stopClientTraffic()

	wantCode := websocket.StatusNormalClosure
	if serverCloses {
		wantCode = CloseGoingAway
	}
	if len(closeFrame) < 2 || websocket.StatusCode(binary.BigEndian.Uint16(closeFrame)) != wantCode {
		t.Fatalf("close frame %x, want code %d", closeFrame, wantCode)
	}
	if serverCloses {
		// The hub sends what it accepted before its own close frame.
		for p := range producers {
			if got[p] != accepted[p] {
				t.Errorf("producer %d: %d of %d accepted frames arrived", p, got[p], accepted[p])
			}
		}
	}
	if serverPings == 0 {
		t.Error("no ping interleaved")
	}
	if pongs == 0 || replies == 0 {
		t.Errorf("pongs %d, request replies %d: the client's traffic did not interleave", pongs, replies)
	}
	t.Logf("%d text messages, %d server pings, %d pongs, %d replies, data %v of %v accepted", texts, serverPings, pongs, replies, got, accepted)
}

type wireFrame struct {
	op      byte
	payload []byte
}

// readStrictFrame reads one server frame and rejects anything RFC 6455
// forbids a server to send here: reserved bits (no extension is
// negotiated), masking, unknown opcodes, fragmented or long control
// frames, non-minimal lengths, fragmented messages (the hub never
// fragments), text that is not UTF-8 and malformed close payloads.
func readStrictFrame(r *bufio.Reader) (wireFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return wireFrame{}, err
	}
	fin, rsv, op := h[0]&0x80 != 0, h[0]&0x70, h[0]&0x0f
	if rsv != 0 {
		return wireFrame{}, fmt.Errorf("reserved bits %x set", rsv)
	}
	if h[1]&0x80 != 0 {
		return wireFrame{}, errors.New("server frame is masked")
	}
	if !fin {
		return wireFrame{}, fmt.Errorf("fragmented frame (opcode %x)", op)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return wireFrame{}, err
		}
		if n = uint64(binary.BigEndian.Uint16(l[:])); n < 126 {
			return wireFrame{}, fmt.Errorf("length %d in a 16-bit field", n)
		}
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return wireFrame{}, err
		}
		if n = binary.BigEndian.Uint64(l[:]); n <= 0xffff || n>>63 != 0 {
			return wireFrame{}, fmt.Errorf("length %d in a 64-bit field", n)
		}
	}
	switch op {
	case 0x1:
	case 0x8, 0x9, 0xA:
		if n > 125 {
			return wireFrame{}, fmt.Errorf("control frame of %d bytes", n)
		}
	default:
		return wireFrame{}, fmt.Errorf("unexpected opcode %x", op)
	}
	if n > 16<<20 {
		return wireFrame{}, fmt.Errorf("frame of %d bytes", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return wireFrame{}, fmt.Errorf("payload of %d bytes: %w", n, err)
	}
	if op == 0x1 && !utf8.Valid(p) {
		return wireFrame{}, errors.New("text frame is not UTF-8")
	}
	if op == 0x8 && (len(p) == 1 || len(p) >= 2 && !utf8.Valid(p[2:])) {
		return wireFrame{}, fmt.Errorf("malformed close payload %x", p)
	}
	return wireFrame{op: op, payload: p}, nil
}
