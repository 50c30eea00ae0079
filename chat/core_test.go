package chat_test

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/chat"
)

func TestParseChannel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want chat.Channel
		code string
	}{
		{"topic:12", chat.TopicChannel(12), ""},
		{"conversation:7", chat.ConversationChannel(7), ""},
		{"user:3", chat.UserChannel(3), ""},
		{"topic:0", chat.Channel{}, chat.EInvalid},
		{"topic:-1", chat.Channel{}, chat.EInvalid},
		{"room:1", chat.Channel{}, chat.EInvalid},
		{"topic", chat.Channel{}, chat.EInvalid},
		{"topic:1x", chat.Channel{}, chat.EInvalid},
		{"", chat.Channel{}, chat.EInvalid},
	} {
		got, err := chat.ParseChannel(tc.in)
		if chat.ErrorCode(err) != tc.code || got != tc.want {
			t.Errorf("ParseChannel(%q) = %v, %v; want %v, code %q", tc.in, got, err, tc.want, tc.code)
		}
	}
}

func TestChannelJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(chat.Message{Channel: chat.TopicChannel(5)})
	if err != nil || !strings.Contains(string(b), `"channel":"topic:5"`) {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var m chat.Message
	if err := json.Unmarshal([]byte(`{"channel":"conversation:9"}`), &m); err != nil || m.Channel != chat.ConversationChannel(9) {
		t.Fatalf("unmarshal: %v %v", m.Channel, err)
	}
	if err := json.Unmarshal([]byte(`{"channel":"nope"}`), &m); err == nil {
		t.Fatal("bad channel accepted")
	}
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := chat.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash format %q", h)
	}
	if !chat.VerifyPassword(h, "correct horse battery") {
		t.Fatal("right password refused")
	}
	for _, bad := range []string{"", "correct horse batter", "correct horse battery "} {
		if chat.VerifyPassword(h, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	if chat.VerifyPassword("$argon2id$garbage", "x") || chat.VerifyPassword("", "") {
		t.Fatal("malformed hash accepted")
	}
	h2, _ := chat.HashPassword("correct horse battery")
	if h2 == h {
		t.Fatal("salt not random")
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	if e, err := chat.NormalizeEmail("  Ann@Example.COM "); err != nil || e != "ann@example.com" {
		t.Fatalf("normalize: %q %v", e, err)
	}
	for _, bad := range []string{"", "ann", "ann@", "Ann <ann@example.com>", "a\r\nb@example.com", "a,b@example.com",
		strings.Repeat("a", 250) + "@example.com"} {
		if _, err := chat.NormalizeEmail(bad); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("email %q accepted (%v)", bad, err)
		}
	}
	// External addresses must be on a public domain: not the server's own
	// machine or network.
	for _, good := range []string{"auditor@example.com", "a.b+c@mail.example.co.uk", "x@xn--bcher-kva.example", "x@bücher.de"} {
		if _, err := chat.NormalizeExternalEmail(good); err != nil {
			t.Errorf("external email %q refused: %v", good, err)
		}
	}
	for _, bad := range []string{"x@localhost", "x@[127.0.0.1]", "x@[ipv6:::1]", "x@127.0.0.1", "x@10.0.0.1", "x@intranet",
		"x@mail.localhost", "x@printer.local", "x@db.internal", "x@host.test", "x@a.invalid", "x@router.home.arpa",
		"x@1.0.0.127.in-addr.arpa", "x@localhost.", "x@-bad.example", "x@a..example", "not an address"} {
		if _, err := chat.NormalizeExternalEmail(bad); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("external email %q accepted (%v)", bad, err)
		}
	}
	if _, err := chat.ValidateName("name", strings.Repeat("ä", chat.MaxNameLen), chat.MaxNameLen); err != nil {
		t.Errorf("max-length name refused: %v", err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", chat.MaxNameLen+1), "a\nb", "a\x00b", "\xff"} {
		if _, err := chat.ValidateName("name", bad, chat.MaxNameLen); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("name %q accepted (%v)", bad, err)
		}
	}
	if err := chat.ValidatePassword("short"); !chat.IsCode(err, chat.EInvalid) {
		t.Error("short password accepted")
	}
	if l, err := chat.ValidateLocale(""); err != nil || l != "en" {
		t.Error("default locale")
	}
	if _, err := chat.ValidateLocale("de"); err == nil {
		t.Error("unknown locale accepted")
	}
}

func TestErrorVocabulary(t *testing.T) {
	t.Parallel()
	err := chat.Internal(errFake("db down: secret dsn"), "load user")
	if chat.ErrorCode(err) != chat.EInternal || chat.ErrorMessage(err) != "internal error" {
		t.Fatalf("internal error leaks: %q", chat.ErrorMessage(err))
	}
	if chat.ErrorCode(errFake("x")) != chat.EInternal || chat.ErrorCode(nil) != "" {
		t.Fatal("foreign error code")
	}
	nf := chat.NotFound("topic")
	if chat.ErrorMessage(nf) != "topic not found" || !chat.IsCode(nf, chat.ENotFound) {
		t.Fatal("not found")
	}
}

type errFake string

func (e errFake) Error() string { return string(e) }

// Both engines bound "at most n" with BatchLimit.
func TestBatchLimit(t *testing.T) {
	for n, want := range map[int]int{
		-1: chat.DefaultPageSize, 0: chat.DefaultPageSize, 1: 1,
		chat.MaxBatchSize: chat.MaxBatchSize, chat.MaxBatchSize + 1: chat.MaxBatchSize, 1 << 40: chat.MaxBatchSize,
	} {
		if got := chat.BatchLimit(n); got != want {
			t.Errorf("BatchLimit(%d) = %d, want %d", n, got, want)
		}
	}
}
