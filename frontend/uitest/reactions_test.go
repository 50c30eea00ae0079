package uitest

import (
	"encoding/base64"
	"fmt"
	"os"
	"testing"
	"time"

	"parley/storage/pgtest"
)

// reactionChip is a JS expression: the reaction chip with emoji on the
// message whose body contains text, or null.
func reactionChip(text, emoji string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#messages article.msg')].filter(e => e.querySelector('.body')?.textContent.includes(%s)).pop()?.querySelector('.reaction[data-emoji=%s]')`, jsStr(text), jsStr(emoji))
}

// TestReactionsLiveTwoNodes: two parley nodes on one PostgreSQL and one
// Redis; a reaction made in a browser on one node shows live, with who
// reacted, in a browser on the other, and toggles back. The message
// actions (reply, react, edit, delete) show on hover and keyboard focus
// only.
func TestReactionsLiveTwoNodes(t *testing.T) {
	t.Parallel()
	redisURL := os.Getenv("PARLEY_TEST_REDIS_URL")
	if redisURL == "" {
		t.Fatal("PARLEY_TEST_REDIS_URL is not set (tools/with-services.sh provides it)")
	}
	env := []string{"PARLEY_DATABASE_URL=" + pgtest.NewDatabase(t), "PARLEY_REDIS_URL=" + redisURL,
		"PARLEY_REDIS_PREFIX=uitest-react-" + fmt.Sprint(time.Now().UnixNano()),
		"PARLEY_SESSION_KEYS=" + base64.StdEncoding.EncodeToString([]byte("uitest session key of at least 32 bytes!!"))}
	node1 := startServer(t, env...)
	node2 := startServer(t, env...) // the database is seeded: no second demo
	api := node1.api(t, "employee@demo.example")
	topic := api.topic("Holiday calendar")
	route := fmt.Sprintf("#/topic/%d", topic.ID)
	stamp := fmt.Sprint(time.Now().UnixNano())
	text := "Team lunch on Friday? " + stamp
	api.postTopic(topic.ID, text)

	emma := newBrowser(t, node1, "emma")
	matti := newBrowser(t, node2, "matti")
	emma.login("employee@demo.example")
	matti.login("manager@demo.example")
	for _, b := range []*browser{emma, matti} {
		b.route(route)
		b.waitOnline()
		b.waitText("#messages .msg .body", text)
	}

	// Actions are out of sight until the message has focus or the pointer.
	actions := fmt.Sprintf(`[...document.querySelectorAll('#messages article.msg')].filter(e => e.querySelector('.body')?.textContent.includes(%s)).pop().querySelector('.msg-actions')`, jsStr(text))
	eval[bool](matti, `(document.activeElement?.blur(), true)`)
	if op := eval[string](matti, `getComputedStyle(`+actions+`).opacity`); op != "0" {
		t.Fatalf("message actions show without hover or focus (opacity %s)", op)
	}
	eval[bool](matti, `(`+actions+`.querySelector('[data-action=reply]').focus(), true)`)
	matti.waitJS("actions shown on focus", `getComputedStyle(`+actions+`).opacity === '1'`)

	// Matti reacts on node 2; Emma sees it on node 1 with his name.
	matti.msgAction(text, "react")
	matti.waitJS("picker", `document.querySelector('.react-picker .pick[data-emoji="👍"]')`)
	matti.click(`.react-picker .pick[data-emoji="👍"]`)
	chip := reactionChip(text, "👍")
	emma.waitJS("Matti's reaction, live from the other node", chip+`?.textContent.includes('1') && `+chip+`.title.includes('Matti Manager')`)
	if eval[bool](emma, chip+`.classList.contains('mine')`) {
		t.Fatal("Matti's reaction shows as Emma's own")
	}

	// Emma adds hers by pressing the chip; both see two.
	emma.waitJS("press the chip", `(() => { const c = `+chip+`; if (!c) return false; c.click(); return true })()`)
	for _, b := range []*browser{emma, matti} {
		b.waitJS("two reactions", chip+`?.textContent.includes('2') && `+chip+`.title.includes('Emma Employee')`)
	}
	emma.waitJS("hers is pressed", chip+`.getAttribute('aria-pressed') === 'true'`)
	eval[bool](emma, `(`+actions+`.querySelector('[data-action=react]').click(), true)`)
	emma.waitJS("the picker open", `document.querySelector('.react-picker')`)
	docShot(t, emma, "ui-reactions")
	emma.press("Escape", "Escape", 27, 0)
	emma.waitJS("the picker closed", `!document.querySelector('.react-picker')`)

	// Matti takes his back.
	matti.waitJS("his is pressed", chip+`?.getAttribute('aria-pressed') === 'true'`)
	eval[bool](matti, `(`+chip+`.click(), true)`)
	emma.waitJS("one left, Emma's", chip+`?.textContent.includes('1') && !`+chip+`.title.includes('Matti Manager')`)

	// After a reload the reactions come with the history.
	matti.open(route)
	matti.waitJS("reaction after reload", chip+`?.title.includes('Emma Employee')`)
	emma.noDialogs()
	matti.noDialogs()
}
