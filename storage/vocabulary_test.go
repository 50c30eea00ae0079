// Package storage_test holds checks that span both storage engines.
package storage_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// engineOnly lists the queries one engine has and the other does not,
// each with why. Every other query has the same name, in the same file,
// on both engines (DESIGN.md, Storage: one vocabulary).
var engineOnly = map[string]map[string]string{
	"postgres": {
		"ConversationLock":      "row lock (FOR UPDATE) serialising role replacement; SQLite's one IMMEDIATE writer already serialises",
		"CannedReplyUserLock":   "row lock (FOR NO KEY UPDATE) making the canned reply limit exact; SQLite's one IMMEDIATE writer already serialises",
		"CannedReplyTenantLock": "row lock (FOR NO KEY UPDATE) making the canned reply limit exact; SQLite's one IMMEDIATE writer already serialises",
		"GroupLock":             "row lock (FOR UPDATE) serialising member replacement; SQLite's one IMMEDIATE writer already serialises",
		"ChannelDataDelete":     "one statement of data-modifying CTEs; SQLite has no DML in WITH and runs the Channel*Delete statements",
		"TopicPostBatch":        "group commit of many topic posts in one statement (unnest); SQLite posts statement by statement in one IMMEDIATE transaction",
	},
	"sqlite": {
		"MessageClientIDUsed":          "a topic post checks its client id before taking a seq; PostgreSQL's TopicPostBatch checks inside the statement",
		"ChannelMessagesDelete":        "part of PostgreSQL's ChannelDataDelete",
		"ChannelSeqDelete":             "part of PostgreSQL's ChannelDataDelete",
		"ChannelReadStatesDelete":      "part of PostgreSQL's ChannelDataDelete",
		"ChannelDraftsDelete":          "part of PostgreSQL's ChannelDataDelete",
		"ChannelNotificationsDelete":   "part of PostgreSQL's ChannelDataDelete",
		"ChannelNotifyJobsDelete":      "part of PostgreSQL's ChannelDataDelete",
		"ChannelNotifyDecisionsDelete": "part of PostgreSQL's ChannelDataDelete",
		"ChannelMutesDelete":           "part of PostgreSQL's ChannelDataDelete",
	},
}

// queryFiles maps each "-- name: X" of sql/<engine>/queries/*.sql to the
// file that holds it.
func queryFiles(t *testing.T, engine string) map[string]string {
	t.Helper()
	dir := filepath.Join("..", "sql", engine, "queries")
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no query files in %s (%v)", dir, err)
	}
	names := map[string]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "-- name:")
			if !ok {
				continue
			}
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				t.Errorf("%s:%d: -- name: without a name", p, line)
				continue
			}
			if prev, dup := names[fields[0]]; dup {
				t.Errorf("%s:%d: query %s also in %s", p, line, fields[0], prev)
			}
			names[fields[0]] = filepath.Base(p)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
	}
	return names
}

// Both engines name their queries alike and keep them in like-named files;
// the only exceptions are listed in engineOnly, with a reason.
func TestQueryVocabulary(t *testing.T) {
	engines := map[string]map[string]string{
		"postgres": queryFiles(t, "postgres"),
		"sqlite":   queryFiles(t, "sqlite"),
	}
	other := map[string]string{"postgres": "sqlite", "sqlite": "postgres"}
	for engine, names := range engines {
		for name, file := range names {
			otherFile, shared := engines[other[engine]][name]
			_, listed := engineOnly[engine][name]
			switch {
			case shared && listed:
				t.Errorf("%s: %s is listed as %s-only but %s has it too (%s); drop it from engineOnly", engine, name, engine, other[engine], otherFile)
			case shared && file != otherFile:
				t.Errorf("query %s lives in %s/queries/%s but %s/queries/%s", name, engine, file, other[engine], otherFile)
			case !shared && !listed:
				t.Errorf("query %s is only on %s (%s); name it as the other engine does, or list it in engineOnly with a reason", name, engine, file)
			}
		}
		for name := range engineOnly[engine] {
			if _, ok := names[name]; !ok {
				t.Errorf("engineOnly lists %s for %s, which has no such query", name, engine)
			}
		}
	}
}
