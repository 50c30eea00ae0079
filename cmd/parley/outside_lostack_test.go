package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"parley/storage/pgtest"
)

// failpointBinary builds parley with -tags parley_failpoints once per test
// run (hub/failpoint.go: PARLEY_FAILPOINT=<name> ends the process there).
var failpointBinary = sync.OnceValues(func() (string, error) {
	dir := filepath.Dir(binary)
	out := filepath.Join(dir, "parley-failpoints")
	build := exec.Command("go", "build", "-tags", "parley_failpoints", "-o", out, ".")
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags parley_failpoints: %v\n%s", err, b)
	}
	return out, nil
})

// Commit without ack: node A commits a publish and dies before the ack
// reaches the client, either after handing the event to its broker
// (publish-after-commit: between the publish and the ack) or before
// (publish-before-broker: between the commit and the publish, so no node
// was ever told). The client reconnects to node B and retries with the
// same client_msg_id: the answer is duplicate: true with the stored
// message's id, the retry publishes the stored event again, so bob, live
// on node B, gets it at once (not only when the channel's next event
// shows him the gap), and every subscriber, live or replaying with since,
// sees the message exactly once.
func TestOutsideCommitWithoutAck(t *testing.T) {
	t.Parallel()
	failBin, err := failpointBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, fp := range []string{"publish-after-commit", "publish-before-broker"} {
		t.Run(fp, func(t *testing.T) {
			t.Parallel()
			commitWithoutAck(t, failBin, fp)
		})
	}
}

func commitWithoutAck(t *testing.T, failBin, failpoint string) {
	env := clusterEnv(t, pgtest.NewDatabase(t), "lostack",
		"PARLEY_ADMIN_EMAIL=ops@example.com", "PARLEY_ADMIN_PASSWORD="+outsidePassword)
	nodeB := start(t, env)
	nodeA := launchBinary(t, failBin, append(env, "PARLEY_FAILPOINT="+failpoint))
	nodeA.url = nodeA.stdout.waitFor(t, bannerRE, nodeA.exited)[1]

	// Set up through node B as an operator would.
	s := operatorOf(t, nodeB.url, "ops@example.com")
	aliceID, aliceB := s.user("alice@example.com", "employee", "messenger_manager")
	bobID, bob := s.user("bob@example.com", "employee")
	ch := fmt.Sprintf("topic:%d", s.topic(aliceB, s.group("Lost acks", aliceID, bobID), map[string]any{"name": "Lost acks"}))
	aliceA := on(t, nodeA.url, aliceB)

	bs := dialSocket(t, bob) // on node B
	bs.subscribe(ch, 0)
	as := dialSocket(t, aliceA) // on node A
	as.subscribe(ch, 0)
	pub := map[string]any{"type": "publish", "id": "lost", "channel": ch, "body": "committed, never acknowledged",
		"client_msg_id": "lost-ack-1"}
	as.send(pub)
	if code := nodeA.wait(); code != 86 { // hub/failpoint.go failpointExit
		t.Fatalf("node A exited with %d, want the failpoint's 86; stderr:\n%s", code, nodeA.stderr.String())
	}
	as.closeStatus(30 * time.Second)
	for _, f := range as.all() {
		if f.ID == "lost" {
			t.Fatalf("node A answered before dying: %s", f.Raw)
		}
	}

	// The client reconnects (to the node that is left) and resends.
	as2 := dialSocket(t, aliceB)
	as2.subscribe(ch, 0)
	retry := as2.request(pub)
	if retry.Type != "ack" || !retry.Duplicate || retry.MessageID == 0 {
		t.Fatalf("retry after the lost ack: %s, want an ack with duplicate: true", retry.Raw)
	}
	// Bob has it before anything else is posted: the retry published it.
	// Without that, nothing tells node B of seq 1 until seq 2 shows the
	// gap.
	retried := time.Now()
	for len(bs.events(ch, "message.new")) == 0 {
		if time.Since(retried) > 5*time.Second {
			t.Fatalf("bob, live on node B, did not get the retried message within 5 s of the duplicate ack:%s", bs.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("bob got the retried message %v after the duplicate ack", time.Since(retried).Round(time.Millisecond))
	if f := as2.request(map[string]any{"type": "publish", "channel": ch, "body": "next", "client_msg_id": "next-1"}); f.Type != "ack" {
		t.Fatalf("next publish: %s", f.Raw)
	}
	for name, sock := range map[string]*socket{"bob live on node B": bs, "alice resubscribed with since": as2} {
		sock.waitEvents(ch, "message.new", 2)
		time.Sleep(200 * time.Millisecond) // a duplicate would come right behind
		evs := sock.events(ch, "message.new")
		seen := map[string][]int64{}
		for _, ev := range evs {
			m := ev.message(t)
			seen[m.ClientMsgID] = append(seen[m.ClientMsgID], m.ID)
		}
		if len(evs) != 2 || len(seen["lost-ack-1"]) != 1 || seen["lost-ack-1"][0] != retry.MessageID || len(seen["next-1"]) != 1 {
			t.Fatalf("%s saw %v, want lost-ack-1 once as message %d, then next-1", name, seen, retry.MessageID)
		}
	}
	var hist struct {
		Type     string
		Messages []wireMessage
	}
	h := as2.request(map[string]any{"type": "history", "channel": ch, "limit": 10})
	if err := json.Unmarshal(h.Raw, &hist); err != nil || len(hist.Messages) != 2 {
		t.Fatalf("history: %s", h.Raw)
	}
	nodeB.stop()
}
