// Package storetest is the conformance suite every chat.Store
// implementation runs: one behaviour for PostgreSQL and SQLite.
//
// Each area of the suite lives in its own file; areas, in this file, lists
// them all. An area is a list of checks, one named function per behaviour,
// each run as a subtest. An implementation's test calls Run with its
// Engine: constructors of fresh stores.
//
// Conventions the suite holds both engines to, beyond chat.Store's
// comments: a Create/Insert method keeps a non-zero CreatedAt (UpdatedAt for
// drafts) it is given and sets it to the current time (UTC, microseconds)
// when zero; times come back as the same instant (compare with Equal);
// nil and empty id slices are interchangeable.
package storetest

import (
	"testing"

	"parley/chat"
)

// NewStoreFunc returns a fresh, empty, migrated store owned by t (closed in
// t.Cleanup by the constructor).
type NewStoreFunc = func(t *testing.T) chat.Store

// NewNodesFunc returns n stores on one fresh, empty, migrated database, as
// n nodes (PostgreSQL) or processes (SQLite) sharing it open it; each is
// owned by t.
type NewNodesFunc = func(t *testing.T, n int) []chat.Store

// Engine is what an implementation's test gives Run.
type Engine struct {
	// New makes a fresh store; every area uses it.
	New NewStoreFunc
	// NewNodes makes several stores on one database, for the areas that
	// hold an engine to its promises across nodes (commit order, seqs).
	NewNodes NewNodesFunc
}

// areas is the suite, in the order Run starts it: each area is one
// parallel subtest of Run, and a new area is a line here.
var areas = []struct {
	name string
	run  func(t *testing.T, e Engine)
}{
	{"canned reply", testCannedReplies},
	{"cluster", testCluster},
	{"conversation", testConversations},
	{"errors", testErrors},
	{"message", testMessages},
	{"messenger", testMessenger},
	{"notification", testNotifications},
	{"push", testPush},
	{"reaction", testReactions},
	{"reply mail", testReplyMail},
	{"session", testSession},
	{"tenant", testTenant},
	{"topic post", testTopicPost},
	{"user", testUser},
}

// Run runs every area of the suite against stores made by e; each call of
// e.New returns a fresh, empty, migrated store of its own. Areas run in
// parallel with each other.
func Run(t *testing.T, e Engine) {
	t.Helper()
	if e.New == nil || e.NewNodes == nil {
		t.Fatal("storetest: Engine needs New and NewNodes")
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.run(t, e)
		})
	}
}

// A check is one behaviour of an area, run as a parallel subtest named
// after it, so that a failure names the behaviour.
type check struct {
	name string
	fn   func(t *testing.T, s chat.Store)
	// own runs the check on a fresh store of its own instead of the
	// area's shared one (see runShared), for a check that reads across
	// tenants.
	own bool
}

// runFresh runs each check on a fresh store of its own.
func runFresh(t *testing.T, newStore NewStoreFunc, checks []check) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newStore(t))
		})
	}
}

// runShared runs the checks on one store of the area, each in tenants of
// its own, except a check marked own, which gets a fresh store.
func runShared(t *testing.T, newStore NewStoreFunc, checks []check) {
	shared := newStore(t)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := shared
			if c.own {
				s = newStore(t)
			}
			c.fn(t, s)
		})
	}
}
