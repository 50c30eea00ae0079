package frontend_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"parley/chat"
)

// testPNG is a w×h opaque PNG.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = 200
		if i%4 == 3 {
			m.Pix[i] = 255 // opaque: a JPEG thumbnail
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// headerOnlyPNG declares a w×h picture and holds none of it.
func headerOnlyPNG(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	return append(out, chunk("IEND", nil)...)
}

// TestAttachmentThumbnailHTTP: uploads describe their image, thumbnails
// are served with the attachment's authorization, safe and cacheable
// headers and revalidation; a bomb is refused with a clear 413.
func TestAttachmentThumbnailHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	emp, admin := e.client(), e.client()
	emp.as(e.employee)
	admin.as(e.admin)

	res := emp.do("GET", "/api/v1/attachments/limits", nil)
	want(t, "limits", res, http.StatusOK, "")
	var lim chat.AttachmentLimits
	res.json(t, &lim)
	if lim.MaxBytes <= 0 || lim.MaxImagePixels != chat.MaxImagePixels || lim.MaxPerMessage != chat.MaxAttachmentsIn ||
		!strings.Contains(strings.Join(lim.Extensions, " "), ".png") {
		t.Fatalf("limits %+v", lim)
	}

	res = upload(t, emp, "photo.png", testPNG(t, 1000, 500))
	want(t, "upload", res, http.StatusCreated, "")
	var att struct {
		ID    int64       `json:"id"`
		Image *chat.Image `json:"image"`
	}
	res.json(t, &att)
	if att.Image == nil || att.Image.Width != 1000 || att.Image.Height != 500 || att.Image.ThumbnailType != "image/jpeg" {
		t.Fatalf("upload answered %s", res.body)
	}
	path := fmt.Sprintf("/api/v1/attachments/%d/thumbnail", att.ID)
	res = emp.raw("GET", path, "", nil)
	want(t, "thumbnail", res, http.StatusOK, "")
	for k, v := range map[string]string{
		"Content-Type":                 "image/jpeg",
		"X-Content-Type-Options":       "nosniff",
		"Cache-Control":                "private, max-age=300",
		"Content-Security-Policy":      "default-src 'none'; sandbox",
		"Cross-Origin-Resource-Policy": "same-origin",
	} {
		if got := res.header.Get(k); got != v {
			t.Fatalf("%s = %q, want %q", k, got, v)
		}
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(res.body)); err != nil || cfg.Width != 640 || cfg.Height != 320 {
		t.Fatalf("thumbnail %+v %v", cfg, err)
	}
	etag := res.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	res = emp.raw("GET", path, "", nil, "If-None-Match", etag)
	if res.status != http.StatusNotModified || len(res.body) != 0 {
		t.Fatalf("revalidation: %d, %d bytes", res.status, len(res.body))
	}

	// Not attached yet: only the uploader. Anyone else, even with the
	// ETag, gets what a missing id gets.
	denied := admin.raw("GET", path, "", nil, "If-None-Match", etag)
	missing := admin.raw("GET", fmt.Sprintf("/api/v1/attachments/%d/thumbnail", att.ID+99), "", nil)
	want(t, "other user", denied, http.StatusNotFound, chat.ENotFound)
	want(t, "missing", missing, http.StatusNotFound, chat.ENotFound)
	if !bytes.Equal(denied.body, missing.body) {
		t.Fatalf("refused %s, missing %s", denied.body, missing.body)
	}
	res = upload(t, emp, "notes.txt", []byte("just notes\n"))
	want(t, "text upload", res, http.StatusCreated, "")
	var txt struct{ ID int64 }
	res.json(t, &txt)
	want(t, "no thumbnail of text", emp.raw("GET", fmt.Sprintf("/api/v1/attachments/%d/thumbnail", txt.ID), "", nil), http.StatusNotFound, chat.ENotFound)

	res = upload(t, emp, "bomb.png", headerOnlyPNG(60000, 60000))
	want(t, "bomb", res, http.StatusRequestEntityTooLarge, chat.ETooLarge)
	if _, msg := res.errorOf(t); !strings.Contains(msg, "megapixels") {
		t.Fatalf("bomb refused with %q", msg)
	}
}
