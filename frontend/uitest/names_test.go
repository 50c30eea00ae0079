package uitest

import (
	"fmt"
	"testing"
)

// noBareIDs is a JS condition that is true when the page names no person
// by id ("User 8", "Käyttäjä 5") nor by the stand-in for people the
// viewer may not see.
const noBareIDs = `!/\b(User|Käyttäjä) \d+\b|\b(Someone|Joku)\b/.test(document.body.innerText)`

// convID finds a conversation the client sees by subject.
func (c *client) convID(subject string) int64 {
	c.t.Helper()
	type conv struct {
		ID      int64  `json:"id"`
		Subject string `json:"subject"`
	}
	return findItem(c, fmt.Sprintf("conversation %q", subject), "/api/v1/conversations?limit=200",
		func(cv conv) bool { return cv.Subject == subject }).ID
}

// namesShown waits until every name is in the element and the page
// shows no bare id, failing with the page's text otherwise.
func (b *browser) namesShown(what, sel string, names ...string) {
	b.t.Helper()
	for _, n := range names {
		b.waitText(sel, n)
	}
	if !eval[bool](b, noBareIDs) {
		b.t.Fatalf("%s: %s names someone by id:\n%s", b.name, what, eval[string](b, `document.body.innerText`))
	}
}

// TestNamesEverywhere walks every view that names a person, for users in
// several roles, fresh from a page load (nothing cached), and fails on
// any "User N" / "Käyttäjä N": the conversation list of a customer and a
// handler, the handler panel's customer assignee and designated
// administrator (people the directory does not show them), the related
// person after a reload, topic threads with their members, and the
// status history.
func TestNamesEverywhere(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	carlAPI := srv.api(t, "customer@demo.example")
	hannuAPI := srv.api(t, "handler@demo.example")
	mattiAPI := srv.api(t, "manager@demo.example")
	bank := carlAPI.convID("Change of bank account")
	yearEnd := carlAPI.convID("Year-end: tax cards for 2026")
	sick := mattiAPI.convID("Sick leave for Emma")
	hannuAPI.convID("Sick leave for Emma")
	payments := hannuAPI.topic("Payments processing")
	holiday := mattiAPI.topic("Holiday calendar")

	// The customer: the list names the handler; the year-end conversation
	// names its creator, his assignee self and the administrator.
	carl := newBrowser(t, srv, "carl")
	carl.login("customer@demo.example")
	carl.open("#/conversations")
	carl.namesShown("the conversation list", ".conv-table", "Hannu Handler")
	carl.open(fmt.Sprintf("#/conversation/%d", yearEnd))
	carl.namesShown("the year-end panel", "#conv-panel", "Hannu Handler", "Carl Customer", "Aino Admin")
	carl.open(fmt.Sprintf("#/conversation/%d", bank))
	carl.namesShown("the bank thread", "#messages", "Hannu Handler", "Carl Customer")

	// The handler (Finnish): his list, the sick-leave panel with the
	// related person and creator, after a reload too.
	hannu := newBrowser(t, srv, "hannu")
	hannu.login("handler@demo.example")
	hannu.open("#/conversations")
	hannu.namesShown("the handler's list", ".conv-table", "Hannu Handler")
	for range 2 {
		hannu.open(fmt.Sprintf("#/conversation/%d", sick))
		hannu.namesShown("the sick-leave panel", "#conv-panel", "Matti Manager", "Emma Employee", "Hannu Handler")
	}
	hannu.open(fmt.Sprintf("#/conversation/%d", yearEnd))
	hannu.namesShown("the year-end panel", "#conv-panel", "Carl Customer", "Aino Admin")
	hannu.click("#conv-history summary")
	hannu.namesShown("the status history", "#conv-history", "Hannu Handler")

	// The manager: the related person after a reload.
	matti := newBrowser(t, srv, "matti")
	matti.login("manager@demo.example")
	for range 2 {
		matti.open(fmt.Sprintf("#/conversation/%d", sick))
		matti.namesShown("the manager's panel", "#conv-panel", "Emma Employee", "Hannu Handler")
	}

	// Topic threads: authors and members.
	for _, tc := range []struct {
		b      *browser
		topic  int64
		member string
	}{{hannu, payments.ID, "Mira Messenger"}, {matti, holiday.ID, "Emma Employee"}} {
		tc.b.open(fmt.Sprintf("#/topic/%d", tc.topic))
		tc.b.waitJS("history", `document.querySelectorAll('#messages .msg').length > 0`)
		tc.b.namesShown("the topic's members", "#members", tc.member)
		tc.b.waitJS("authors", `document.querySelectorAll('#messages .author').length > 0`)
		tc.b.namesShown("the topic thread", "#messages")
	}
	for _, b := range []*browser{carl, hannu, matti} {
		b.noDialogs()
	}
}
