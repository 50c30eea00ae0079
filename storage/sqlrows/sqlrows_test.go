package sqlrows

import (
	"errors"
	"slices"
	"strconv"
	"testing"
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
