// Package redistest gives each test its own Redis key prefix on the server
// named by PARLEY_TEST_REDIS_URL, and cleans up after it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable holding the test server's URL, e.g.
// redis://127.0.0.1:6379/0.
const EnvURL = "PARLEY_TEST_REDIS_URL"

// Redis is one test's share of the test server.
type Redis struct {
	t      testing.TB
	opts   *redis.Options
	Prefix string        // unique key prefix, e.g. "parleytest:1a2b3c4d:"
	Client *redis.Client // a client named after the prefix, closed at cleanup
}

// New returns the test's Redis share. It fails the test when
// PARLEY_TEST_REDIS_URL is unset or the server does not answer. Keys under
// the prefix are deleted when the test ends.
func New(t testing.TB) *Redis {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		t.Fatalf("%s is not set: the Redis tests need a real Redis (e.g. %s=redis://127.0.0.1:6379/0)", EnvURL, EnvURL)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	r := &Redis{t: t, opts: opts, Prefix: "parleytest:" + id + ":"}
	r.Client = r.NewClient("parleytest-" + id)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Client.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s does not answer: %v", url, err)
	}
	t.Cleanup(func() { r.deleteKeys() })
	return r
}

// NewClient returns another client of the test server whose connections
// carry name (CLIENT SETNAME), so that KillClients can find them. It is
// closed when the test ends.
func (r *Redis) NewClient(name string) *redis.Client {
	o := *r.opts
	o.ClientName = name
	c := redis.NewClient(&o)
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

// KillClients closes, on the server side, every connection named name (a
// real fault: go-redis sees the connection drop). It returns how many.
func (r *Redis) KillClients(name string) int {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := r.Client.ClientList(ctx).Result()
	if err != nil {
		r.t.Fatalf("CLIENT LIST: %v", err)
	}
	n := 0
	for line := range strings.SplitSeq(list, "\n") {
		var id string
		match := false
		for f := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(f, "=")
			switch {
			case k == "id":
				id = v
			case k == "name" && v == name:
				match = true
			}
		}
		if match && id != "" {
			if err := r.Client.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err == nil {
				n++
			}
		}
	}
	return n
}

func (r *Redis) deleteKeys() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := r.Client.Scan(ctx, 0, r.Prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		_ = r.Client.Del(ctx, keys...).Err()
	}
}
