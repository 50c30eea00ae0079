package hub

import (
	"bytes"
	"encoding/json"
	"testing"

	"parley/chat"
)

// FuzzClientFrame: any bytes a socket sends decode into a clientFrame or
// fail cleanly; an id validID accepts is short and echoes as valid JSON;
// a channel either parses to one that prints back to itself or is refused
// with EInvalid.
func FuzzClientFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping","id":1}`,
		`{"type":"publish","channel":"topic:7","body":"hi","client_msg_id":"c1","mentions":[1,2],"attachment_ids":[3]}`,
		`{"type":"subscribe","channel":"conversation:9","since":5,"id":"abc"}`,
		`{"type":"history","channel":"topic:1","before_seq":10,"limit":50}`,
		`{"type":"presence","user_ids":[1,2,3]}`,
		`{"id":{"a":1},"type":"ping"}`,
		`{"id":"` + string(bytes.Repeat([]byte("x"), 70)) + `"}`,
		`{"type":"subscribe","channel":"topic:+5"}`,
		`{"type":"subscribe","channel":"user:-1"}`,
		`[1,2]`, `null`, `{"type":1}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fr clientFrame
		if err := json.Unmarshal(line, &fr); err != nil {
			return
		}
		if validID(fr.ID) {
			if len(fr.ID) > maxIDLen {
				t.Fatalf("validID accepted %d bytes", len(fr.ID))
			}
			// The id is echoed raw inside an answer: it must keep the
			// frame valid JSON.
			b := mustMarshal(pongFrame{Type: "pong", ID: fr.ID})
			if !json.Valid(b) {
				t.Fatalf("pong with id %q is not JSON: %s", fr.ID, b)
			}
		}
		ch, err := chat.ParseChannel(fr.Channel)
		if err != nil {
			if !chat.IsCode(err, chat.EInvalid) {
				t.Fatalf("ParseChannel(%q): %v, want EInvalid", fr.Channel, err)
			}
			return
		}
		if ch.ID <= 0 {
			t.Fatalf("ParseChannel(%q) = %v: id not positive", fr.Channel, ch)
		}
		again, err := chat.ParseChannel(ch.String())
		if err != nil || again != ch {
			t.Fatalf("ParseChannel(%q) = %v, its String %q parses to %v, %v", fr.Channel, ch, ch.String(), again, err)
		}
	})
}

// FuzzEnvelope: broker payloads (from Redis, so from any node or anyone
// who can publish there) decode without panicking, and a decoded envelope
// encodes to a payload that decodes to the same event.
func FuzzEnvelope(f *testing.F) {
	f.Add(encodeEnvelope(wireEvent{seq: 12, typ: chat.EventMessageNew, frame: []byte(`{"type":"event"}`)}))
	f.Add(encodeEnvelope(wireEvent{seq: 0, typ: chat.EventTyping, session: "s1", frame: []byte(`{}`)}))
	f.Add([]byte("P1 99999999999999999999 message.new -\n{}"))
	f.Add([]byte("P1 1  -\n"))
	f.Add([]byte("P1 -1 x -\n"))
	f.Add([]byte("P1 1 x y z\nframe"))
	f.Fuzz(func(t *testing.T, p []byte) {
		ev, ok := decodeEnvelope(p)
		if !ok {
			return
		}
		if ev.seq < 0 {
			t.Fatalf("decoded seq %d", ev.seq)
		}
		again, ok := decodeEnvelope(encodeEnvelope(ev))
		if !ok || again.seq != ev.seq || again.typ != ev.typ || again.session != ev.session || !bytes.Equal(again.frame, ev.frame) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", p, again, ok, ev)
		}
	})
}
