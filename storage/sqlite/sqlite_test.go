package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"parley/chat"
	"parley/storage/sqlite"
	"parley/storage/storetest"
	"parley/tools/leakcheck"
)

// template is a migrated database file that newStore copies: migrating
// under the race detector takes most of a second, copying a file does not.
var template struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		_ = os.RemoveAll(template.dir)
	}
	if code == 0 {
		if err := leakcheck.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func templatePath(t *testing.T) string {
	t.Helper()
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "parley-sqlite-template-")
		if template.err != nil {
			return
		}
		template.path = filepath.Join(template.dir, "template.db")
		s, err := sqlite.Open(context.Background(), template.path, zerolog.Nop())
		if err != nil {
			template.err = err
			return
		}
		template.err = s.Close()
	})
	if template.err != nil {
		t.Fatalf("template database: %v", template.err)
	}
	return template.path
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, zerolog.Nop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newStore opens a fresh database: a copy of the migrated template (Open
// still runs the migrations, which then have nothing to do).
func newStore(t *testing.T) chat.Store { return newSQLiteStore(t) }

func newSQLiteStore(t *testing.T) *sqlite.Store {
	path := filepath.Join(t.TempDir(), "parley.db")
	copyFile(t, templatePath(t), path)
	return open(t, path)
}

// newNodes opens n stores on one fresh database, as n processes sharing
// the file would.
func newNodes(t *testing.T, n int) []chat.Store {
	path := filepath.Join(t.TempDir(), "parley.db")
	copyFile(t, templatePath(t), path)
	out := make([]chat.Store, n)
	for i := range out {
		out[i] = open(t, path)
	}
	return out
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Engine{New: newStore, NewNodes: newNodes})
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A new file in a directory Open has to make, migrated by Open.
	path := filepath.Join(t.TempDir(), "data", "parley.db")

	s, err := sqlite.Open(ctx, path, zerolog.Nop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f := storetest.NewFixture(t, s, "reopen")
	g := f.NewGroup(t, "group", f.EmployeeA.ID)
	tp := f.NewTopic(t, g.ID, "topic")
	m := f.PostMessage(t, chat.TopicChannel(tp.ID), f.EmployeeA.ID, "kept across restarts")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Opening again runs the migrations again: they must be a no-op.
	s2 := open(t, path)
	got, err := s2.MessageGet(ctx, f.Tenant.ID, m.ID)
	storetest.NoErr(t, err, "MessageGet after reopen")
	if got.Body != m.Body || got.Seq != 1 {
		t.Fatalf("message after reopen = %+v", got)
	}
	storetest.SameTime(t, "CreatedAt", got.CreatedAt, m.CreatedAt)
	seq, err := s2.ChannelNextSeq(ctx, f.Tenant.ID, chat.TopicChannel(tp.ID))
	storetest.NoErr(t, err, "ChannelNextSeq after reopen")
	if seq != 2 {
		t.Fatalf("next seq after reopen = %d, want 2", seq)
	}
	res, err := s2.MessageSearch(ctx, f.Tenant.ID, "restarts", []chat.Channel{chat.TopicChannel(tp.ID)}, chat.MessageFilter{}, 10)
	storetest.NoErr(t, err, "MessageSearch after reopen")
	if len(res) != 1 || res[0].ID != m.ID {
		t.Fatalf("search after reopen = %+v", res)
	}
}

// TestConcurrentWriters: many goroutines, each taking the next seq and
// inserting a message in one transaction, get exactly 1..N with no
// SQLITE_BUSY, and plain writes interleave with them.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newSQLiteStore(t)
	f := storetest.NewFixture(t, s, "concurrent")
	g := f.NewGroup(t, "group", f.EmployeeA.ID)
	tp := f.NewTopic(t, g.ID, "topic")
	ch := chat.TopicChannel(tp.ID)

	const n = 40
	seqs := make(chan int64, n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			err := s.InTx(ctx, func(tx chat.Store) error {
				seq, err := tx.ChannelNextSeq(ctx, f.Tenant.ID, ch)
				if err != nil {
					return err
				}
				m := chat.Message{TenantID: f.Tenant.ID, Channel: ch, Seq: seq, AuthorID: f.EmployeeA.ID,
					ClientMsgID: fmt.Sprintf("c-%d", i), Body: fmt.Sprintf("message %d", i)}
				if err := tx.MessageInsert(ctx, &m); err != nil {
					return err
				}
				seqs <- seq
				return nil
			})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			// A write outside any transaction, and a read, meanwhile.
			n := chat.Notification{TenantID: f.Tenant.ID, UserID: f.EmployeeA.ID, Kind: "k", Channel: ch, Title: "t"}
			if err := s.NotificationCreate(ctx, &n); err != nil {
				errs <- err
				return
			}
			_, err := s.MessageHistory(ctx, f.Tenant.ID, ch, 0, 5)
			errs <- err
		}()
	}
	wg.Wait()
	close(seqs)
	close(errs)
	for err := range errs {
		storetest.NoErr(t, err, "concurrent write")
	}
	var got []int64
	for s := range seqs {
		got = append(got, s)
	}
	slices.Sort(got)
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("seqs = %v, want 1..%d", got, n)
		}
	}
	hist, err := s.MessageHistory(ctx, f.Tenant.ID, ch, 0, 100)
	storetest.NoErr(t, err, "MessageHistory")
	if len(hist) != n {
		t.Fatalf("history has %d messages, want %d", len(hist), n)
	}
	count, err := s.NotificationUnreadCount(ctx, f.Tenant.ID, f.EmployeeA.ID)
	storetest.NoErr(t, err, "NotificationUnreadCount")
	if count != n {
		t.Fatalf("notifications = %d, want %d", count, n)
	}
}

