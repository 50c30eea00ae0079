package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/pgtest"
	"parley/storage/postgres"
	"parley/storage/storetest"
	"parley/tools/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// open returns a store on a fresh migrated database, closed when t ends.
func open(t *testing.T) *postgres.Store {
	t.Helper()
	return openNodes(t, 1)[0]
}

// openNodes returns n stores (pools) on one fresh migrated database, as n
// nodes would have, closed when t ends.
func openNodes(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	url := pgtest.NewDatabase(t)
	out := make([]*postgres.Store, n)
	for i := range out {
		s, err := postgres.Open(t.Context(), url, zerolog.Nop())
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		// Registered after pgtest's drop, so it runs first.
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Engine{
		New: func(t *testing.T) chat.Store { return open(t) },
		NewNodes: func(t *testing.T, n int) []chat.Store {
			var out []chat.Store
			for _, s := range openNodes(t, n) {
				out = append(out, s)
			}
			return out
		},
	})
}

// Nodes starting at once on an empty database all open (Open migrates),
// and the migrations ran once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	const nodes = 4
	errs := make(chan error, nodes)
	start := make(chan struct{})
	for range nodes {
		go func() {
			<-start
			s, err := postgres.Open(t.Context(), url, zerolog.Nop())
			if err == nil {
				_ = s.Close()
			}
			errs <- err
		}()
	}
	close(start)
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatalf("open: %v", err)
		}
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	var applied int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id = 1").Scan(&applied); err != nil {
		t.Fatalf("read goose versions: %v", err)
	}
	if applied != 1 {
		t.Fatalf("migration 1 applied %d times, want 1", applied)
	}
	// Migrating a migrated database is a no-op.
	if err := postgres.Migrate(t.Context(), url); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
}

// Concurrent posters get seqs 1..N with no gap or duplicate, and commit
// order equals seq order.
func TestChannelSeqConcurrent(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "seq")
	g := f.NewGroup(t, "g", f.EmployeeA.ID)
	tp := f.NewTopic(t, g.ID, "t")
	ch := chat.TopicChannel(tp.ID)

	const posters, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, posters*each)
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				err := s.InTx(t.Context(), func(tx chat.Store) error {
					seq, err := tx.ChannelNextSeq(t.Context(), f.Tenant.ID, ch)
					if err != nil {
						return err
					}
					m := chat.Message{TenantID: f.Tenant.ID, Channel: ch, Seq: seq, AuthorID: f.EmployeeA.ID,
						Body: "hello", ClientMsgID: string(rune('a'+p)) + "-" + string(rune('a'+i))}
					return tx.MessageInsert(t.Context(), &m)
				})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("post: %v", err)
		}
	}
	msgs, err := s.MessageHistory(t.Context(), f.Tenant.ID, ch, 0, posters*each+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != posters*each {
		t.Fatalf("got %d messages, want %d", len(msgs), posters*each)
	}
	var seqs []int64
	for _, m := range msgs {
		seqs = append(seqs, m.Seq)
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("seqs = %v, want 1..%d", seqs, posters*each)
		}
	}
	// Message ids come from a SEQUENCE (not commit-ordered); seq order must
	// nonetheless agree with commit order, which the counter lock ensures.
	last, err := s.ChannelLastSeq(t.Context(), f.Tenant.ID, ch)
	if err != nil || last != posters*each {
		t.Fatalf("last seq = %d, %v; want %d", last, err, posters*each)
	}
}

