package chat_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"

	"parley/chat"
	"parley/storage/storetest"
)

// pngChunk frames one PNG chunk.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// bombPNG is a tiny PNG whose header declares a w×h RGBA picture: what a
// decoder would allocate (w·h·4 bytes) is decided by those 13 bytes.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8 bits, RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// bombGIF declares a 65535×65535 logical screen.
func bombGIF() []byte {
	b := []byte("GIF89a\xff\xff\xff\xff\x80\x00\x00")
	b = append(b, 0, 0, 0, 255, 255, 255) // a two-colour global table
	return append(b, ';')
}

// markedImage is w×h blue with a red w/4×h/4 block in the top-left corner.
func markedImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/4 && y < h/4 {
				c = color.RGBA{255, 0, 0, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// exifTIFF is TIFF-structured EXIF data with orientation o, followed by
// marker (as a camera's GPS or owner fields would be).
func exifTIFF(o uint16, marker string) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00*")
	_ = binary.Write(&tiff, binary.BigEndian, uint32(8))
	_ = binary.Write(&tiff, binary.BigEndian, uint16(1))                       // one entry
	_ = binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3, 0, 1, o, 0}) // tag, SHORT, count 1, value
	_ = binary.Write(&tiff, binary.BigEndian, uint32(0))                       // no next IFD
	tiff.WriteString(marker)
	return tiff.Bytes()
}

// exifAPP1 is a JPEG APP1 segment holding exifTIFF(o, marker).
func exifAPP1(o uint16, marker string) []byte {
	body := append([]byte("Exif\x00\x00"), exifTIFF(o, marker)...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// pngWithExif is m as a PNG with an eXIf chunk after IHDR, where
// writers put it.
func pngWithExif(t *testing.T, m image.Image, o uint16, marker string) []byte {
	t.Helper()
	var b bytes.Buffer
	storetest.NoErr(t, png.Encode(&b, m), "png")
	const ihdrEnd = 8 + 25 // signature, IHDR chunk
	out := append([]byte{}, b.Bytes()[:ihdrEnd]...)
	out = append(out, pngChunk("eXIf", exifTIFF(o, marker))...)
	return append(out, b.Bytes()[ihdrEnd:]...)
}

// webpWithExif is testdata/marked-200x100.webp (a 200×100 blue picture
// with a red top-left quarter, made by Chromium's encoder: an extended
// WebP with a colour profile) with an EXIF chunk added, as a camera app
// writes it: the chunk at the end and the EXIF flag set in VP8X.
func webpWithExif(t *testing.T, o uint16, marker string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/marked-200x100.webp")
	storetest.NoErr(t, err, "testdata")
	if string(data[12:16]) != "VP8X" {
		t.Fatal("the test WebP is not an extended one")
	}
	out := append([]byte{}, data...)
	out[20] |= 0x08 // VP8X flags: EXIF present
	payload := exifTIFF(o, marker)
	chunk := binary.LittleEndian.AppendUint32([]byte("EXIF"), uint32(len(payload)))
	chunk = append(chunk, payload...)
	if len(payload)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out = append(out, chunk...)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// jpegWith encodes m as a JPEG with the given segments after SOI.
func jpegWith(t *testing.T, m image.Image, segments ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	out := append([]byte{}, b.Bytes()[:2]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, b.Bytes()[2:]...)
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 180 && g>>8 < 90 && b>>8 < 90
}

func isBlue(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 < 90 && g>>8 < 90 && b>>8 > 180
}

func decodeThumb(t *testing.T, info *chat.Image, data []byte) image.Image {
	t.Helper()
	if info == nil {
		t.Fatal("no thumbnail made")
	}
	m, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("thumbnail does not decode: %v", err)
	}
	if "image/"+format != info.ThumbnailType {
		t.Fatalf("thumbnail is %s, described as %s", format, info.ThumbnailType)
	}
	return m
}

// TestThumbnailRefusesBombs: images whose header declares more than
// MaxImagePixels (or a side over MaxImageSide) are refused at upload as
// too large, from the header alone. Not parallel: the allocation count
// is the process's, and a decoder that believed the 60000×60000 header
// would allocate 14 GB.
func TestThumbnailRefusesBombs(t *testing.T) {
	w := newCvWorld(t, newSQLite(t), chat.Config{})
	ctx := w.as(t, w.a.EmployeeA)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"bomb.png", bombPNG(60000, 60000), "60000×60000"},
		{"strip.png", bombPNG(40000, 1), "40000×1"},
		{"wide.png", bombPNG(8000, 7000), "8000×7000"},
		{"screen.gif", bombGIF(), "65535×65535"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := w.svc.Messages.UploadAttachment(ctx, tc.name, bytes.NewReader(tc.data))
		runtime.ReadMemStats(&after)
		storetest.WantCode(t, err, chat.ETooLarge)
		if msg := chat.ErrorMessage(err); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "megapixels") {
			t.Errorf("%s: message %q does not say why", tc.name, msg)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
			t.Errorf("%s: refusing it allocated %d bytes", tc.name, d)
		}
	}
	n, err := w.st.AttachmentDeleteUnlinked(t.Context(), time.Now().Add(24*time.Hour))
	storetest.NoErr(t, err, "AttachmentDeleteUnlinked")
	if n != 0 {
		t.Fatalf("refused images stored %d rows", n)
	}
}

