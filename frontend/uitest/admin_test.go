package uitest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
)

// TestAdminLive: search links to the message; a tenant admin turns the
// messenger off and on and creates a group, and an employee's page follows
// live; deactivating the employee ends their session in the open page.
func TestAdminLive(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())

	emma := newBrowser(t, srv, "emma")
	emma.login("employee@demo.example")
	emma.waitOnline()

	// Search: a hit opens the thread at the message.
	emma.typeInto("#search-q", "backdated"+kb.Enter) // the form's implicit submission
	emma.waitText("#search-results", "Will the backdated part be paid separately?")
	emma.click("#search-results a.hit")
	emma.waitJS("message in focus", `document.activeElement?.classList.contains('msg') && document.activeElement.textContent.includes('backdated')`)

	aino := newBrowser(t, srv, "aino")
	aino.login("admin@demo.example")
	aino.route("#/admin/settings")
	aino.waitJS("settings loaded", `document.querySelector('#ts-messenger')?.checked`)
	aino.click("#ts-messenger")
	aino.click("#ts-save")
	emma.waitJS("messenger gone", `!document.querySelector('#sb-messenger')`)
	emma.waitText("#sb-messages", "Messages")
	aino.click("#ts-messenger")
	aino.click("#ts-save")
	emma.waitJS("messenger back", `document.querySelector('#sb-messenger') && document.querySelector('a.topic-link')`)

	// A new group with Emma in it appears in her panel.
	aino.route("#/admin/groups")
	aino.click("#ag-new")
	aino.typeInto("#ag-name", "Team "+stamp)
	aino.waitText("#ag-warning", "visible to all of its members")
	emmaID := srv.api(t, "employee@demo.example").me.User.ID
	aino.click(fmt.Sprintf("#ag-m-%d", emmaID))
	aino.click("#ag-save")
	emma.waitText("#sidebar .group-name", "Team "+stamp)

	// Deactivating Emma ends her session: the open page goes to the login.
	admin := srv.api(t, "admin@demo.example")
	admin.must("PATCH", fmt.Sprintf("/api/v1/users/%d", emmaID), map[string]any{"active": false}, nil)
	emma.waitJS("login page", `document.querySelector('#login-email')`)
	emma.waitText(".login .notice", "session has ended")
	emma.noDialogs()
	aino.noDialogs()
}
