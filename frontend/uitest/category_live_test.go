package uitest

import (
	"fmt"
	"testing"
	"time"
)

// A category the admin adds appears in an employee's open conversation
// list filter without reloading the page (tenant.changed "categories").
func TestCategoryAppearsLive(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	name := fmt.Sprint("Live category ", time.Now().UnixNano())

	emma := newBrowser(t, srv, "emma")
	emma.login("employee@demo.example")
	emma.waitOnline()
	emma.route("#/conversations")
	emma.waitJS("category filter loaded", `document.querySelectorAll('#cl-category option').length > 1`)
	loadedAt := eval[float64](emma, `performance.timeOrigin`)

	admin := srv.api(t, "admin@demo.example")
	handler := admin.roleID("message_handler")
	admin.must("POST", "/api/v1/categories", map[string]any{"name_en": name, "name_fi": name, "role_ids": []int64{handler}}, nil)

	emma.waitJS("new category in the filter", fmt.Sprintf(`[...document.querySelectorAll('#cl-category option')].some(o => o.textContent === %s)`, jsStr(name)))
	if now := eval[float64](emma, `performance.timeOrigin`); now != loadedAt {
		t.Fatal("the page was reloaded")
	}
}
