package frontend_test

import (
	"bytes"
	"fmt"
	"image"
	"net/http"
	"testing"

	"parley/chat"
)

// avatarPut uploads data as the caller's avatar, as the settings page does.
func avatarPut(t *testing.T, c *client, filename string, data []byte) response {
	t.Helper()
	return uploadTo(t, c, "PUT", "/api/v1/me/avatar", filename, data)
}

// TestAvatarHTTP: a user sets and removes their avatar; it is served as
// a safe picture, cacheable by its version, to those who may see them,
// named in /users/names, and 404 to another tenant; bombs and other
// files get clear errors.
func TestAvatarHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := chat.OperatorContext(t.Context())
	other, err := e.svc.Directory.TenantCreate(op, chat.TenantInput{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := e.svc.Directory.RoleList(op, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	outsider := chat.User{TenantID: other.ID, Email: "x@other.example", Name: "X", Locale: "en", Active: true, RoleIDs: []int64{roles[0].ID}}
	if err := e.store.UserCreate(t.Context(), &outsider, passwordHash(t)); err != nil {
		t.Fatal(err)
	}
	emp, admin, stranger := e.client(), e.client(), e.client()
	emp.as(e.employee)
	admin.as(e.admin)
	stranger.as(outsider)

	res := avatarPut(t, emp, "me.png", testPNG(t, 400, 300))
	want(t, "upload", res, http.StatusOK, "")
	var got struct {
		Version int64 `json:"version"`
	}
	res.json(t, &got)
	if got.Version <= 0 {
		t.Fatalf("upload answered %s", res.body)
	}
	path := fmt.Sprintf("/api/v1/users/%d/avatar", e.employee.ID)
	res = admin.raw("GET", fmt.Sprintf("%s?v=%d", path, got.Version), "", nil)
	want(t, "avatar", res, http.StatusOK, "")
	for k, v := range map[string]string{
		"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	} {
		if res.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, res.header.Get(k), v)
		}
	}
	if m, _, err := image.Decode(bytes.NewReader(res.body)); err != nil || m.Bounds().Dx() != chat.AvatarSize || m.Bounds().Dy() != chat.AvatarSize {
		t.Fatalf("avatar does not decode as a %d square: %v", chat.AvatarSize, err)
	}
	res = admin.raw("GET", path+"?v=1", "", nil)
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("an old version: %d, Cache-Control %q", res.status, res.header.Get("Cache-Control"))
	}

	res = admin.do("GET", fmt.Sprintf("/api/v1/users/names?ids=%d,%d", e.employee.ID, e.admin.ID), nil)
	want(t, "names", res, http.StatusOK, "")
	var names struct {
		Items []struct {
			ID     int64 `json:"id"`
			Avatar int64 `json:"avatar"`
		} `json:"items"`
	}
	res.json(t, &names)
	if len(names.Items) != 2 || names.Items[0].Avatar != got.Version || names.Items[1].Avatar != 0 {
		t.Fatalf("names %s", res.body)
	}

	want(t, "another tenant", stranger.raw("GET", path, "", nil), http.StatusNotFound, chat.ENotFound)
	want(t, "anonymous", e.client().raw("GET", path, "", nil), http.StatusUnauthorized, chat.EUnauthenticated)
	want(t, "no avatar", emp.raw("GET", fmt.Sprintf("/api/v1/users/%d/avatar", e.admin.ID), "", nil), http.StatusNotFound, chat.ENotFound)
	want(t, "bad id", emp.raw("GET", "/api/v1/users/x/avatar", "", nil), http.StatusNotFound, chat.ENotFound)
	want(t, "bomb", avatarPut(t, emp, "bomb.png", headerOnlyPNG(60000, 60000)), http.StatusRequestEntityTooLarge, chat.ETooLarge)
	want(t, "pdf", avatarPut(t, emp, "cv.pdf", []byte("%PDF-1.4\nbody")), http.StatusBadRequest, chat.EInvalid)
	want(t, "anonymous upload", avatarPut(t, e.client(), "me.png", testPNG(t, 10, 10)), http.StatusUnauthorized, chat.EUnauthenticated)

	want(t, "remove", emp.do("DELETE", "/api/v1/me/avatar", nil), http.StatusNoContent, "")
	want(t, "removed", admin.raw("GET", path, "", nil), http.StatusNotFound, chat.ENotFound)
}
