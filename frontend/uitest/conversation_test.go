package uitest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConversationFlow: an employee sends a new message; a handler sees it
// arrive live, takes it, replies and sets Waiting; the employee answers
// (back to Open); the handler sets Solved. Both sides follow live, and the
// status changes show in the thread.
func TestConversationFlow(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	subject := "Payslip question " + stamp

	emma := newBrowser(t, srv, "emma")
	hannu := newBrowser(t, srv, "hannu") // his profile says Finnish
	emma.login("employee@demo.example")
	hannu.login("handler@demo.example")
	hannu.waitOnline()

	// Send new message.
	emma.click("#new-message")
	emma.waitJS("form", `document.querySelector('#new-subject') && document.querySelectorAll('#new-category option').length > 1`)
	emma.typeInto("#new-subject", subject)
	emma.setValue("#new-category", "1")
	emma.waitJS("roles preset from the category", `document.querySelector('#new-roles input[data-role="message_handler"]').checked`)
	emma.click("#new-preview-btn")
	emma.waitText("#new-preview", "Hannu Handler")
	emma.typeInto("#new-body", "My March payslip is *missing*.\n- net pay\n- tax card")
	file := filepath.Join(t.TempDir(), "notes-"+stamp+".txt")
	if err := os.WriteFile(file, []byte("payslip notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	emma.do(chromedp.SetUploadFiles(chromedp.CSS("#new-file"), []string{file}))
	emma.waitJS("upload done", `document.querySelector('.upload progress')?.value === 100`)
	emma.click("#new-send")
	emma.waitJS("conversation view", `location.hash.startsWith('#/conversation/')`)
	route := eval[string](emma, `location.hash`)
	emma.waitJS("status new", `document.querySelector('#conv-status')?.classList.contains('status-new')`)
	emma.waitText("#messages .msg .body em", "missing")
	emma.waitText("#messages .attachment .filename", "notes-"+stamp+".txt")

	// The handler sees it arrive in Messages without reloading.
	link := fmt.Sprintf(`a.conv-link[href=%s]`, jsStr(route))
	hannu.waitJS("new conversation in the left panel", fmt.Sprintf(`document.querySelector(%s)?.textContent.includes(%s)`, jsStr(link), jsStr(subject)))
	hannu.click(link)
	hannu.waitText("#messages .msg .body", "payslip is")
	hannu.click("#conv-take")
	for _, b := range []*browser{emma, hannu} {
		b.waitJS("status open", `document.querySelector('#conv-status')?.classList.contains('status-open')`)
		b.waitJS("handler shown", `document.querySelector('#conv-handler')?.textContent.includes('Hannu Handler')`)
		b.waitJS("take event in the thread", `document.querySelectorAll('#messages .status-event').length >= 1`)
	}

	// Reply and ask the customer: Waiting.
	hannu.send("Could you send your tax card? " + stamp)
	emma.waitText("#messages .msg .body", "Could you send your tax card? "+stamp)
	hannu.setValue("#conv-status-select", "waiting")
	hannu.click("#conv-status-set")
	emma.waitJS("status waiting", `document.querySelector('#conv-status')?.classList.contains('status-waiting')`)
	emma.waitText("#messages .status-event", "Waiting")

	// The employee answers: back to Open.
	emma.send("Here it is " + stamp)
	hannu.waitText("#messages .msg .body", "Here it is "+stamp)
	for _, b := range []*browser{emma, hannu} {
		b.waitJS("status open again", `document.querySelector('#conv-status')?.classList.contains('status-open')`)
	}

	// Solved.
	hannu.setValue("#conv-status-select", "solved")
	hannu.click("#conv-status-set")
	emma.waitJS("status solved", `document.querySelector('#conv-status')?.classList.contains('status-solved')`)
	emma.waitJS("solved in the left panel", fmt.Sprintf(`document.querySelector(%s + ' .status-solved')`, jsStr(link)))
	hannu.waitText("#messages .status-event", "Ratkaistu") // Finnish for Solved

	// The status history lists every change with who did it.
	emma.click("#conv-history summary")
	emma.waitJS("history", `document.querySelectorAll('#conv-history li').length >= 4`)
	history := eval[string](emma, `document.querySelector('#conv-history').textContent`)
	for _, want := range []string{"Hannu Handler took the conversation", "from Open to Waiting", "from Open to Solved"} {
		if !strings.Contains(history, want) {
			t.Errorf("status history lacks %q:\n%s", want, history)
		}
	}
	emma.noDialogs()
	hannu.noDialogs()
}

// TestDraftsFollowTheUser: what is typed is saved on the server while
// typing and resumes on another device; sending discards it.
func TestDraftsFollowTheUser(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	api := srv.api(t, "customer@demo.example")
	var conv struct {
		ID int64 `json:"id"`
	}
	api.must("POST", "/api/v1/conversations", map[string]any{"subject": "Draft test", "category_id": 2, "body": "first"}, &conv)
	route := fmt.Sprintf("#/conversation/%d", conv.ID)
	stamp := fmt.Sprint(time.Now().UnixNano())

	laptop := newBrowser(t, srv, "laptop")
	laptop.login("customer@demo.example")
	laptop.route(route)
	laptop.typeInto("#composer-input", "half-written "+stamp)
	laptop.waitJS("saved on the server", `document.querySelector('.draft-state')?.textContent === 'Draft saved'`)

	phone := newBrowser(t, srv, "phone", withSize(390, 800))
	phone.login("customer@demo.example")
	phone.route(route)
	phone.waitJS("draft resumed", fmt.Sprintf(`document.querySelector('#composer-input')?.value === %s`, jsStr("half-written "+stamp)))

	phone.typeInto("#composer-input", " and finished")
	phone.enter("#composer-input")
	laptop.waitText("#messages .msg .body", "half-written "+stamp+" and finished")
	var drafts struct {
		Items []struct {
			Channel *string `json:"channel"`
		} `json:"items"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		api.must("GET", "/api/v1/drafts", nil, &drafts)
		left := 0
		for _, d := range drafts.Items {
			if d.Channel != nil && *d.Channel == fmt.Sprintf("conversation:%d", conv.ID) {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the draft was not discarded after sending")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
