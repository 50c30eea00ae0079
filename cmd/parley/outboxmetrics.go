package main

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"parley/chat"
)

// The outbox backlog is read at scrape time, at most once per
// outboxReadEvery whatever the number of scrapers, with a bounded query
// (each count stops at outboxCountLimit) and a timeout, so that a large
// backlog or a slow database cannot make /metrics expensive.
const (
	outboxReadEvery   = 5 * time.Second
	outboxReadTimeout = 2 * time.Second
	outboxCountLimit  = 100_000
)

// outboxCollector exports the notification outbox's backlog. Every node
// reads the same shared outbox: dashboards and alerts take max over the
// nodes, not sum.
type outboxCollector struct {
	store chat.Store
	log   zerolog.Logger
	now   func() time.Time

	pending, due, oldest *prometheus.Desc
	errors               prometheus.Counter

	mu   sync.Mutex
	at   time.Time // of the last read, failed or not
	last chat.NotifyBacklog
	ok   bool // the last read worked
}

func newOutboxCollector(store chat.Store, log zerolog.Logger) *outboxCollector {
	return &outboxCollector{
		store: store, log: log.With().Str("component", "metrics").Logger(), now: time.Now,
		pending: prometheus.NewDesc("parley_outbox_pending_jobs",
			"Notification jobs in the outbox (due, held by a worker, scheduled or waiting to be retried), counted up to 100,000.", nil, nil),
		due: prometheus.NewDesc("parley_outbox_due_jobs",
			"Notification jobs due now that no worker holds, counted up to 100,000.", nil, nil),
		oldest: prometheus.NewDesc("parley_outbox_oldest_due_age_seconds",
			"How long the longest-waiting due notification job has waited for a worker (0: none is due).", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "outbox", Name: "read_errors_total",
			Help: "Reads of the outbox backlog for /metrics that failed (database slow or down); the backlog figures are left out of that scrape.",
		}),
	}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.due
	ch <- c.oldest
	c.errors.Describe(ch)
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	if b, ok := c.read(); ok {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(b.Pending))
		ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(b.Due))
		age := 0.0
		if !b.OldestDue.IsZero() {
			age = max(0, c.now().Sub(b.OldestDue).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	}
	c.errors.Collect(ch)
}

// read returns the backlog, from the database when the last read is older
// than outboxReadEvery. A failed read is remembered as long, so that a
// database in trouble is not asked by every scrape.
func (c *outboxCollector) read() (chat.NotifyBacklog, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.at.IsZero() && now.Sub(c.at) < outboxReadEvery {
		return c.last, c.ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), outboxReadTimeout)
	defer cancel()
	b, err := c.store.NotifyJobBacklog(ctx, now, outboxCountLimit)
	c.at, c.last, c.ok = now, b, err == nil
	if err != nil {
		c.errors.Inc()
		c.log.Warn().Err(err).Msg("reading the notification outbox backlog")
	}
	return c.last, c.ok
}
