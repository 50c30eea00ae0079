package uitest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAvatarUpload: a user chooses a picture in settings; it shows as
// their avatar there and, for a colleague who may see them, beside their
// message in a thread after a fresh load; removing it brings the
// initials back.
func TestAvatarUpload(t *testing.T) {
	t.Parallel()
	srv := startServer(t) // an avatar of a seeded user would show in other tests' screenshots
	api := srv.api(t, "employee@demo.example")
	me := api.me.User.ID
	topic := api.topic("Holiday calendar")
	stamp := fmt.Sprint(time.Now().UnixNano())
	text := "Who has the keys? " + stamp
	api.postTopic(topic.ID, text)

	emma := newBrowser(t, srv, "emma-avatar", withSize(1280, 800))
	emma.login("employee@demo.example")
	emma.route("#/settings")
	emma.waitJS("avatar card", `document.querySelector('#set-avatar') && document.querySelector('.avatar-preview span.avatar')`)
	if eval[bool](emma, `!document.querySelector('#set-avatar-remove').hidden`) {
		t.Fatal("Remove picture shows before there is a picture")
	}
	// A 300×200 picture drawn in the page, chosen as from a file dialog.
	emma.waitJS("picture chosen", `(async () => {
		const c = document.createElement('canvas'); c.width = 300; c.height = 200;
		const g = c.getContext('2d'); g.fillStyle = '#0a7'; g.fillRect(0, 0, 300, 200); g.fillStyle = '#fd0'; g.fillRect(110, 60, 80, 80);
		const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
		const dt = new DataTransfer();
		dt.items.add(new File([blob], 'me.png', { type: 'image/png' }));
		const input = document.querySelector('#set-avatar');
		input.files = dt.files;
		input.dispatchEvent(new Event('change', { bubbles: true }));
		return true;
	})()`)
	emma.waitText(".settings .notice", "Picture saved.")
	emma.waitJS("own avatar shown", `(() => { const i = document.querySelector('.avatar-preview img.avatar'); return i && i.complete && i.naturalWidth === 128 && i.naturalHeight === 128; })()`)
	emma.waitJS("remove offered", `!document.querySelector('#set-avatar-remove').hidden`)
	emma.keepScreenshot("ui-avatar-settings.png")

	// A colleague who may see her: her picture beside her message.
	matti := newBrowser(t, srv, "matti-avatar", withSize(1280, 800))
	matti.login("manager@demo.example")
	matti.route(fmt.Sprintf("#/topic/%d", topic.ID))
	matti.waitOnline()
	matti.waitText("#messages .msg .body", text)
	author := fmt.Sprintf(`[...document.querySelectorAll('#messages article.msg')].filter(e => e.querySelector('.body')?.textContent.includes(%s)).pop()?.querySelector('.msg-head .avatar')`, jsStr(text))
	matti.waitJS("her avatar in the thread", fmt.Sprintf(`(() => { const a = %s; return a?.tagName === 'IMG' && a.complete && a.naturalWidth === 128 && a.getAttribute('src').startsWith('/api/v1/users/%d/avatar?v='); })()`, author, me))
	matti.keepScreenshot("ui-avatar-thread.png")

	// Removed: initials again, in settings and for the colleague's next load.
	emma.click("#set-avatar-remove")
	emma.waitText(".settings .notice", "Picture removed")
	emma.waitJS("initials again", `!!document.querySelector('.avatar-preview span.avatar') && document.querySelector('#set-avatar-remove').hidden`)
	matti.do(chromedp.Reload())
	matti.waitText("#messages .msg .body", text)
	matti.waitJS("initials for the colleague", author+`?.tagName === 'SPAN'`)
}
