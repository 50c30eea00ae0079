package sqlite

import (
	"testing"

	"parley/chat"
)

// Both engines bound "at most n" alike (storage/*/limit_test.go).
func TestLimit(t *testing.T) {
	for n, want := range map[int]int{
		-1: chat.DefaultPageSize, 0: chat.DefaultPageSize, 1: 1,
		chat.MaxBatchSize: chat.MaxBatchSize, chat.MaxBatchSize + 1: chat.MaxBatchSize, 1 << 40: chat.MaxBatchSize,
	} {
		if got := int(limit(n)); got != want {
			t.Errorf("limit(%d) = %d, want %d", n, got, want)
		}
	}
}
