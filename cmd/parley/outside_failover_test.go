package main

import (
	"fmt"
	"testing"
	"time"

	"parley/mail/smtptest"
	"parley/storage/pgtest"
)

// The failover tests run two real parley processes on one PostgreSQL
// database and one Redis (a key prefix of their own), kill one with
// SIGKILL and watch the notification email from outside: the SMTP servers
// and the admin's decision log.

// failoverEnv is the environment both nodes share.
func failoverEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	return clusterEnv(t, pgtest.NewDatabase(t), "failover",
		append([]string{"PARLEY_ADMIN_PASSWORD=" + outsidePassword, "PARLEY_LOG_LEVEL=warn"}, extra...)...)
}

// failoverWorld is the admin's view of a cluster plus a topic whose
// members get email for every message.
type failoverWorld struct {
	*outsideServer
	author  *client
	topicID int64
}

func newFailoverWorld(t *testing.T, base string, members int) (*failoverWorld, []int64, []*client) {
	t.Helper()
	s := operatorOf(t, base, "admin@example.com")
	authorID, author := s.user("author@example.com", "employee", "messenger_manager")
	ids := []int64{authorID}
	var clients []*client
	for i := range members {
		id, c := s.user(fmt.Sprintf("member%d@example.com", i), "employee")
		ids = append(ids, id)
		clients = append(clients, c)
	}
	group := s.group("Payroll", ids...)
	topic := s.topic(author, group, map[string]any{"name": "Salaries", "email_notify": true, "notify_interval_seconds": 0})
	return &failoverWorld{outsideServer: s, author: author, topicID: topic}, ids[1:], clients
}

type failoverMsg struct {
	ID        int64
	CreatedAt time.Time `json:"created_at"`
}

func (w *failoverWorld) post(body string) failoverMsg {
	w.t.Helper()
	res := w.author.do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", w.topicID),
		map[string]any{"body": body, "client_msg_id": body})
	expect(w.t, "post", res, 201, "", "")
	var m failoverMsg
	res.decode(w.t, &m)
	return m
}

type failoverDecision struct {
	UserID    int64     `json:"user_id"`
	Outcome   string    `json:"outcome"`
	CreatedAt time.Time `json:"created_at"`
}

// decisions returns the email decisions about a message, by user.
func (w *failoverWorld) decisions(msgID int64) map[int64][]failoverDecision {
	w.t.Helper()
	var log struct{ Items []failoverDecision }
	w.admin.do("GET", fmt.Sprintf("/api/v1/notifications/log?message=%d", msgID), nil).decode(w.t, &log)
	out := map[int64][]failoverDecision{}
	for _, d := range log.Items {
		out[d.UserID] = append(out[d.UserID], d)
	}
	return out
}

// kill9 kills the process with SIGKILL and waits for it.
func (p *proc) kill9() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// A user whose only socket is on a node that is killed right after a post
// that should notify them counts as offline everywhere within the presence
// TTL: their email is sent once, by the surviving node, within the notify
// delay plus a few seconds.
func TestFailoverKilledNodeUsersGetEmail(t *testing.T) {
	t.Parallel()
	const delay = 6 * time.Second // over the presence TTL below
	mail := smtptest.New(t, smtptest.Options{})
	env := failoverEnv(t, "PARLEY_SMTP_URL="+mail.URL(), "PARLEY_NOTIFY_DELAY="+delay.String(),
		"PARLEY_PRESENCE_HEARTBEAT=1s", "PARLEY_PRESENCE_TTL=3s", "PARLEY_NOTIFY_POLL=200ms")
	doomed := start(t, env)
	survivor := start(t, env)
	w, ids, clients := newFailoverWorld(t, survivor.url, 1)
	victimID, victim := ids[0], clients[0]
	dialSocket(t, on(t, doomed.url, victim)) // the victim's only socket

	// While the node lives, the victim is online on every node.
	m1 := w.post("while connected")
	eventually(t, 60*time.Second, "a decision about the first message", func() bool { return len(w.decisions(m1.ID)[victimID]) > 0 })
	if d := w.decisions(m1.ID)[victimID]; len(d) != 1 || d[0].Outcome != "suppressed_online" {
		t.Fatalf("first message, victim connected to the other node: %+v, want suppressed_online", d)
	}

	m2 := w.post("then the node dies")
	doomed.kill9()
	killedAt := time.Now()
	var sent []failoverDecision
	eventually(t, 60*time.Second, "the email to the victim", func() bool {
		sent = w.decisions(m2.ID)[victimID]
		return len(sent) > 0
	})
	if len(sent) != 1 || sent[0].Outcome != "sent" {
		t.Fatalf("second message after the kill: %+v, want one sent", sent)
	}
	after := sent[0].CreatedAt.Sub(m2.CreatedAt)
	t.Logf("email sent %v after the post (notify delay %v), %v after the kill", after.Round(10*time.Millisecond),
		delay, time.Since(killedAt).Round(10*time.Millisecond))
	if after > delay+5*time.Second {
		t.Fatalf("email sent %v after the post: more than the notify delay %v plus 5 s", after, delay)
	}
	if n := len(mail.Messages()); n != 1 {
		t.Fatalf("%d emails, want 1", n)
	}
	survivor.stop()
	if n := len(mail.Messages()); n != 1 {
		t.Fatalf("%d emails after stopping, want 1", n)
	}
}

