package uitest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// touchScreen makes the page a phone's: touch events and the media
// features of a touch screen (no hover, a coarse pointer).
func (b *browser) touchScreen() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 5}); err != nil {
		b.t.Fatalf("%s: touch emulation: %v", b.name, err)
	}
	features := []*emulation.MediaFeature{{Name: "hover", Value: "none"}, {Name: "pointer", Value: "coarse"}, {Name: "any-hover", Value: "none"}, {Name: "any-pointer", Value: "coarse"}}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features}); err != nil {
		b.t.Fatalf("%s: media emulation: %v", b.name, err)
	}
}

// TestMessageMenuOnTouch: on a touch screen a message's actions are a
// menu behind a "…" button (or a long press): opened, moved through
// with the arrow keys, closed with Escape (focus back on the button);
// Reply from it starts a reply. A desktop keeps the row of actions.
func TestMessageMenuOnTouch(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	phone := newBrowser(t, srv, "emma-phone", withSize(400, 800))
	phone.touchScreen()
	stamp := fmt.Sprint(time.Now().UnixNano())
	api := srv.api(t, "messenger@demo.example")
	topic := api.topic("Salary questions")
	api.postTopic(topic.ID, "touch me "+stamp)
	route := fmt.Sprintf("#/topic/%d", topic.ID)
	phone.login("employee@demo.example")
	if !eval[bool](phone, `matchMedia('(hover: none) and (pointer: coarse)').matches`) {
		t.Fatal("the touch screen emulation did not take")
	}
	phone.route(route)
	phone.waitText("#messages .msg .body", "touch me "+stamp)
	msg := fmt.Sprintf(`[...document.querySelectorAll('#messages article.msg')].filter(e => e.textContent.includes(%s)).pop()`, jsStr("touch me "+stamp))
	phone.waitJS("a closed menu", msg+`?.querySelector('.msg-more[aria-expanded=false]') && `+msg+`.querySelector('.msg-menu').hidden`)
	if eval[bool](phone, msg+`.querySelector('.msg-menu [data-action=reply]').offsetParent !== null`) {
		t.Fatal("the actions show before the menu is opened")
	}

	phone.waitJS("open the menu", `(() => { const b = `+msg+`.querySelector('.msg-more'); b.focus(); b.click(); return true })()`)
	phone.waitJS("menu open, first item focused", msg+`.querySelector('.msg-more').getAttribute('aria-expanded') === 'true' && document.activeElement?.getAttribute('role') === 'menuitem' && document.activeElement.dataset.action === 'reply'`)
	if n := eval[int](phone, msg+`.querySelectorAll('.msg-menu [role=menuitem]').length`); n < 2 {
		t.Fatalf("the menu has %d items", n)
	}
	phone.pressKey("ArrowDown", "ArrowDown", 40)
	phone.waitJS("arrow moves", `document.activeElement?.dataset.action === 'react'`)
	phone.keepScreenshot("ui-touch-menu.png")
	phone.pressKey("Escape", "Escape", 27)
	phone.waitJS("Escape closes, focus back", msg+`.querySelector('.msg-menu').hidden && document.activeElement === `+msg+`.querySelector('.msg-more')`)

	// A long press (contextmenu on touch browsers) opens it too; Reply
	// from the menu starts a reply and closes it.
	phone.waitJS("long press", `(() => { `+msg+`.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, cancelable: true})); return true })()`)
	phone.waitJS("open after the long press", `!(`+msg+`.querySelector('.msg-menu').hidden)`)
	phone.waitJS("reply", `(() => { `+msg+`.querySelector('.msg-menu [data-action=reply]').click(); return true })()`)
	phone.waitJS("replying", msg+`.querySelector('.msg-menu').hidden && !document.querySelector('.composer-banner').hidden && document.activeElement?.id === 'composer-input'`)

	// The desktop keeps the row shown on hover and focus, no menu.
	desk := newBrowser(t, srv, "emma-desk")
	desk.login("employee@demo.example")
	desk.route(route)
	desk.waitText("#messages .msg .body", "touch me "+stamp)
	if !eval[bool](desk, `!document.querySelector('.msg-more') && !!document.querySelector('#messages .msg-actions [data-action=reply]')`) {
		t.Fatal("the desktop lost its row of actions")
	}
	phone.noDialogs()
}