// TestInTxRollsBackOnCancel: a transaction whose context ends before commit
// is rolled back and the writer connection is free again.
func TestInTxRollsBackOnCancel(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	f := storetest.NewFixture(t, s, "cancel")
	ctx, cancel := context.WithCancel(t.Context())
	err := s.InTx(ctx, func(tx chat.Store) error {
		c := chat.Company{TenantID: f.Tenant.ID, Name: "rolled back"}
		if err := tx.CompanyCreate(ctx, &c); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if err == nil {
		t.Fatal("InTx with a cancelled context committed")
	}
	list, err := s.CompanyList(t.Context(), f.Tenant.ID, chat.Page{})
	storetest.NoErr(t, err, "CompanyList")
	if len(list) != 2 {
		t.Fatalf("companies = %d, want the fixture's 2", len(list))
	}
	// The writer is usable again.
	c := chat.Company{TenantID: f.Tenant.ID, Name: "after"}
	storetest.NoErr(t, s.CompanyCreate(t.Context(), &c), "CompanyCreate after rollback")
}

func TestOpenRejectsURIs(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if _, err := sqlite.Open(t.Context(), p, zerolog.Nop()); !chat.IsCode(err, chat.EInvalid) {
			t.Errorf("Open(%q) = %v, want EInvalid", p, err)
		}
	}
}

// TestUserQueryFoldsUnicode: the user search folds case beyond ASCII.
func TestUserQueryFoldsUnicode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newSQLiteStore(t)
	f := storetest.NewFixture(t, s, "unicode")
	u := chat.User{TenantID: f.Tenant.ID, Email: f.Email("aijala"), Name: "Äijälä Öhman", Locale: chat.LocaleFinnish, Active: true}
	storetest.NoErr(t, s.UserCreate(ctx, &u, "hash"), "UserCreate")
	for _, q := range []string{"äijälä", "ÄIJÄLÄ", "öhm", "Äijälä Ö"} {
		users, err := s.UserList(ctx, f.Tenant.ID, chat.UserFilter{Query: q}, chat.Page{})
		storetest.NoErr(t, err, "UserList")
		if len(users) != 1 || users[0].ID != u.ID {
			t.Errorf("UserList(%q) = %+v, want only %s", q, users, u.Name)
		}
	}
}

// TestInTxWaitHonoursContext: while one transaction holds the writer, a
// caller whose context ends stops waiting instead of queueing forever.
func TestInTxWaitHonoursContext(t *testing.T) {
	t.Parallel()
	s := newSQLiteStore(t)
	f := storetest.NewFixture(t, s, "wait")
	started, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.InTx(t.Context(), func(tx chat.Store) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.InTx(ctx, func(tx chat.Store) error { return nil })
	if err == nil {
		t.Fatal("InTx with an ended context waited for and got the writer")
	}
	c := chat.Company{TenantID: f.Tenant.ID, Name: "late"}
	if err := s.CompanyCreate(ctx, &c); err == nil {
		t.Fatal("CompanyCreate with an ended context wrote")
	}
	close(release)
	storetest.NoErr(t, <-holder, "holding transaction")
	storetest.NoErr(t, s.InTx(t.Context(), func(tx chat.Store) error { return nil }), "InTx after release")
}

// TestTwoStoresOneFile: two Stores on one file (as two processes would be)
// write concurrently with read-then-write transactions. Transactions begin
// IMMEDIATE, so neither fails with SQLITE_BUSY and seqs stay gap-free.
func TestTwoStoresOneFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "parley.db")
	copyFile(t, templatePath(t), path)
	s1, s2 := open(t, path), open(t, path)
	f := storetest.NewFixture(t, s1, "two-stores")
	g := f.NewGroup(t, "group", f.EmployeeA.ID)
	tp := f.NewTopic(t, g.ID, "topic")
	ch := chat.TopicChannel(tp.ID)

	const perStore = 10
	errs := make(chan error, 2*perStore)
	var wg sync.WaitGroup
	for _, s := range []*sqlite.Store{s1, s2} {
		for range perStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.InTx(ctx, func(tx chat.Store) error {
					// A read first: in a deferred transaction this would
					// take a snapshot and make the later write fail with
					// SQLITE_BUSY whenever the other store committed.
					if _, err := tx.ChannelLastSeq(ctx, f.Tenant.ID, ch); err != nil {
						return err
					}
					seq, err := tx.ChannelNextSeq(ctx, f.Tenant.ID, ch)
					if err != nil {
						return err
					}
					m := chat.Message{TenantID: f.Tenant.ID, Channel: ch, Seq: seq, AuthorID: f.EmployeeA.ID, Body: "x"}
					return tx.MessageInsert(ctx, &m)
				})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		storetest.NoErr(t, err, "write from one of two stores")
	}
	last, err := s2.ChannelLastSeq(ctx, f.Tenant.ID, ch)
	storetest.NoErr(t, err, "ChannelLastSeq")
	hist, err := s1.MessageHistory(ctx, f.Tenant.ID, ch, 0, 100)
	storetest.NoErr(t, err, "MessageHistory")
	if last != 2*perStore || len(hist) != 2*perStore || hist[0].Seq != 2*perStore || hist[len(hist)-1].Seq != 1 {
		t.Fatalf("last seq %d, %d messages; want %d of each", last, len(hist), 2*perStore)
	}
}