// TestThumbnailOrientation: the thumbnail shows the picture the way the
// EXIF orientation of a JPEG, a PNG (eXIf) or a WebP (EXIF chunk) says it
// is shown, and its size is the shown one.
func TestThumbnailOrientation(t *testing.T) {
	t.Parallel()
	// Where the red corner of the stored picture ends up when shown.
	corner := map[uint16]string{1: "tl", 2: "tr", 3: "br", 4: "bl", 5: "tl", 6: "tr", 7: "br", 8: "bl"}
	files := map[string]func(o uint16) []byte{
		"image/jpeg": func(o uint16) []byte { return jpegWith(t, markedImage(200, 100), exifAPP1(o, "")) },
		"image/png":  func(o uint16) []byte { return pngWithExif(t, markedImage(200, 100), o, "") },
		"image/webp": func(o uint16) []byte { return webpWithExif(t, o, "") },
	}
	for ct, file := range files {
		for o := uint16(1); o <= 8; o++ {
			data := file(o)
			if got := chat.ImageOrientation(ct, data); got != int(o) {
				t.Fatalf("%s: orientation %d read as %d", ct, o, got)
			}
			info, thumb, err := chat.RenderThumbnail(ct, data)
			storetest.NoErr(t, err, "RenderThumbnail")
			m := decodeThumb(t, info, thumb)
			w, h := 200, 100
			if o >= 5 {
				w, h = 100, 200
			}
			if info.Width != w || info.Height != h || m.Bounds().Dx() != w || m.Bounds().Dy() != h {
				t.Fatalf("%s orientation %d: described %dx%d, thumbnail %v, want %dx%d", ct, o, info.Width, info.Height, m.Bounds(), w, h)
			}
			at := map[string]image.Point{"tl": {5, 5}, "tr": {w - 6, 5}, "bl": {5, h - 6}, "br": {w - 6, h - 6}}
			opposite := map[string]string{"tl": "br", "tr": "bl", "bl": "tr", "br": "tl"}
			red, blue := at[corner[o]], at[opposite[corner[o]]]
			if !isRed(m.At(red.X, red.Y)) || !isBlue(m.At(blue.X, blue.Y)) {
				t.Errorf("%s orientation %d: red corner not at %s (%v there, %v opposite)", ct, o, corner[o], m.At(red.X, red.Y), m.At(blue.X, blue.Y))
			}
		}
	}
	// Damaged containers read as upright, never out of bounds.
	for ct, data := range map[string][]byte{
		"image/png":  pngWithExif(t, markedImage(4, 4), 6, "")[:40],
		"image/webp": webpWithExif(t, 6, "")[:30],
	} {
		if got := chat.ImageOrientation(ct, data); got != 1 {
			t.Errorf("%s cut short: orientation %d", ct, got)
		}
	}
}

