package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"parley/chat"
)

// slowPublish answers every publish after d, like a database under load.
type slowPublish struct {
	*fakeService
	d time.Duration
}

func (s slowPublish) PublishDedup(ctx context.Context, in chat.PublishInput) (chat.Message, bool, error) {
	time.Sleep(s.d)
	return s.fakeService.PublishDedup(ctx, in)
}

// A pong that waits behind the client's own requests (the reader handles
// a connection's frames in order) is late, but the client is alive: the
// heartbeat must not drop it, and waiting for the pong must not hold up
// the answers. Found by the flake hunt: the connection was reset after
// about a second.
func TestHeartbeatToleratesPongBehindBacklog(t *testing.T) {
	t.Parallel()
	svc := newFakeService()
	e := newEnv(t, svc, nil, func(c *Config) {
		c.Service = slowPublish{svc, 300 * time.Millisecond}
		c.PingInterval = 200 * time.Millisecond
		c.WriteTimeout = time.Second
	})
	svc.addSession("a", 1, 1)
	a := e.dial("a")
	a.nextType("subscribed")
	for i := range 10 {
		a.send(map[string]any{"type": "publish", "id": fmt.Sprint("p", i), "channel": "topic:1", "body": "x"})
	}
	for i := range 10 {
		if f := a.answer(fmt.Sprint("p", i)); f.Type != "ack" {
			t.Fatalf("%d: %+v", i, f)
		}
	}
}
