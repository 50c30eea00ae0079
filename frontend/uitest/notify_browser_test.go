package uitest

import (
	"context"
	"fmt"
	"iter"
	"os"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
)

// titleCount reads the unread count from the tab title, "(n) Parley".
const titleCount = `Number((document.title.match(/^\((\d+)\)/) || [0, 0])[1])`

// watchNotifications records in window.__seen the title of every
// notification shown: the page's own as it asks the registration to show
// them, the service worker's by polling getNotifications() all along
// (headless Chromium closes a notification soon after it is shown).
const watchNotifications = `window.__seen = [];
	// The page's own: seen as it asks the registration to show them.
	const show = ServiceWorkerRegistration.prototype.showNotification;
	ServiceWorkerRegistration.prototype.showNotification = function (title, opts) {
		window.__seen.push(title);
		return show.call(this, title, opts);
	};
	// The service worker's (pushes): polled.
	setInterval(() => navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => {
		for (const n of ns) if (!window.__seen.includes(n.title)) window.__seen.push(n.title);
	}), 10); true`

func (b *browser) waitNotification(title string) {
	b.t.Helper()
	b.waitJSFor("notification "+title, `window.__seen.includes(`+jsStr(title)+`)`, 45*time.Second)
}

// TestBrowserNotifications: Hannu allowed notifications and his tab is in
// the background. Mira mentions him: the tab title and the favicon count
// it, and a desktop notification says so. A Web Push delivered to the
// service worker over the DevTools protocol (as the push service would
// deliver it with the tab closed) shows its own notification. Back in the
// tab, reading clears the count.
func TestBrowserNotifications(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	mira := srv.api(t, "messenger@demo.example")
	hannu := srv.api(t, "handler@demo.example")
	topic := mira.topic("Payments processing")

	b := newBrowser(t, srv, "hannu")
	// What "Allow" in the permission prompt does.
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: srv.URL,
	}); err != nil {
		t.Fatalf("granting notifications: %v", err)
	}
	regs := chromedp.Events(b.ctx, serviceworker.WorkerRegistrationUpdated)
	b.login("handler@demo.example")
	b.waitOnline()
	if !evalAsync[bool](b, `navigator.serviceWorker.ready.then((r) => !!r.active)`) {
		t.Fatal("the service worker did not start")
	}
	if p := eval[string](b, `Notification.permission`); p != "granted" {
		t.Fatalf("permission %q", p)
	}
	b.waitJS("the count of the demo's unread topic messages", titleCount+` >= 0 && document.title.endsWith('Parley')`)
	base := eval[int](b, titleCount)
	eval[bool](b, watchNotifications)

	// The tab goes to the background.
	eval[bool](b, `Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
		document.dispatchEvent(new Event('visibilitychange')); true`)
	mira.must("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topic.ID),
		map[string]any{"body": "Hannu, the payday run needs you", "mentions": []int64{hannu.me.User.ID}}, nil)
	// One in-app notification and one unread topic message.
	b.waitJS("the title count", fmt.Sprintf(`%s === %d`, titleCount, base+2))
	b.waitJS("the favicon badge", `document.getElementById('favicon').dataset.badge === String(`+titleCount+`)`)
	if href := eval[string](b, `document.getElementById('favicon').href`); !strings.HasPrefix(href, "data:image/png") {
		t.Fatalf("favicon %q", href[:min(len(href), 40)])
	}
	// Hannu's profile is in Finnish.
	mentioned := map[string]string{"en": "You were mentioned", "fi": "Sinut mainittiin"}[eval[string](b, `document.documentElement.lang`)]
	b.waitNotification(mentioned)

	// A push for a closed tab, straight to the service worker.
	if _, err := chromedp.Call(b.ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("ServiceWorker.enable: %v", err)
	}
	regID := registrationOf(t, b.ctx, regs, srv.URL+"/")
	payload := fmt.Sprintf(`{"title":"Mira Messenger mentioned you in Payments processing","body":"Demo","link":"/#/topic/%d","tag":"topic:%d"}`, topic.ID, topic.ID)
	if _, err := chromedp.Call(b.ctx, serviceworker.DeliverPushMessage,
		serviceworker.DeliverPushMessageParams{Origin: srv.URL, RegistrationID: regID, Data: payload}); err != nil {
		t.Fatalf("ServiceWorker.deliverPushMessage: %v", err)
	}
	b.waitNotification("Mira Messenger mentioned you in Payments processing")

	// Back in front, Hannu reads everything: the count goes.
	eval[bool](b, `Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
		document.dispatchEvent(new Event('visibilitychange')); true`)
	hannu.must("POST", "/api/v1/notifications/read-all", nil, nil)
	b.route(fmt.Sprintf("#/topic/%d", topic.ID))
	// (The topic's older unread messages are read too, so the count may
	// fall below where it started.)
	b.waitJS("the count after reading", titleCount+` <= `+fmt.Sprint(base))

	// Settings: this device is on (permission granted), and the kinds'
	// channels save: topic messages no longer to the browser.
	b.route("#/settings")
	b.waitJS("device status", `document.getElementById('alerts-status')?.dataset.permission === 'granted'`)
	b.waitJS("channels loaded", `document.getElementById('set-ch-topic-push')?.checked === true`)
	b.click("#set-ch-topic-push")
	b.click("#set-notif-save")
	eval[bool](b, `document.getElementById('set-channels').scrollIntoView({block: 'start'}); true`)
	png := b.screenshot()
	writeArtifact(t, "notification-settings.png", png)
	// PARLEY_UI_NOTIFY_SCREENSHOT=docs/ui-notifications.png writes the
	// picture in docs/ui.md.
	if path := os.Getenv("PARLEY_UI_NOTIFY_SCREENSHOT"); path != "" {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var prefs struct {
		Channels map[string]map[string]bool `json:"channels"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		hannu.must("GET", "/api/v1/notifications/preferences", nil, &prefs)
		if !prefs.Channels["topic"]["push"] && prefs.Channels["topic"]["email"] && prefs.Channels["mention"]["push"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("preferences after saving: %+v", prefs)
		}
		time.Sleep(100 * time.Millisecond) // the deadline only bounds a hang
	}
}

// registrationOf waits for the service worker registration of scope.
func registrationOf(t *testing.T, ctx context.Context, regs iter.Seq2[serviceworker.EventWorkerRegistrationUpdated, error], scope string) serviceworker.RegistrationID {
	t.Helper()
	found := make(chan serviceworker.RegistrationID, 1)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	go func() {
		for ev, err := range regs {
			if err != nil {
				return
			}
			for _, r := range ev.Registrations {
				if r.ScopeURL == scope && !r.IsDeleted {
					found <- r.RegistrationID
					return
				}
			}
		}
	}()
	select {
	case id := <-found:
		return id
	case <-ctx.Done():
		t.Fatalf("no service worker registration for %s", scope)
		return ""
	}
}