// TestThumbnailStripsMetadata: the thumbnail is a new encoding of the
// pixels; EXIF, comments and text chunks of the upload are not in it.
func TestThumbnailStripsMetadata(t *testing.T) {
	t.Parallel()
	const secret = "GPS 60.1699N 24.9384E owner Matti"
	comment := append([]byte{0xff, 0xfe, 0, byte(len(secret) + 2)}, secret...)
	photo := jpegWith(t, markedImage(64, 48), exifAPP1(1, secret), comment)
	var pb bytes.Buffer
	storetest.NoErr(t, png.Encode(&pb, markedImage(64, 48)), "png")
	text := pngChunk("tEXt", append([]byte("Comment\x00"), secret...))
	shot := append(append(append([]byte{}, pb.Bytes()[:33]...), text...), pb.Bytes()[33:]...)
	for name, tc := range map[string]struct {
		ct   string
		data []byte
	}{
		"jpeg": {"image/jpeg", photo}, "png": {"image/png", shot},
		"png eXIf":  {"image/png", pngWithExif(t, markedImage(64, 48), 1, secret)},
		"webp EXIF": {"image/webp", webpWithExif(t, 1, secret)},
	} {
		if !bytes.Contains(tc.data, []byte(secret)) {
			t.Fatalf("%s: the test image lacks its metadata", name)
		}
		info, thumb, err := chat.RenderThumbnail(tc.ct, tc.data)
		storetest.NoErr(t, err, "RenderThumbnail")
		decodeThumb(t, info, thumb)
		for _, leak := range []string{secret, "Exif", "tEXt", "eXIf", "EXIF", "ICCP", "iCCP"} {
			if bytes.Contains(thumb, []byte(leak)) {
				t.Errorf("%s thumbnail still holds %q", name, leak)
			}
		}
	}
}

// tinyWebP is a 1×1 lossless WebP.
const tinyWebP = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

// TestThumbnailFormats: every allowed image type gets a thumbnail within
// the box; opaque pictures become JPEG, transparent ones PNG, a GIF its
// first frame; files the decoders cannot read are kept as plain files.
func TestThumbnailFormats(t *testing.T) {
	t.Parallel()
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		storetest.NoErr(t, f(&b), "encode")
		return b.Bytes()
	}
	big := enc(func(b *bytes.Buffer) error { return png.Encode(b, markedImage(2000, 1000)) })
	empty := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	transparent := enc(func(b *bytes.Buffer) error { return png.Encode(b, empty) })
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	frame := func(i uint8) *image.Paletted {
		f := image.NewPaletted(image.Rect(0, 0, 20, 20), pal)
		for k := range f.Pix {
			f.Pix[k] = i
		}
		return f
	}
	anim := enc(func(b *bytes.Buffer) error {
		return gif.EncodeAll(b, &gif.GIF{Image: []*image.Paletted{frame(0), frame(1)}, Delay: []int{10, 10}})
	})
	bmpData := enc(func(b *bytes.Buffer) error { return bmp.Encode(b, markedImage(30, 20)) })
	webpData, _ := base64.StdEncoding.DecodeString(tinyWebP)
	for _, tc := range []struct {
		name, ct  string
		data      []byte
		w, h      int
		thumbType string
		firstRed  bool
	}{
		{"big png", "image/png", big, 640, 320, "image/jpeg", true},
		{"transparent png", "image/png", transparent, 10, 10, "image/png", false},
		{"animated gif", "image/gif", anim, 20, 20, "image/jpeg", true},
		{"bmp", "image/bmp", bmpData, 30, 20, "image/jpeg", true},
		{"webp", "image/webp", webpData, 1, 1, "", false},
	} {
		info, thumb, err := chat.RenderThumbnail(tc.ct, tc.data)
		storetest.NoErr(t, err, tc.name)
		m := decodeThumb(t, info, thumb)
		if m.Bounds().Dx() != tc.w || m.Bounds().Dy() != tc.h || (tc.thumbType != "" && info.ThumbnailType != tc.thumbType) {
			t.Errorf("%s: thumbnail %v %s, want %dx%d %s", tc.name, m.Bounds(), info.ThumbnailType, tc.w, tc.h, tc.thumbType)
		}
		if tc.firstRed && !isRed(m.At(1, 1)) {
			t.Errorf("%s: top-left is %v, want the first frame's red", tc.name, m.At(1, 1))
		}
	}
	if info, _, _ := chat.RenderThumbnail("image/png", big); info == nil || info.Width != 2000 || info.Height != 1000 {
		t.Fatalf("described as %+v", info)
	}
	// A header that reads but a body that does not: a plain file.
	info, thumb, err := chat.RenderThumbnail("image/png", bombPNG(10, 10))
	if info != nil || thumb != nil || err != nil {
		t.Fatalf("damaged png: %+v %d bytes %v", info, len(thumb), err)
	}
	if w, h := chat.FitBox(100, 5000, 640, 480); w != 10 || h != 480 {
		t.Fatalf("FitBox(100, 5000) = %dx%d", w, h)
	}
}

