package sqlrows

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"parley/chat"
)

var errQuery = errors.New("query failed")

// failed marks a failure as passed through an engine's translation.
func failed(err error) error { return errors.Join(errors.New("translated"), err) }

func TestListConvertsInOrder(t *testing.T) {
	got, err := List(failed, strconv.Itoa)([]int{3, 1, 2}, nil)
	if err != nil || !slices.Equal(got, []string{"3", "1", "2"}) {
		t.Fatalf("List = %q, %v", got, err)
	}
	got, err = List(failed, strconv.Itoa)(nil, nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("List of no rows = %#v, %v; want an empty, non-nil slice", got, err)
	}
}

func TestListTranslatesFailure(t *testing.T) {
	got, err := List(failed, strconv.Itoa)([]int{1}, errQuery)
	if got != nil || !errors.Is(err, errQuery) || err.Error() != "translated\nquery failed" {
		t.Fatalf("List of a failed query = %q, %v", got, err)
	}
}

func TestOne(t *testing.T) {
	got, err := One(failed, strconv.Itoa)(7, nil)
	if err != nil || got != "7" {
		t.Fatalf("One = %q, %v", got, err)
	}
	got, err = One(failed, strconv.Itoa)(7, errQuery)
	if got != "" || !errors.Is(err, errQuery) || err.Error() != "translated\nquery failed" {
		t.Fatalf("One of a failed query = %q, %v; want the zero value and the translated failure", got, err)
	}
}

func TestTryListStopsAtAFailedConversion(t *testing.T) {
	got, err := TryList(failed, strconv.Atoi)([]string{"1", "2"}, nil)
	if err != nil || !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("TryList = %v, %v", got, err)
	}
	got, err = TryList(failed, strconv.Atoi)([]string{"1", "x"}, nil)
	var ne *strconv.NumError
	if got != nil || !errors.As(err, &ne) || errors.Is(err, errQuery) {
		t.Fatalf("TryList of an undecodable row = %v, %v; want its conversion error, unchanged", got, err)
	}
	got, err = TryList(failed, strconv.Atoi)(nil, errQuery)
	if got != nil || err.Error() != "translated\nquery failed" {
		t.Fatalf("TryList of a failed query = %v, %v", got, err)
	}
}

func TestChannelIDs(t *testing.T) {
	topics, convs, notes := ChannelIDs([]chat.Channel{chat.TopicChannel(1), chat.ConversationChannel(2),
		chat.TopicChannel(3), {Kind: chat.KindNote, ID: 4}, {Kind: chat.KindUser, ID: 5}})
	if !slices.Equal(topics, []int64{1, 3}) || !slices.Equal(convs, []int64{2}) || !slices.Equal(notes, []int64{4}) {
		t.Fatalf("ChannelIDs = %v, %v, %v", topics, convs, notes)
	}
	topics, convs, notes = ChannelIDs(nil)
	if topics == nil || convs == nil || notes == nil || len(topics)+len(convs)+len(notes) != 0 {
		t.Fatalf("ChannelIDs(nil) = %#v, %#v, %#v; want empty, non-nil lists", topics, convs, notes)
	}
}

func TestViaAndPersisted(t *testing.T) {
	if Via("") != string(chat.ViaEmail) || Via(chat.ViaPush) != string(chat.ViaPush) {
		t.Fatalf(`Via("") = %q, Via(push) = %q`, Via(""), Via(chat.ViaPush))
	}
	if err := Persisted(chat.TopicChannel(1)); err != nil {
		t.Fatalf("Persisted(topic) = %v", err)
	}
	if code := chat.ErrorCode(Persisted(chat.Channel{Kind: chat.KindUser, ID: 1})); code != chat.EInvalid {
		t.Fatalf("Persisted(user channel) code = %q, want %q", code, chat.EInvalid)
	}
}