// A seq taken in a rolled-back transaction is handed out again: no gaps.
func TestChannelSeqRollback(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "seqrb")
	g := f.NewGroup(t, "g")
	ch := chat.TopicChannel(f.NewTopic(t, g.ID, "t").ID)
	boom := errors.New("boom")
	err := s.InTx(t.Context(), func(tx chat.Store) error {
		if _, err := tx.ChannelNextSeq(t.Context(), f.Tenant.ID, ch); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	seq, err := s.ChannelNextSeq(t.Context(), f.Tenant.ID, ch)
	if err != nil || seq != 1 {
		t.Fatalf("seq after rollback = %d, %v; want 1", seq, err)
	}
}

// Two workers claiming at once never get the same job, and between them
// they get every due job.
func TestNotifyJobClaimSkipLocked(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "claim")
	now := f.Now
	const jobs = 40
	for i := range jobs {
		j := chat.NotifyJob{TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, Reason: chat.ReasonMention,
			Channel: chat.TopicChannel(1), MessageID: int64(i + 1), DueAt: now.Add(-time.Minute)}
		if err := s.NotifyJobEnqueue(t.Context(), &j); err != nil {
			t.Fatal(err)
		}
	}

	// Worker A holds its claim open in a transaction while B claims: B
	// must skip A's rows instead of waiting for them.
	claimedA := make(chan []chat.NotifyJob, 1)
	releaseA := make(chan struct{})
	errA := make(chan error, 1)
	go func() {
		errA <- s.InTx(t.Context(), func(tx chat.Store) error {
			js, err := tx.NotifyJobClaim(t.Context(), now, now.Add(time.Minute), jobs/2)
			if err != nil {
				return err
			}
			claimedA <- js
			<-releaseA
			return nil
		})
	}()
	a := <-claimedA
	b, err := s.NotifyJobClaim(t.Context(), now, now.Add(time.Minute), jobs)
	close(releaseA)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	if len(a) != jobs/2 || len(b) != jobs/2 {
		t.Fatalf("claimed %d and %d, want %d each", len(a), len(b), jobs/2)
	}
	seen := map[int64]bool{}
	for _, j := range append(a, b...) {
		if seen[j.ID] {
			t.Fatalf("job %d claimed twice", j.ID)
		}
		seen[j.ID] = true
		if j.Attempts != 1 || !j.DueAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("job %d: attempts %d due %v, want 1 and the lease", j.ID, j.Attempts, j.DueAt)
		}
	}

	// Many concurrent claimers: every job exactly once.
	for i := range jobs {
		j := chat.NotifyJob{TenantID: f.Tenant.ID, UserID: f.EmployeeB.ID, Reason: chat.ReasonMention,
			Channel: chat.TopicChannel(1), MessageID: int64(100 + i), DueAt: now}
		if err := s.NotifyJobEnqueue(t.Context(), &j); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	got := map[int64]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				js, err := s.NotifyJobClaim(t.Context(), now, now.Add(time.Minute), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(js) == 0 {
					return
				}
				mu.Lock()
				for _, j := range js {
					got[j.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != jobs {
		t.Fatalf("claimed %d distinct jobs, want %d", len(got), jobs)
	}
	for id, n := range got {
		if n != 1 {
			t.Fatalf("job %d claimed %d times", id, n)
		}
	}

	// After the lease passes, unfinished jobs come back with attempts+1.
	again, err := s.NotifyJobClaim(t.Context(), now.Add(2*time.Minute), now.Add(3*time.Minute), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2*jobs {
		t.Fatalf("reclaimed %d jobs after lease, want %d", len(again), 2*jobs)
	}
	if again[0].Attempts != 2 {
		t.Fatalf("attempts after reclaim = %d, want 2", again[0].Attempts)
	}
}

// A cancelled context inside InTx leaves no connection behind: the pool
// can still be drained of every connection afterwards.
func TestInTxCancelReturnsConnection(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "cancel")
	max := s.Pool().Config().MaxConns
	for range max * 2 {
		ctx, cancel := context.WithCancel(t.Context())
		err := s.InTx(ctx, func(tx chat.Store) error {
			if _, err := tx.TenantGet(ctx, f.Tenant.ID); err != nil {
				return err
			}
			cancel()
			return ctx.Err()
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("InTx = %v, want context.Canceled", err)
		}
	}
	// Every connection is usable: take them all at once.
	var conns []interface{ Release() }
	for range max {
		c, err := s.Pool().Acquire(t.Context())
		if err != nil {
			t.Fatalf("acquire: %v", err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
}

// Nested InTx joins the outer transaction: the inner write rolls back with
// the outer failure.
func TestInTxNested(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "nested")
	boom := errors.New("boom")
	err := s.InTx(t.Context(), func(tx chat.Store) error {
		if err := tx.InTx(t.Context(), func(inner chat.Store) error {
			c := chat.Company{TenantID: f.Tenant.ID, Name: "inner"}
			return inner.CompanyCreate(t.Context(), &c)
		}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	cs, err := s.CompanyList(t.Context(), f.Tenant.ID, chat.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("companies = %d, want the fixture's 2 (inner insert rolled back)", len(cs))
	}
}

// A repeated client id is EConflict and leaves the transaction usable, so
// the original can be read in the same transaction.
func TestMessageInsertDuplicateKeepsTx(t *testing.T) {
	t.Parallel()
	s := open(t)
	f := storetest.NewFixture(t, s, "dup")
	g := f.NewGroup(t, "g", f.EmployeeA.ID)
	ch := chat.TopicChannel(f.NewTopic(t, g.ID, "t").ID)
	err := s.InTx(t.Context(), func(tx chat.Store) error {
		for i := range 2 {
			seq, err := tx.ChannelNextSeq(t.Context(), f.Tenant.ID, ch)
			if err != nil {
				return err
			}
			m := chat.Message{TenantID: f.Tenant.ID, Channel: ch, Seq: seq, AuthorID: f.EmployeeA.ID, ClientMsgID: "c1", Body: "hi"}
			err = tx.MessageInsert(t.Context(), &m)
			if i == 0 && err != nil {
				return err
			}
			if i == 1 && !chat.IsCode(err, chat.EConflict) {
				t.Fatalf("second insert = %v, want conflict", err)
			}
		}
		orig, err := tx.MessageByClientID(t.Context(), f.Tenant.ID, f.EmployeeA.ID, "c1")
		if err != nil {
			return err
		}
		if orig.Seq != 1 {
			t.Fatalf("original seq = %d", orig.Seq)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
}