// TestThumbnailAccess: a thumbnail is served by the attachment's own rule
// on both engines, and whoever may not see the attachment gets the very
// answer a missing id gets.
func TestThumbnailAccess(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e engine) {
		w := newCvWorld(t, e.open(t), chat.Config{})
		a := w.a
		var pb bytes.Buffer
		storetest.NoErr(t, png.Encode(&pb, markedImage(800, 600)), "png")
		up, err := w.svc.Messages.UploadAttachment(w.as(t, a.EmployeeA), "scan.png", bytes.NewReader(pb.Bytes()))
		storetest.NoErr(t, err, "upload")
		if up.Image == nil || up.Image.Width != 800 || up.Image.Height != 600 || up.Image.ThumbnailType != "image/jpeg" {
			t.Fatalf("upload described as %+v", up.Image)
		}
		got, err := w.st.AttachmentGet(t.Context(), a.Tenant.ID, up.ID)
		storetest.NoErr(t, err, "AttachmentGet")
		if got.Image == nil || *got.Image != *up.Image {
			t.Fatalf("stored image %+v, want %+v", got.Image, up.Image)
		}
		open := func(u chat.User, id int64) ([]byte, error) {
			_, data, err := w.svc.Messages.OpenThumbnail(w.as(t, u), id)
			return data, err
		}
		_, missing := open(a.EmployeeA, up.ID+1000)
		storetest.WantNotFound(t, missing)
		same := func(who string, err error) {
			t.Helper()
			if chat.ErrorCode(err) != chat.ErrorCode(missing) || chat.ErrorMessage(err) != chat.ErrorMessage(missing) {
				t.Errorf("%s: %v, want the missing id's answer %v", who, err, missing)
			}
		}
		thumb, err := open(a.EmployeeA, up.ID)
		storetest.NoErr(t, err, "uploader's thumbnail")
		if m, err := jpeg.DecodeConfig(bytes.NewReader(thumb)); err != nil || m.Width != 640 || m.Height != 480 {
			t.Fatalf("thumbnail %+v %v", m, err)
		}
		_, err = open(a.Handler, up.ID)
		same("handler before it is attached", err)

		v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{AttachmentIDs: []int64{up.ID}})
		hist, err := w.svc.Messages.History(w.as(t, a.Handler), chat.ConversationChannel(v.ID), 0, 10)
		storetest.NoErr(t, err, "History")
		described := false
		for _, m := range hist {
			described = described || (len(m.Attachments) == 1 && m.Attachments[0].Image != nil && *m.Attachments[0].Image == *up.Image)
		}
		if !described {
			t.Fatalf("the message does not describe its image: %+v", hist)
		}
		for _, u := range []chat.User{a.EmployeeA, a.Handler, a.Admin} {
			if data, err := open(u, up.ID); err != nil || !bytes.Equal(data, thumb) {
				t.Fatalf("%s: %d bytes, %v", u.Name, len(data), err)
			}
		}
		for _, u := range []chat.User{a.EmployeeB, a.Manager, w.b.Admin} {
			_, err := open(u, up.ID)
			same(u.Name, err)
		}
		// A file that is not an image has no thumbnail.
		txt := w.upload(t, a.EmployeeA)
		_, err = open(a.EmployeeA, txt.ID)
		storetest.WantNotFound(t, err)
		// A deleted message takes its thumbnail with it.
		_, err = w.svc.Messages.DeleteMessage(w.as(t, a.EmployeeA), *mustAttachment(t, w, a, up.ID).MessageID)
		storetest.NoErr(t, err, "DeleteMessage")
		_, err = open(a.Handler, up.ID)
		same("after delete", err)
	})
}

