package postgres_test

import (
	"fmt"
	"testing"

	"parley/chat"
	"parley/storage/storetest"
)

// TopicPostBatch on PostgreSQL is one statement for the whole batch (one
// implicit transaction, one round trip); only a batch the server refuses
// (a used client id) falls back to a statement per post. The conformance
// suite holds the behaviour to SQLite's; this holds the engine to its
// batched path, counted by PostStatements, not timed.
func TestTopicPostBatchOneStatement(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	f := storetest.NewFixture(t, s, "statements")
	g := f.NewGroup(t, "g", f.EmployeeA.ID, f.Manager.ID)
	topics := []chat.Topic{f.NewTopic(t, g.ID, "one"), f.NewTopic(t, g.ID, "two"), f.NewTopic(t, g.ID, "three")}
	loud := topics[2]
	loud.EmailNotify = true
	storetest.NoErr(t, s.TopicUpdate(ctx, loud), "TopicUpdate email on")

	post := func(i int, authorID int64, clientID string) chat.TopicPost {
		return chat.TopicPost{Message: chat.Message{TenantID: f.Tenant.ID, Channel: chat.TopicChannel(topics[i%len(topics)].ID),
			AuthorID: authorID, ClientMsgID: clientID, Body: "hello " + clientID}}
	}
	// cost runs the batch and returns the statements it ran and refused.
	cost := func(posts []chat.TopicPost) (run, refused int64) {
		t.Helper()
		run0, refused0 := s.PostStatements()
		storetest.NoErr(t, s.TopicPostBatch(ctx, posts), "TopicPostBatch")
		run1, refused1 := s.PostStatements()
		return run1 - run0, refused1 - refused0
	}
	outcomes := func(posts []chat.TopicPost, want ...string) {
		t.Helper()
		for i, p := range posts {
			if got := chat.ErrorCode(p.Err); got != want[i] {
				t.Fatalf("post %d: outcome %q (%v), want %q", i, got, p.Err, want[i])
			}
		}
	}

	t.Run("TenPostsOneStatement", func(t *testing.T) {
		var posts []chat.TopicPost
		for i := range 10 {
			posts = append(posts, post(i, []int64{f.EmployeeA.ID, f.Manager.ID}[i%2], fmt.Sprintf("ten-%d", i)))
		}
		if run, refused := cost(posts); run != 1 || refused != 0 {
			t.Fatalf("a batch of 10 posts on 3 topics ran %d statements (%d refused), want 1 and 0", run, refused)
		}
		outcomes(posts, "", "", "", "", "", "", "", "", "", "")
	})
	t.Run("AccessRefusalsInTheStatement", func(t *testing.T) {
		// A post its author may not read is answered by the statement
		// itself, not by a fallback.
		posts := []chat.TopicPost{post(0, f.EmployeeA.ID, "mixed-1"), post(1, f.Handler.ID, "mixed-2"), post(2, f.Manager.ID, "")}
		if run, refused := cost(posts); run != 1 || refused != 0 {
			t.Fatalf("a batch with a refused post ran %d statements (%d refused), want 1 and 0", run, refused)
		}
		outcomes(posts, "", chat.ENotFound, "")
	})
	t.Run("UsedClientIDFallsBack", func(t *testing.T) {
		posts := []chat.TopicPost{post(0, f.EmployeeA.ID, "used-1"), post(1, f.EmployeeA.ID, "ten-0"),
			post(2, f.Manager.ID, "used-2"), post(0, f.Handler.ID, "used-3")}
		if run, refused := cost(posts); run != 1+int64(len(posts)) || refused != 1 {
			t.Fatalf("a batch of %d posts with a used client id ran %d statements (%d refused), want 1 refused and one per post",
				len(posts), run, refused)
		}
		outcomes(posts, "", chat.EConflict, "", chat.ENotFound)
	})
	t.Run("OnePostUsedClientID", func(t *testing.T) {
		// Alone, the refused statement is the post's answer.
		posts := []chat.TopicPost{post(0, f.EmployeeA.ID, "ten-0")}
		if run, refused := cost(posts); run != 1 || refused != 1 {
			t.Fatalf("one post with a used client id ran %d statements (%d refused), want 1 and 1", run, refused)
		}
		outcomes(posts, chat.EConflict)
	})
}