// A node whose SMTP server hangs at the end of DATA holds only the job it
// is sending: the other node sends the rest within seconds while the
// first still hangs, and after the hung node is killed, its in-flight job
// comes back when the lease ends and is sent once.
func TestFailoverHungSMTPHoldsOneJob(t *testing.T) {
	t.Parallel()
	const (
		members = 6
		lease   = 20 * time.Second
	)
	hung := smtptest.New(t, smtptest.Options{HangData: true})
	good := smtptest.New(t, smtptest.Options{})
	env := failoverEnv(t, "PARLEY_NOTIFY_DELAY=2s", "PARLEY_NOTIFY_POLL=200ms",
		"PARLEY_NOTIFY_LEASE="+lease.String(), "PARLEY_NOTIFY_SEND_TIMEOUT=10s")
	stuck := start(t, append(env, "PARLEY_SMTP_URL="+hung.URL()))
	w, ids, _ := newFailoverWorld(t, stuck.url, members)
	m := w.post("to six offline members")
	select {
	case <-hung.Hung():
	case <-time.After(60 * time.Second):
		t.Fatal("the node never reached the hanging SMTP server")
	}
	hungAt := time.Now()
	other := start(t, append(env, "PARLEY_SMTP_URL="+good.URL()))
	eventually(t, 60*time.Second, "the other node to send the untried emails", func() bool {
		return len(good.Messages()) >= members-1
	})
	t.Logf("%d untried emails sent by the other node %v after the hang began (its start included)",
		members-1, time.Since(hungAt).Round(10*time.Millisecond))
	stuck.kill9()
	killedAt := time.Now()
	eventually(t, 2*lease+30*time.Second, "the in-flight email after the lease", func() bool {
		return len(good.Messages()) >= members
	})
	t.Logf("in-flight email sent %v after the kill (lease %v)", time.Since(killedAt).Round(10*time.Millisecond), lease)

	got := map[string]int{}
	for _, msg := range good.Messages() {
		for _, to := range msg.To {
			got[to]++
		}
	}
	for i := range members {
		if addr := fmt.Sprintf("member%d@example.com", i); got[addr] != 1 {
			t.Errorf("%s got %d emails, want 1 (all: %v)", addr, got[addr], got)
		}
	}
	if n := len(hung.Messages()); n != 0 {
		t.Fatalf("the hung server recorded %d messages", n)
	}
	// The decision is recorded just after the server accepts the email.
	var ds map[int64][]failoverDecision
	eventually(t, 30*time.Second, "a decision for every member", func() bool {
		ds = w.decisionsVia(other.url, m.ID)
		for _, id := range ids {
			if len(ds[id]) == 0 {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		if d := ds[id]; len(d) != 1 || d[0].Outcome != "sent" {
			t.Errorf("user %d: decisions %+v, want one sent", id, d)
		}
	}
	other.stop()
}

// decisionsVia reads the decision log through the node at base (the one
// the admin logged in to may be dead).
func (w *failoverWorld) decisionsVia(base string, msgID int64) map[int64][]failoverDecision {
	w.t.Helper()
	saved := w.admin
	w.admin = on(w.t, base, saved)
	defer func() { w.admin = saved }()
	return w.decisions(msgID)
}