// TestThumbnailBackfill: an image stored before thumbnails (no thumbnail
// row) gets its thumbnail on the first request through the upload's
// pipeline (orientation applied), on both engines; later loads describe
// it as an image. A bomb stored then is refused from its header and
// marked, a file that does not decode too; whoever may not see the file
// never starts the work.
//
// Not parallel, engines in turn: the allocation bound reads the process's
// allocation counter, which parallel tests would add to.
func TestThumbnailBackfill(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { thumbnailBackfill(t, e) })
	}
}

func thumbnailBackfill(t *testing.T, e engine) {
	w := newCvWorld(t, e.open(t), chat.Config{})
	a := w.a
	stored := func(name, ct string, data []byte) chat.Attachment {
		att := chat.Attachment{TenantID: a.Tenant.ID, UploaderID: a.EmployeeA.ID, Filename: name, ContentType: ct}
		storetest.NoErr(t, w.st.AttachmentCreate(t.Context(), &att, data, nil), "AttachmentCreate "+name)
		return att
	}
	photo := stored("photo.png", "image/png", pngWithExif(t, markedImage(200, 100), 6, "GPS secret"))
	bomb := stored("bomb.png", "image/png", bombPNG(60000, 60000))
	broken := stored("broken.png", "image/png", bombPNG(10, 10))
	w.create(t, a, a.EmployeeA, chat.NewConversationInput{AttachmentIDs: []int64{photo.ID, bomb.ID, broken.ID}})
	if !mustAttachment(t, w, a, photo.ID).ThumbnailPending {
		t.Fatal("an image without a thumbnail is not pending")
	}
	_, _, err := w.svc.Messages.OpenThumbnail(w.as(t, w.b.Admin), photo.ID)
	storetest.WantNotFound(t, err)
	if !mustAttachment(t, w, a, photo.ID).ThumbnailPending {
		t.Fatal("another tenant's request made the thumbnail")
	}

	got, thumb, err := w.svc.Messages.OpenThumbnail(w.as(t, a.Handler), photo.ID)
	storetest.NoErr(t, err, "OpenThumbnail")
	m := decodeThumb(t, got.Image, thumb)
	if got.Image.Width != 100 || got.Image.Height != 200 || m.Bounds().Dx() != 100 || !isRed(m.At(94, 5)) {
		t.Fatalf("backfilled %+v, %v, top-right %v", got.Image, m.Bounds(), m.At(94, 5))
	}
	if bytes.Contains(thumb, []byte("GPS secret")) {
		t.Fatal("the backfilled thumbnail kept the metadata")
	}
	after := mustAttachment(t, w, a, photo.ID)
	if after.ThumbnailPending || after.Image == nil || *after.Image != *got.Image {
		t.Fatalf("stored after the backfill: %+v", after)
	}
	_, again, err := w.svc.Messages.OpenThumbnail(w.as(t, a.EmployeeA), photo.ID)
	if err != nil || !bytes.Equal(again, thumb) {
		t.Fatalf("second request: %d bytes, %v", len(again), err)
	}

	// An upload that does not decode is a file at once, never pending.
	up, err := w.svc.Messages.UploadAttachment(w.as(t, a.EmployeeA), "damaged.png", bytes.NewReader(bombPNG(10, 10)))
	storetest.NoErr(t, err, "upload a damaged png")
	if st := mustAttachment(t, w, a, up.ID); up.ThumbnailPending || up.Image != nil || st.ThumbnailPending || st.Image != nil {
		t.Fatalf("a damaged upload: answered %+v, stored %+v", up, st)
	}

	for _, att := range []chat.Attachment{bomb, broken} {
		var before, later runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := w.svc.Messages.OpenThumbnail(w.as(t, a.Handler), att.ID)
		runtime.ReadMemStats(&later)
		storetest.WantNotFound(t, err)
		if d := later.TotalAlloc - before.TotalAlloc; d > 16<<20 {
			t.Errorf("%s: trying it allocated %d bytes", att.Filename, d)
		}
		if st := mustAttachment(t, w, a, att.ID); st.ThumbnailPending || st.Image != nil {
			t.Errorf("%s is still pending: %+v", att.Filename, st)
		}
	}
}

func mustAttachment(t *testing.T, w *cvWorld, tn *cvTenant, id int64) chat.Attachment {
	t.Helper()
	a, err := w.st.AttachmentGet(t.Context(), tn.Tenant.ID, id)
	storetest.NoErr(t, err, "AttachmentGet")
	return a
}
