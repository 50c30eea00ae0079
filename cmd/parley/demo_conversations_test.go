package main

import (
	"testing"

	"parley/chat"
)

// TestDemoConversations: the demo has categories and a conversation in
// every status, visible to the provider's handler and to their creators.
func TestDemoConversations(t *testing.T) {
	t.Parallel()
	d, as := seededDemo(t, (*demo).seedConversations)
	svc := d.svc
	cats, err := svc.Conversations.Categories(as("employee"), false)
	if err != nil || len(cats) != 3 {
		t.Fatalf("categories: %d %v", len(cats), err)
	}
	all, err := svc.Conversations.Conversations(as("handler"), chat.ConversationQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[chat.ConversationStatus]int{}
	for _, c := range all {
		seen[c.Status]++
	}
	for _, s := range []chat.ConversationStatus{chat.StatusNew, chat.StatusOpen, chat.StatusWaiting, chat.StatusSolved} {
		if seen[s] == 0 {
			t.Errorf("the handler sees no %s conversation (%v)", s, seen)
		}
	}
	if len(all) != 5 {
		t.Errorf("handler sees %d conversations, want 5", len(all))
	}
	// Company visibility: Carl (Contoso) sees only his own and the one
	// addressed to him, never Northwind's.
	carl, err := svc.Conversations.Conversations(as("customer"), chat.ConversationQuery{})
	if err != nil || len(carl) != 2 {
		t.Fatalf("Carl sees %d conversations (%v), want 2", len(carl), err)
	}
	drafts, err := svc.Messages.Drafts(as("employee"))
	if err != nil || len(drafts) != 1 {
		t.Fatalf("Emma's drafts: %d %v", len(drafts), err)
	}
}
