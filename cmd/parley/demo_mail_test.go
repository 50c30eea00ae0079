package main

import (
	"testing"
	"time"

	"parley/mail/smtptest"
)

// --demo with SMTP configured sends no email for the seeded history: the
// seeding's notification jobs are gone before the outbox worker starts,
// so there is nothing for it to send, and the SMTP server got nothing.
func TestDemoSeedingSendsNoMail(t *testing.T) {
	t.Parallel()
	mail := smtptest.New(t, smtptest.Options{})
	cfg := testConfig(t)
	cfg.Demo = true
	cfg.SMTPURL = mail.URL()
	cfg.NotifyDelay = time.Millisecond // every seeded job would be due at once
	m := NewMain(cfg, testLogger(t), newOutput())
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	far := time.Now().AddDate(200, 0, 0)
	jobs, err := m.store.NotifyJobClaim(t.Context(), far, far, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 0 {
		t.Fatalf("%d notification jobs of the seeding are pending, want none: %+v", len(jobs), jobs[0])
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := mail.Messages(); len(got) != 0 {
		t.Fatalf("seeding sent %d emails, to %v first", len(got), got[0].To)
	}
}
