package uitest

import (
	"fmt"
	"testing"
	"time"
)

// TestQueueCountsLive: a handler's queue counts move live, up when a
// customer writes and down when a tenant admin solves one, and the handler writes to a customer company in one step from
// "Send new message"; the company's user sees it as theirs.
func TestQueueCountsLive(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	admin := srv.api(t, "admin@demo.example")
	handlerRole := admin.roleID("message_handler")
	// A category of this test's own, so that no other test moves its count.
	var cat struct {
		ID int64 `json:"id"`
	}
	admin.must("POST", "/api/v1/categories", map[string]any{"name_en": "Queue " + stamp, "name_fi": "Jono " + stamp, "role_ids": []int64{handlerRole}}, &cat)
	count := fmt.Sprintf("#queue-count-category-%d", cat.ID)

	hannu := newBrowser(t, srv, "hannu")
	hannu.login("handler@demo.example")
	hannu.waitOnline()
	hannu.waitJS("queues in the left panel", `document.querySelector('#queue-count-new')`)
	if eval[bool](hannu, fmt.Sprintf(`!!document.querySelector(%s)`, jsStr(count))) {
		t.Fatal("an empty category has a count")
	}

	carl := srv.api(t, "customer@demo.example")
	var convIDs []int64
	for i := 1; i <= 3; i++ {
		var c struct {
			ID int64 `json:"id"`
		}
		carl.must("POST", "/api/v1/conversations", map[string]any{"subject": fmt.Sprintf("Queue question %d %s", i, stamp), "category_id": cat.ID, "body": "Hello"}, &c)
		convIDs = append(convIDs, c.ID)
		hannu.waitJS(fmt.Sprintf("count %d", i), fmt.Sprintf(`document.querySelector(%s)?.textContent === %s`, jsStr(count), jsStr(fmt.Sprint(i))))
	}
	// Another user's action moves the count down, without a reload: the
	// tenant admin solves the newest question.
	admin.must("PUT", fmt.Sprintf("/api/v1/conversations/%d/status", convIDs[2]), map[string]any{"status": "solved"}, nil)
	hannu.waitJS("count 2 after another user solved one", fmt.Sprintf(`document.querySelector(%s)?.textContent === "2"`, jsStr(count)))
	// The queue lists them oldest first.
	hannu.click(fmt.Sprintf(`a.queue-link[href="#/queue/category/%d"]`, cat.ID))
	hannu.waitJS("queue list", `document.querySelectorAll('#queue-table tbody tr').length === 2`)
	first := eval[string](hannu, `document.querySelector('#queue-table tbody tr a').textContent`)
	if first != "Queue question 1 "+stamp {
		t.Fatalf("queue starts with %q", first)
	}

	// One step to a customer company: Contoso's Carl sees it as his.
	carlB := newBrowser(t, srv, "carl")
	carlB.login("customer@demo.example")
	carlB.waitOnline()
	subject := "Year-end documents " + stamp
	hannu.click("#new-message")
	hannu.waitJS("form", `document.querySelectorAll('#new-category option').length > 1 && document.querySelector('#new-to-kind')`)
	hannu.typeInto("#new-subject", subject)
	hannu.setValue("#new-category", fmt.Sprint(cat.ID))
	hannu.setValue("#new-to-kind", "company")
	hannu.waitJS("companies", `[...document.querySelectorAll('#new-to-company option')].some(o => o.textContent === 'Contoso Ltd')`)
	hannu.setValue("#new-to-company", eval[string](hannu, `[...document.querySelectorAll('#new-to-company option')].find(o => o.textContent === 'Contoso Ltd').value`))
	hannu.typeInto("#new-body", "Please send us your receipts.")
	hannu.click("#new-send")
	hannu.waitJS("conversation view", `location.hash.startsWith('#/conversation/')`)
	route := eval[string](hannu, `location.hash`)
	carlB.waitJS("the office's conversation in Carl's panel", fmt.Sprintf(`document.querySelector('a.conv-link[href=%s]')?.textContent.includes(%s)`, jsStr(route), jsStr(subject)))
	carlB.route(route)
	carlB.waitText("#messages .msg .body", "receipts")
	// Carl is the customer: no status controls; the panel says to whom.
	carlB.waitJS("addressed to his company", `document.querySelector('#conv-to')?.textContent.includes('company')`)
	carlB.waitJS("no handler tools", `!document.querySelector('#conv-status-set')`)
	hannu.noDialogs()
	carlB.noDialogs()
}

// TestCannedReplyInserts: in a conversation's composer the handler opens
// the canned replies with Ctrl+Shift+K, searches, and Enter inserts the
// reply with the customer's name and the subject filled in.
func TestCannedReplyInserts(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	admin := srv.api(t, "admin@demo.example")
	admin.must("POST", "/api/v1/canned-replies", map[string]any{"shared": true, "locale": "en", "title": "Greeting " + stamp,
		"body": "Hello {customer_name}, about {subject}: we are on it."}, nil)
	carl := srv.api(t, "customer@demo.example")
	var conv struct {
		ID int64 `json:"id"`
	}
	carl.must("POST", "/api/v1/conversations", map[string]any{"subject": "Tax card " + stamp, "category_id": 1, "body": "Hello"}, &conv)

	hannu := newBrowser(t, srv, "hannu")
	hannu.login("handler@demo.example")
	hannu.route(fmt.Sprintf("#/conversation/%d", conv.ID))
	hannu.waitJS("composer with canned replies", `document.querySelector('#composer-input') && document.querySelector('#canned-open')`)
	eval[bool](hannu, `(document.querySelector('#composer-input').dispatchEvent(new KeyboardEvent('keydown', {key: 'K', ctrlKey: true, shiftKey: true, bubbles: true})), true)`)
	hannu.waitJS("picker open", `!document.querySelector('#canned-picker').hidden && document.activeElement?.id === 'canned-search'`)
	hannu.typeInto("#canned-search", stamp)
	hannu.waitJS("the reply found", fmt.Sprintf(`document.querySelectorAll('#canned-options [role=option]').length === 1 && %s`, hasText("#canned-options", "Greeting "+stamp)))
	eval[bool](hannu, `(document.querySelector('#canned-search').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true})), true)`)
	want := "Hello Carl Customer, about Tax card " + stamp + ": we are on it."
	hannu.waitJS("inserted with placeholders filled", fmt.Sprintf(`document.querySelector('#composer-input').value === %s`, jsStr(want)))
	hannu.waitJS("picker closed", `document.querySelector('#canned-picker').hidden`)
	hannu.noDialogs()
}
