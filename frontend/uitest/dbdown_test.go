package uitest

import (
	"fmt"
	"testing"
	"time"

	"parley/storage/pgtest"
	"parley/tools/freeport"
)

// TestPostgresDownRetrying: parley on a private PostgreSQL cluster that
// the test stops for 5 s (the shared server is never stopped). A message
// sent meanwhile stays on screen with "Connection trouble, retrying"
// (a status region), the page never goes to login, and once PostgreSQL
// is back the message is sent by itself, exactly once (the retries reuse
// its client_msg_id), and seen by the other browser.
func TestPostgresDownRetrying(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartServer(t, freeport.Port(t))
	_, topicID, stamp, emma, matti := holidayTopicOnPostgres(t, pg.Database("parley"))
	route := fmt.Sprintf("#/topic/%d", topicID)

	pg.Stop()
	down := time.Now()
	body := "Sent while the database was down " + stamp
	emma.send(body)
	emma.waitJS("the message kept, retrying", `[...document.querySelectorAll('#messages .msg.pending')].some((m) =>
		m.querySelector('.body')?.textContent.includes(`+jsStr(stamp)+`) &&
		m.querySelector('.pending-state[role=status]')?.textContent.includes('Connection trouble, retrying'))`)
	emma.waitJS("the connection status says retrying", `document.querySelector('#conn[role=status]')?.textContent.includes('Connection trouble, retrying')`)
	for time.Since(down) < 5*time.Second {
		for _, b := range []*browser{emma, matti} {
			if eval[bool](b, `!!document.querySelector('.login-page')`) {
				t.Fatalf("%s was sent to the login page while PostgreSQL was down", b.name)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}

	pg.Start()
	up := time.Now()
	emma.waitText("#messages .msg:not(.pending) .body", body)
	t.Logf("message sent %v after PostgreSQL accepted connections again", time.Since(up).Round(100*time.Millisecond))
	matti.waitText("#messages .msg .body", body)
	emma.waitOnline()
	for _, b := range []*browser{emma, matti} {
		if eval[bool](b, `!!document.querySelector('.login-page')`) {
			t.Fatalf("%s is on the login page after the outage", b.name)
		}
	}
	// Stored once: a fresh load of the thread shows it once.
	matti.open(route)
	matti.waitText("#messages .msg .body", body)
	if n := eval[int](matti, countText("#messages .msg .body", stamp)); n != 1 {
		t.Fatalf("the message shows %d times after a reload", n)
	}
	if n := eval[int](emma, countText("#messages .msg .body", stamp)); n != 1 {
		t.Fatalf("the sender sees the message %d times", n)
	}
}
