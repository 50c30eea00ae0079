package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/chat"
	"parley/push"
	"parley/push/pushtest"
)

// Web Push end to end on both engines, through the JSON API and a real
// push service in the test (pushtest: it verifies the VAPID signature and
// decrypts the payload with the subscription's own keys): a member with a
// subscribed device who is offline gets a push after the notify delay
// with the topic's title and link and no message text; when the push
// service answers 410 the subscription is removed and the log says why.
func TestOutsidePush(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testOutsidePush(t, engine)
		})
	}
}

func testOutsidePush(t *testing.T, engine string) {
	ps := pushtest.New(t)
	s := startOutsideMain(t, engine, func(c *Config) {
		c.NotifyDelay = time.Second
		c.PushHosts = []string{ps.Host()}
		if engine == "postgres" {
			key, err := push.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			c.VAPIDPrivateKey = key
		}
	}, func(m *Main) { m.pushClient = ps.Client() })
	authorID, author := s.user("author@example.com", "employee", "messenger_manager")
	memberID, member := s.user("member@example.com", "employee")
	group := s.group("Payroll", authorID, memberID)
	topic := s.topic(author, group, map[string]any{"name": "Salaries", "email_notify": true, "notify_interval_seconds": 0})

	var info struct {
		Enabled   bool   `json:"enabled"`
		PublicKey string `json:"public_key"`
		Devices   int    `json:"devices"`
	}
	member.do("GET", "/api/v1/push", nil).decode(t, &info)
	if !info.Enabled || info.PublicKey != s.m.pushPublicKey() || info.Devices != 0 {
		t.Fatalf("push info %+v", info)
	}
	ps.ExpectKey(info.PublicKey)
	dev := ps.Subscribe()
	body := map[string]any{"endpoint": dev.Endpoint, "keys": map[string]string{"p256dh": dev.P256dh, "auth": dev.Auth}}
	expect(t, "subscribe", member.do("POST", "/api/v1/push/subscriptions", body), 201, "", "")
	bad := map[string]any{"endpoint": "https://intranet.example/x", "keys": map[string]string{"p256dh": dev.P256dh, "auth": dev.Auth}}
	expect(t, "subscribe elsewhere", member.do("POST", "/api/v1/push/subscriptions", bad), 400, "invalid", "")

	post := func(text string) int64 {
		t.Helper()
		res := author.do("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topic), map[string]any{"body": text})
		expect(t, "post", res, 201, "", "")
		var m struct{ ID int64 }
		res.decode(t, &m)
		return m.ID
	}
	pushDecision := func(messageID int64) string {
		var log struct {
			Items []struct {
				UserID  int64  `json:"user_id"`
				Via     string `json:"via"`
				Outcome string `json:"outcome"`
			}
		}
		s.admin.do("GET", fmt.Sprintf("/api/v1/notifications/log?message=%d&user=%d", messageID, memberID), nil).decode(t, &log)
		for _, d := range log.Items {
			if d.Via == "push" {
				return d.Outcome
			}
		}
		return ""
	}

	first := post("the payday moves to Friday")
	eventually(t, 60*time.Second, "the push to the member's device", func() bool { return len(ps.PushesTo(dev.Endpoint)) == 1 })
	var pl chat.PushPayload
	raw := ps.PushesTo(dev.Endpoint)[0].Payload
	if err := json.Unmarshal(raw, &pl); err != nil || pl.Title != "New message in Salaries" || pl.Link != fmt.Sprintf("/#/topic/%d", topic) {
		t.Fatalf("payload %s: %v", raw, err)
	}
	if strings.Contains(string(raw), "payday") {
		t.Fatalf("the message text is in the push: %s", raw)
	}
	eventually(t, 30*time.Second, "the push decision", func() bool { return pushDecision(first) == "sent" })

	ps.Answer(dev.Endpoint, http.StatusGone)
	second := post("and the bonus with it")
	eventually(t, 60*time.Second, "the push decision after 410", func() bool { return pushDecision(second) == "suppressed_no_device" })
	member.do("GET", "/api/v1/push", nil).decode(t, &info)
	if info.Devices != 0 {
		t.Fatalf("after 410 the member still has %d devices", info.Devices)
	}
	if errs := ps.Errors(); len(errs) != 0 {
		t.Fatalf("the push service refused pushes: %v", errs)
	}
	if engine == "sqlite" {
		fi, err := os.Stat(filepath.Join(s.m.Config.DataDir, vapidKeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("VAPID key file: %v %v", fi, err)
		}
	}
}

// The VAPID key is made once per installation and kept: a second start
// on the same data directory signs with the same key; a cluster that is
// given none has no Web Push rather than a key per node.
func TestVAPIDKeyKept(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	k1, err := cfg.vapidKey()
	if err != nil || k1 == "" {
		t.Fatalf("first key %q, %v", k1, err)
	}
	k2, err := cfg.vapidKey()
	if err != nil || k2 != k1 {
		t.Fatalf("second start: %q, %v; want the first key", k2, err)
	}
	cfg.RedisURL = "redis://127.0.0.1:1"
	if k, err := cfg.vapidKey(); k != "" || err != nil {
		t.Fatalf("cluster without a key: %q, %v", k, err)
	}
	cfg.VAPIDPrivateKey = k1
	if k, err := cfg.vapidKey(); k != k1 || err != nil {
		t.Fatalf("configured key: %q, %v", k, err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, vapidKeyFile), []byte("damaged\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.RedisURL, cfg.VAPIDPrivateKey = "", ""
	if _, err := cfg.vapidKey(); err == nil || !strings.Contains(err.Error(), vapidKeyFile) {
		t.Fatalf("damaged key file: %v", err)
	}
}
