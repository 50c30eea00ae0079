package storetest

import (
	"sync"
	"testing"
	"time"

	"parley/chat"
)

func testCannedReplyCRUD(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "canned-a")
	b := NewFixture(t, s, "canned-b")
	at := Now().Add(-time.Hour)
	r := chat.CannedReply{TenantID: a.Tenant.ID, OwnerID: &a.Handler.ID, Locale: chat.LocaleFinnish, Title: "Kiitos",
		Body: "Hei {customer_name}, kiitos!", CreatedAt: at}
	NoErr(t, s.CannedReplyCreate(ctx, &r), "CannedReplyCreate")
	if r.ID == 0 {
		t.Fatal("CannedReplyCreate set no id")
	}
	SameTime(t, "UpdatedAt defaults to CreatedAt", r.UpdatedAt, at)
	got, err := s.CannedReplyGet(ctx, a.Tenant.ID, r.ID)
	NoErr(t, err, "CannedReplyGet")
	if got.OwnerID == nil || *got.OwnerID != a.Handler.ID || got.Locale != r.Locale || got.Title != r.Title || got.Body != r.Body {
		t.Fatalf("got %+v, want %+v", got, r)
	}
	SameTime(t, "CreatedAt", got.CreatedAt, at)

	// Another tenant's reply does not exist there.
	_, err = s.CannedReplyGet(ctx, b.Tenant.ID, r.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.CannedReplyUpdate(ctx, chat.CannedReply{TenantID: b.Tenant.ID, ID: r.ID, Locale: "en", Title: "x", Body: "y"}))
	WantNotFound(t, s.CannedReplyDelete(ctx, b.Tenant.ID, r.ID))

	later := Now()
	r.Locale, r.Title, r.Body, r.UpdatedAt = chat.LocaleEnglish, "Thanks", "Thanks, {customer_name}", later
	NoErr(t, s.CannedReplyUpdate(ctx, r), "CannedReplyUpdate")
	got, err = s.CannedReplyGet(ctx, a.Tenant.ID, r.ID)
	NoErr(t, err, "CannedReplyGet after update")
	if got.Locale != chat.LocaleEnglish || got.Title != "Thanks" || got.Body != r.Body {
		t.Fatalf("after update %+v", got)
	}
	SameTime(t, "UpdatedAt", got.UpdatedAt, later)
	SameTime(t, "CreatedAt kept", got.CreatedAt, at)

	NoErr(t, s.CannedReplyDelete(ctx, a.Tenant.ID, r.ID), "CannedReplyDelete")
	_, err = s.CannedReplyGet(ctx, a.Tenant.ID, r.ID)
	WantNotFound(t, err)
	WantNotFound(t, s.CannedReplyDelete(ctx, a.Tenant.ID, r.ID))
}

func testCannedReplyListCount(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "canned-list-a")
	b := NewFixture(t, s, "canned-list-b")
	mk := func(tenant int64, owner *int64, title string) chat.CannedReply {
		t.Helper()
		r := chat.CannedReply{TenantID: tenant, OwnerID: owner, Locale: chat.LocaleEnglish, Title: title, Body: "body " + title}
		NoErr(t, s.CannedReplyCreate(ctx, &r), "CannedReplyCreate "+title)
		return r
	}
	shared1 := mk(a.Tenant.ID, nil, "shared 1")
	mine := mk(a.Tenant.ID, &a.Handler.ID, "handler's")
	other := mk(a.Tenant.ID, &a.Admin.ID, "admin's")
	shared2 := mk(a.Tenant.ID, nil, "shared 2")
	bShared := mk(b.Tenant.ID, nil, "b shared")

	ids := func(rs []chat.CannedReply) []int64 {
		out := []int64{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	rs, err := s.CannedReplyList(ctx, a.Tenant.ID, a.Handler.ID)
	NoErr(t, err, "CannedReplyList")
	wantIDs(t, "handler's list", ids(rs), []int64{shared1.ID, mine.ID, shared2.ID})
	rs, err = s.CannedReplyList(ctx, a.Tenant.ID, a.Admin.ID)
	NoErr(t, err, "CannedReplyList admin")
	wantIDs(t, "admin's list", ids(rs), []int64{shared1.ID, other.ID, shared2.ID})
	rs, err = s.CannedReplyList(ctx, b.Tenant.ID, a.Handler.ID)
	NoErr(t, err, "CannedReplyList b")
	wantIDs(t, "a's user in b", ids(rs), []int64{bShared.ID})

	for _, c := range []struct {
		tenant, owner int64
		want          int64
	}{{a.Tenant.ID, 0, 2}, {a.Tenant.ID, a.Handler.ID, 1}, {a.Tenant.ID, a.Manager.ID, 0}, {b.Tenant.ID, 0, 1}, {b.Tenant.ID, a.Handler.ID, 0}} {
		n, err := s.CannedReplyCount(ctx, c.tenant, c.owner)
		NoErr(t, err, "CannedReplyCount")
		if n != c.want {
			t.Fatalf("CannedReplyCount(%d, %d) = %d, want %d", c.tenant, c.owner, n, c.want)
		}
	}

	// A personal reply belongs to a user of its tenant.
	bad := chat.CannedReply{TenantID: b.Tenant.ID, OwnerID: &a.Handler.ID, Locale: "en", Title: "x", Body: "y"}
	if err := s.CannedReplyCreate(ctx, &bad); err == nil {
		t.Fatal("a reply owned by another tenant's user was stored")
	}
}

// testCannedReplyConcurrentLimit: creators racing to the last free places
// count and create in one transaction (as chat's CreateCannedReply does);
// CannedReplyCount holds the owner's replies until commit, so the limit
// holds exactly, for tenant-wide and personal replies alike.
func testCannedReplyConcurrentLimit(t *testing.T, s chat.Store) {
	ctx := t.Context()
	a := NewFixture(t, s, "canned-race")
	const racers, limit = 5, 2
	for _, owner := range []*int64{nil, &a.Handler.ID} {
		var ownerID int64
		if owner != nil {
			ownerID = *owner
		}
		// Each racer, once it has counted, waits for the others to have
		// counted too: without the lock they all count 0 and all create.
		// With it they cannot count yet, so the wait is cut short by its
		// bound and the racers go one after another.
		var counted sync.WaitGroup
		counted.Add(racers)
		allCounted := make(chan struct{})
		go func() { counted.Wait(); close(allCounted) }()
		var wg sync.WaitGroup
		errs := make(chan error, racers)
		for range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.InTx(ctx, func(tx chat.Store) error {
					n, err := tx.CannedReplyCount(ctx, a.Tenant.ID, ownerID)
					counted.Done()
					if err != nil {
						return err
					}
					select {
					case <-allCounted:
					case <-time.After(150 * time.Millisecond):
					}
					if n >= limit {
						return nil
					}
					r := chat.CannedReply{TenantID: a.Tenant.ID, OwnerID: owner, Locale: chat.LocaleEnglish, Title: "racer", Body: "body"}
					return tx.CannedReplyCreate(ctx, &r)
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			NoErr(t, err, "count and create")
		}
		n, err := s.CannedReplyCount(ctx, a.Tenant.ID, ownerID)
		NoErr(t, err, "CannedReplyCount")
		if n != limit {
			t.Fatalf("owner %d: %d replies after %d racers, want the limit %d", ownerID, n, racers, limit)
		}
	}
}
