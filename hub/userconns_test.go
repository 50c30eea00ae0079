package hub

import "testing"

// A user's sockets on a node are capped: the one over MaxSocketsPerUser is
// closed with CloseTooManySockets right after the upgrade; other users are
// not affected, and a closed socket frees its place.
func TestMaxSocketsPerUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil, func(c *Config) { c.MaxSocketsPerUser = 2 })
	e.svc.addSession("a1", 1, 1)
	e.svc.addSession("a2", 1, 1)
	e.svc.addSession("b", 1, 2)
	first := e.dial("a1")
	first.nextType("subscribed")
	second := e.dial("a2") // another session of the same user counts too
	second.nextType("subscribed")

	third := e.dial("a1")
	if code := third.closed(); code != CloseTooManySockets {
		t.Fatalf("third socket: close code %d, want %d", code, CloseTooManySockets)
	}
	other := e.dial("b")
	other.nextType("subscribed")

	_ = first.ws.Close(CloseNormal, "")
	first.closed()
	// The place is free once the hub has let go of the first socket.
	eventually(t, "a new socket after one closed", func() bool {
		c, _, err := e.dialWith("a1", dialOptions{})
		if err != nil {
			return false
		}
		for {
			f, ok := <-c.frames
			if !ok {
				return false
			}
			if f.Type == "subscribed" {
				return true
			}
		}
	})
	// The default is 20.
	var c Config
	c.setDefaults()
	if c.MaxSocketsPerUser != 20 {
		t.Fatalf("default MaxSocketsPerUser = %d, want 20", c.MaxSocketsPerUser)
	}
}
