package uitest

import (
	"fmt"
	"strings"
	"testing"
)

// TestFirstRunHeaderAndWelcome: a fresh installation (no demo data) names
// the product once in the header although its first tenant is called
// "Parley", and its admin is welcomed with the tenant's first steps;
// dismissing the welcome is remembered across a reload.
func TestFirstRunHeaderAndWelcome(t *testing.T) {
	t.Parallel()
	srv := startFirstRun(t)
	admin := newBrowser(t, srv, "admin", withSize(1280, 800))
	admin.login("admin@example.com")
	admin.waitJS("header", `document.querySelector('#brand')`)
	if got := eval[string](admin, `document.querySelector('.topbar').textContent`); strings.Count(got, "Parley") != 1 {
		t.Fatalf("the header names the product %d times: %q", strings.Count(got, "Parley"), got)
	}
	admin.waitJS("admin's steps", `['messenger', 'groups', 'categories'].every(s => document.querySelector('#welcome-' + s + ' a.button'))`)
	if eval[bool](admin, `!!document.querySelector('#welcome-queues, #welcome-start, #welcome-topics')`) {
		t.Fatal("the admin of an empty tenant got steps of other roles")
	}
	if href := eval[string](admin, `document.querySelector('#welcome-messenger a').getAttribute('href')`); href != "#/admin/settings" {
		t.Fatalf("turn the messenger on links to %q", href)
	}
	admin.keepScreenshot("ui-welcome-admin.png")
	admin.click("#welcome-dismiss")
	admin.waitJS("welcome gone", `!document.querySelector('#welcome') && document.activeElement?.tagName === 'H1'`)
	admin.open("")
	admin.waitJS("home again", `document.querySelector('.home h1')`)
	if eval[bool](admin, `!!document.querySelector('#welcome')`) {
		t.Fatal("the dismissed welcome came back after a reload")
	}
	admin.noDialogs()
}

// TestWelcomeFitsTheRole: each demo role is welcomed with its own first
// steps (English and Finnish), and the demo tenant's name shows beside
// the product's.
func TestWelcomeFitsTheRole(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	for _, tc := range []struct {
		email, title string
		want, not    []string
	}{
		{"messenger@demo.example", "Getting started", []string{"topics", "member", "start"}, []string{"queues", "groups"}},
		{"employee@demo.example", "Getting started", []string{"member", "start"}, []string{"topics", "queues", "groups"}},
		{"handler@demo.example", "Aloitus", []string{"queues"}, []string{"start", "groups", "topics"}},
		{"customer@demo.example", "Getting started", []string{"start"}, []string{"queues", "groups", "topics"}},
	} {
		b := newBrowser(t, srv, "welcome-"+tc.email[:4])
		b.login(tc.email)
		b.waitText("#welcome-title", tc.title)
		for _, s := range tc.want {
			b.waitJS(tc.email+" step "+s, fmt.Sprintf(`document.querySelector('#welcome-%s a.button')`, s))
		}
		for _, s := range tc.not {
			if eval[bool](b, fmt.Sprintf(`!!document.querySelector('#welcome-%s')`, s)) {
				t.Errorf("%s was shown the %s step", tc.email, s)
			}
		}
		if tc.email == "handler@demo.example" {
			b.keepScreenshot("ui-welcome-handler.png")
		}
		if n := eval[int](b, `document.querySelectorAll('#brand .tenant').length`); n != 1 {
			t.Errorf("%s: the demo tenant's name is not in the header", tc.email)
		}
	}
}
