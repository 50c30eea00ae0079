package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"parley/chat"
)

// backlogStore answers NotifyJobBacklog from its fields and counts calls;
// the rest of chat.Store is not used.
type backlogStore struct {
	chat.Store
	backlog chat.NotifyBacklog
	err     error
	calls   int
}

func (s *backlogStore) NotifyJobBacklog(ctx context.Context, now time.Time, limit int) (chat.NotifyBacklog, error) {
	s.calls++
	if limit != outboxCountLimit {
		return chat.NotifyBacklog{}, errors.New("unexpected limit")
	}
	return s.backlog, s.err
}

// The collector reads the store at most every outboxReadEvery, ages the
// oldest due job on every scrape, and on a failed read leaves the
// gauges out and counts the error.
func TestOutboxCollector(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	st := &backlogStore{backlog: chat.NotifyBacklog{Pending: 7, Due: 3, OldestDue: now.Add(-90 * time.Second)}}
	c := newOutboxCollector(st, zerolog.Nop())
	c.now = func() time.Time { return now }
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := func(text string) {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
				got = append(got, fmt.Sprintf("%s %g", mf.GetName(), v))
			}
		}
		if g := strings.Join(got, "; "); g != text {
			t.Fatalf("scraped %q, want %q", g, text)
		}
	}
	want("parley_outbox_due_jobs 3; parley_outbox_oldest_due_age_seconds 90; parley_outbox_pending_jobs 7; parley_outbox_read_errors_total 0")
	now = now.Add(2 * time.Second) // cached, but the age moves on
	want("parley_outbox_due_jobs 3; parley_outbox_oldest_due_age_seconds 92; parley_outbox_pending_jobs 7; parley_outbox_read_errors_total 0")
	if st.calls != 1 {
		t.Fatalf("%d reads within %v, want 1", st.calls, outboxReadEvery)
	}
	now = now.Add(outboxReadEvery)
	st.err = chat.Errorf(chat.EUnavailable, "database down")
	want("parley_outbox_read_errors_total 1")
	want("parley_outbox_read_errors_total 1") // the failure is cached too
	now = now.Add(outboxReadEvery)
	st.err, st.backlog = nil, chat.NotifyBacklog{Pending: 1}
	want("parley_outbox_due_jobs 0; parley_outbox_oldest_due_age_seconds 0; parley_outbox_pending_jobs 1; parley_outbox_read_errors_total 1")
	if st.calls != 3 {
		t.Fatalf("%d reads, want 3", st.calls)
	}
}
