// Package storetest is the conformance suite every chat.Store
// implementation runs: one behaviour for PostgreSQL and SQLite.
//
// Each area of the suite lives in its own file and registers itself from
// init(), so engineers can add areas without editing each other's files.
// An implementation's test calls Run with its Engine: constructors of
// fresh stores.
//
// Conventions the suite holds both engines to, beyond chat.Store's
// comments: a Create/Insert method keeps a non-zero CreatedAt (UpdatedAt for
// drafts) it is given and sets it to the current time (UTC, microseconds)
// when zero; times come back as the same instant (compare with Equal);
// nil and empty id slices are interchangeable.
package storetest

import (
	"fmt"
	"sort"
	"sync"
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

// AreaFunc tests one area of the Store contract.
type AreaFunc = func(t *testing.T, newStore NewStoreFunc)

// EngineAreaFunc tests an area that needs more of the Engine than fresh
// stores.
type EngineAreaFunc = func(t *testing.T, e Engine)

// registry is the one piece of package state: Go offers no other way for
// separate files to contribute tests to Run without editing a shared list.
var registry = struct {
	sync.Mutex
	areas map[string]EngineAreaFunc
}{areas: map[string]EngineAreaFunc{}}

// Register adds a named area; each area file calls it from init().
// Registering a name twice panics, since it is a programming error.
func Register(name string, fn AreaFunc) {
	RegisterEngine(name, func(t *testing.T, e Engine) { fn(t, e.New) })
}

// RegisterEngine adds a named area that needs the whole Engine, as
// Register does.
func RegisterEngine(name string, fn EngineAreaFunc) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.areas[name]; dup {
		panic(fmt.Sprintf("storetest: area %q registered twice", name))
	}
	registry.areas[name] = fn
}

// Areas returns the registered area names in order.
func Areas() []string {
	registry.Lock()
	defer registry.Unlock()
	names := make([]string, 0, len(registry.areas))
	for n := range registry.areas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Run runs every registered conformance test against stores made by e;
// each call of e.New returns a fresh, empty, migrated store of its own.
// Areas run in parallel with each other.
func Run(t *testing.T, e Engine) {
	t.Helper()
	if e.New == nil || e.NewNodes == nil {
		t.Fatal("storetest: Engine needs New and NewNodes")
	}
	names := Areas()
	if len(names) == 0 {
		t.Fatal("storetest: no areas registered")
	}
	for _, name := range names {
		registry.Lock()
		fn := registry.areas[name]
		registry.Unlock()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}
