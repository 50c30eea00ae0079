package main

import (
	"encoding/json"
	"testing"
	"time"
)

// fastEvent must read what encoding/json reads from the server's event
// frames, and decline anything else.
func TestFastEventMatchesJSON(t *testing.T) {
	t.Parallel()
	type message struct {
		ID       int64  `json:"id"`
		Channel  string `json:"channel"`
		Seq      int64  `json:"seq"`
		AuthorID int64  `json:"author_id"`
		Name     string `json:"author_name"`
		Body     string `json:"body"`
	}
	type event struct {
		Type    string  `json:"type"`
		Channel string  `json:"channel"`
		Event   string  `json:"event"`
		Seq     int64   `json:"seq,omitempty"`
		Data    message `json:"data"`
	}
	b := body(3, 7, time.Now())
	good, _ := json.Marshal(event{"event", "topic:12", "message.new", 42, message{9, "topic:12", 42, 5, `Bench "5"`, b}})
	var want, got frame
	if err := json.Unmarshal(good, &want); err != nil {
		t.Fatal(err)
	}
	if !fastEvent(good, &got) {
		t.Fatalf("fastEvent declined %s", good)
	}
	if got.Type != want.Type || got.Channel != want.Channel || got.Event != want.Event || got.Seq != want.Seq || got.Data.Body != want.Data.Body {
		t.Fatalf("fastEvent read %+v, encoding/json %+v", got, want)
	}
	escaped, _ := json.Marshal(event{"event", "topic:12", "message.new", 43, message{Body: `a "quoted" body`}})
	for _, line := range [][]byte{
		escaped,
		[]byte(`{"type":"ack","id":"p1-1","seq":3}`),
		[]byte(`{"type":"event","channel":"topic:1","event":"typing","data":{"user_id":1}}`),
	} {
		var f frame
		if fastEvent(line, &f) {
			t.Errorf("fastEvent accepted %s as %+v", line, f)
		}
	}
}
