//go:build linux

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkReader compares the two readers on 500 loopback connections:
// a server in this process writes each event to every connection (one
// frame per message, as the hub does at 20 events per second) and waits
// until the clients counted it everywhere. Reported per delivery: CPU
// time of the whole process (server side included, the same for both)
// and wall time.
func BenchmarkReader(b *testing.B) {
	for _, reader := range []string{"goroutine", "epoll"} {
		b.Run("reader="+reader, func(b *testing.B) { benchmarkReader(b, reader, 500) })
	}
}

func benchmarkReader(b *testing.B, reader string, n int) {
	var (
		mu    sync.Mutex
		conns []*websocket.Conn
	)
	subscribed := make(chan struct{}, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := context.Background()
		if _, _, err := ws.Read(ctx); err != nil {
			return
		}
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribed","channel":"topic:1","last_seq":0}`)); err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, ws)
		mu.Unlock()
		subscribed <- struct{}{}
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"

	var p *poller
	if reader == "epoll" {
		var err error
		if p, err = newPoller(2, 0); err != nil {
			b.Fatal(err)
		}
		defer p.stop()
	}
	st := newStats()
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = newClient(i, url, "", "topic:1", st)
		clients[i].poller = p
		if err := clients[i].connect(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer clients[i].close()
		<-subscribed
	}
	ctx := context.Background()
	cpu0 := selfCPU()
	b.ResetTimer()
	for seq := 1; seq <= b.N; seq++ {
		msg := []byte(event(seq, time.Now()))
		for _, ws := range conns {
			if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
				b.Fatal(err)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for st.delivered.Load() < int64(seq*n) {
			if time.Now().After(deadline) {
				b.Fatalf("delivered %d of %d", st.delivered.Load(), seq*n)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.StopTimer()
	deliveries := float64(b.N * n)
	b.ReportMetric(float64((selfCPU()-cpu0).Nanoseconds())/deliveries, "cpu-ns/delivery")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(0, "ns/op")
}
