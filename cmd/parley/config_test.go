package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadConfig(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config := configFlags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return config()
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.DataDir != "./data" || c.PublicURL != "" || c.DatabaseURL != "" || c.RedisURL != "" ||
		c.AdminEmail != "admin@example.com" || c.SessionLifetime != 168*time.Hour || c.SessionIdleTimeout != 12*time.Hour ||
		c.LogLevel != "info" || c.LogFormat != "auto" || c.MaxSocketsPerUser != 20 || c.Cluster() ||
		c.NotifyPoll != time.Second || c.NotifyBatch != 1 || c.NotifyLease != 2*time.Minute || c.NotifySendTimeout != 30*time.Second ||
		c.PresenceHeartbeat != 2*time.Second || c.PresenceTTL != 6*time.Second {
		t.Fatalf("defaults: %+v", c)
	}

	secret := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secret, []byte("from a file secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PARLEY_LISTEN": ":9000", "PARLEY_DATA_DIR": "/env", "PARLEY_ADMIN_PASSWORD_FILE": secret,
		"PARLEY_PUBLIC_URL": "https://chat.example/", "PARLEY_SESSION_KEYS": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}
	c, err = loadConfig(t, env, "--listen", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:7000" || c.DataDir != "/env" || c.AdminPassword != "from a file secret" ||
		c.PublicURL != "https://chat.example" || len(c.SessionKeys) != 2 {
		t.Fatalf("flags over env over defaults: %+v", c)
	}

	for v, want := range map[string]int{"5": 5, "0": -1} { // 0: no limit, which hub.Config spells negative
		if c, err := loadConfig(t, map[string]string{"PARLEY_MAX_SOCKETS_PER_USER": v}); err != nil || c.MaxSocketsPerUser != want {
			t.Errorf("PARLEY_MAX_SOCKETS_PER_USER=%s: %d %v, want %d", v, c.MaxSocketsPerUser, err, want)
		}
	}

	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"both value and file":   {map[string]string{"PARLEY_ADMIN_PASSWORD": "x", "PARLEY_ADMIN_PASSWORD_FILE": secret}, nil, "not both"},
		"missing file":          {map[string]string{"PARLEY_SESSION_KEYS_FILE": "/nonexistent"}, nil, "PARLEY_SESSION_KEYS_FILE"},
		"mysql":                 {map[string]string{"PARLEY_DATABASE_URL": "mysql://x"}, nil, "postgres://"},
		"bad duration":          {nil, []string{"--session-lifetime", "forever"}, "PARLEY_SESSION_LIFETIME"},
		"bad listen":            {map[string]string{"PARLEY_LISTEN": "8080"}, nil, "PARLEY_LISTEN"},
		"bad public url":        {nil, []string{"--public-url", "chat.example"}, "PARLEY_PUBLIC_URL"},
		"short key":             {map[string]string{"PARLEY_SESSION_KEYS": "short"}, nil, "shorter than 32"},
		"bad log level":         {map[string]string{"PARLEY_LOG_LEVEL": "loud"}, nil, "PARLEY_LOG_LEVEL"},
		"flag and flag file":    {nil, []string{"--admin-password", "x", "--admin-password-file", secret}, "not both"},
		"bad mail from":         {map[string]string{"PARLEY_MAIL_FROM": "nobody"}, nil, "PARLEY_MAIL_FROM"},
		"redis without scheme":  {map[string]string{"PARLEY_REDIS_URL": "localhost:6379"}, nil, "redis://"},
		"negative socket cap":   {map[string]string{"PARLEY_MAX_SOCKETS_PER_USER": "-1"}, nil, "PARLEY_MAX_SOCKETS_PER_USER"},
		"empty data dir sqlite": {map[string]string{"PARLEY_DATA_DIR": ""}, []string{"--data-dir", ""}, "PARLEY_DATA_DIR"},
		"zero notify batch":     {map[string]string{"PARLEY_NOTIFY_BATCH": "0"}, nil, "PARLEY_NOTIFY_BATCH"},
		"send timeout vs lease": {map[string]string{"PARLEY_NOTIFY_LEASE": "1m", "PARLEY_NOTIFY_SEND_TIMEOUT": "40s"}, nil, "PARLEY_NOTIFY_SEND_TIMEOUT"},
		"presence ttl one beat": {map[string]string{"PARLEY_PRESENCE_HEARTBEAT": "5s", "PARLEY_PRESENCE_TTL": "6s"}, nil, "PARLEY_PRESENCE_TTL"},
		"bad notify poll":       {map[string]string{"PARLEY_NOTIFY_POLL": "often"}, nil, "PARLEY_NOTIFY_POLL"},
	} {
		if _, err := loadConfig(t, tc.env, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
	}
}

func TestSessionKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := Config{DataDir: dir}
	keys, err := c.sessionKeys()
	if err != nil || len(keys) != 1 || len(keys[0]) < 32 {
		t.Fatalf("generated keys %q, %v", keys, err)
	}
	fi, err := os.Stat(filepath.Join(dir, sessionKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	again, err := c.sessionKeys()
	if err != nil || string(again[0]) != string(keys[0]) {
		t.Fatalf("key not kept: %q vs %q (%v)", again, keys, err)
	}
	c.RedisURL = "redis://localhost"
	if _, err := c.sessionKeys(); err == nil || !strings.Contains(err.Error(), "PARLEY_SESSION_KEYS is required") {
		t.Fatalf("cluster without keys: %v", err)
	}
	c.SessionKeys = []string{strings.Repeat("k", 32)}
	if keys, err := c.sessionKeys(); err != nil || string(keys[0]) != c.SessionKeys[0] {
		t.Fatalf("configured keys: %q %v", keys, err)
	}
}

// TestInboundConfig: the reply-by-email settings are checked with clear
// errors naming the variable.
func TestInboundConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		want string // "" : valid
	}{
		{map[string]string{"PARLEY_INBOUND_SMTP_DOMAIN": "reply.example.com", "PARLEY_INBOUND_SMTP_ADDR": ":2525"}, ""},
		{map[string]string{"PARLEY_INBOUND_SMTP_DOMAIN": "reply.example.com", "PARLEY_INBOUND_SMTP_ADDR": "/run/parley/lmtp.sock",
			"PARLEY_INBOUND_SMTP_LMTP": "true"}, ""},
		{map[string]string{"PARLEY_INBOUND_SMTP_ADDR": ":2525"}, "PARLEY_INBOUND_SMTP_ADDR: needs PARLEY_INBOUND_SMTP_DOMAIN"},
		{map[string]string{"PARLEY_INBOUND_SMTP_DOMAIN": "not a domain"}, "PARLEY_INBOUND_SMTP_DOMAIN"},
		{map[string]string{"PARLEY_INBOUND_SMTP_DOMAIN": "reply.example.com", "PARLEY_INBOUND_SMTP_ADDR": "2525"}, "is not host:port"},
		{map[string]string{"PARLEY_INBOUND_SMTP_LMTP": "yes please"}, "PARLEY_INBOUND_SMTP_LMTP"},
		{map[string]string{"PARLEY_INBOUND_SMTP_TLS_CERT": "/etc/cert.pem"}, "go together"},
		{map[string]string{"PARLEY_REPLY_TOKEN_TTL": "0s"}, "PARLEY_REPLY_TOKEN_TTL"},
	} {
		fs := flag.NewFlagSet("parley", flag.ContinueOnError)
		resolve := configFlags(fs, func(k string) string { return tt.env[k] })
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		c, err := resolve()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want one with %q", tt.env, err, tt.want)
		case tt.want == "" && c.InboundDomain != "reply.example.com":
			t.Errorf("%v: domain %q", tt.env, c.InboundDomain)
		}
	}
}
