package hub

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"parley/chat"
)

// BenchmarkFanout measures the hub's fan-out: one sequenced event from the
// broker to every subscriber of one channel on this node (decode the
// envelope once, order check, enqueue the same bytes to each queue). The
// writers are not running: this is the cost under the channel lock.
// Reported: ns and allocations per delivery.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint("subscribers=", n), func(b *testing.B) {
			svc := newFakeService()
			h := New(Config{
				Service: svc, Broker: NewMemoryBroker(), Presence: NewMemoryPresence(),
				Authenticate:   func(*http.Request) (*chat.Principal, error) { return nil, nil },
				SessionRecheck: -1, SendQueueBytes: 1 << 40,
			})
			defer h.Close()
			ctx := context.Background()
			name := chat.TopicChannel(1)
			conns := make([]*conn, n)
			for i := range conns {
				p := &chat.Principal{TenantID: 1, UserID: int64(i + 1), SessionID: fmt.Sprint(i)}
				c := h.newConn(nil, p)
				s, _, err := h.attach(ctx, c, name)
				if err != nil {
					b.Fatal(err)
				}
				if !s.ch.release(s, 0) {
					b.Fatal("release")
				}
				conns[i] = c
			}
			frame, _ := encodeEvent(name, chat.EventMessageNew, 1, chat.Message{ID: 1, Body: "a typical short chat message"})
			payloads := make([][]byte, 0, 1024)
			for seq := int64(1); seq <= 1024; seq++ {
				payloads = append(payloads, encodeEnvelope(wireEvent{seq: seq, typ: chat.EventMessageNew, frame: frame}))
			}
			key := name.String()
			seq := int64(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%1024 == 0 && i > 0 {
					b.StopTimer()
					for _, c := range conns {
						c.queue, c.qbytes = c.queue[:0], 0
					}
					// Payloads carry seqs 1..1024: restart the channel there.
					ch := h.channels[key]
					ch.cursor = 0
					for s := range ch.subs {
						s.lastSeq = 0
					}
					b.StartTimer()
				}
				h.HandleMessage(key, payloads[i%1024])
				seq++
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, ev := range []wireEvent{
		{seq: 0, typ: chat.EventTyping, frame: []byte(`{"a":1}`)},
		{seq: 9_000_000_000, typ: "custom.type", session: "abc_-XYZ", frame: []byte("x\ny")},
	} {
		got, ok := decodeEnvelope(encodeEnvelope(ev))
		if !ok || got.seq != ev.seq || got.typ != ev.typ || got.session != ev.session || string(got.frame) != string(ev.frame) {
			t.Fatalf("round trip of %+v: %+v %v", ev, got, ok)
		}
	}
	for _, bad := range []string{"", "P1 ", "P1 1 t -", "P1 x t -\n{}", "P1 1  -\n{}", "P2 1 t -\n{}", "P1 -1 t -\n{}"} {
		if _, ok := decodeEnvelope([]byte(bad)); ok {
			t.Fatalf("%q decoded", bad)
		}
	}
}
