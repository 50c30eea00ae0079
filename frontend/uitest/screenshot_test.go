package uitest

import (
	"fmt"
	"os"
	"testing"
)

// TestMainViewScreenshot renders the main view of a fresh demo (left panel
// with Messenger and Messages, a live topic with someone typing) and keeps
// it as an artifact. With PARLEY_UI_SCREENSHOT=docs/screenshot.png it also
// writes the README's screenshot.
func TestMainViewScreenshot(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	topic := srv.api(t, "admin@demo.example").topic("Payments processing")
	route := fmt.Sprintf("#/topic/%d", topic.ID)

	hannu := newBrowser(t, srv, "hannu")
	hannu.login("handler@demo.example")
	hannu.route(route)
	hannu.waitOnline()

	aino := newBrowser(t, srv, "aino", withSize(1280, 800))
	aino.login("admin@demo.example")
	aino.route(route)
	aino.waitOnline()
	aino.waitJS("history", `document.querySelectorAll('#messages .msg').length >= 4`)
	aino.waitJS("Hannu online", `document.querySelector('#members-online')?.textContent.startsWith('2')`)
	hannu.typeInto("#composer-input", "Checking the batch")
	aino.waitText("#typing", "Hannu Handler")
	aino.typeInto("#composer-input", "Thanks! The **Contoso** bonus goes with the April run")
	png := aino.screenshot()
	writeArtifact(t, "main-view.png", png)
	if path := os.Getenv("PARLEY_UI_SCREENSHOT"); path != "" {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
