package chat_test

import (
	"bytes"
	"image"
	_ "image/jpeg" // decoding the thumbnails the fuzzer's inputs yield
	_ "image/png"
	"testing"

	"parley/chat"
)

// FuzzThumbnail: whatever bytes arrive as an image of an allowed type,
// the thumbnailer refuses them as too large, keeps them as a plain file,
// or makes a thumbnail that decodes, fits the box and is described with
// the image's size; the EXIF reader always answers an orientation 1..8.
func FuzzThumbnail(f *testing.F) {
	types := []string{"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
	f.Add(uint8(0), bombPNG(60000, 60000))
	f.Add(uint8(0), bombPNG(10, 10))
	f.Add(uint8(2), bombGIF())
	f.Add(uint8(1), append([]byte{0xff, 0xd8}, exifAPP1(6, "x")...))
	f.Add(uint8(1), []byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, '*', 0xff, 0xff, 0xff, 0xff})
	f.Add(uint8(0), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x10eXIfMM\x00*\x00\x00\x00\x08\x00\x01"))
	f.Add(uint8(3), []byte("RIFF\x00\x00\x00\x00WEBPEXIF\x10\x00\x00\x00Exif\x00\x00MM\x00*"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		ct := types[int(kind)%len(types)]
		if o := chat.ImageOrientation(ct, data); o < 1 || o > 8 {
			t.Fatalf("%s orientation %d", ct, o)
		}
		info, thumb, err := chat.RenderThumbnail(ct, data)
		if err != nil {
			if chat.ErrorCode(err) != chat.ETooLarge {
				t.Fatalf("%s: %v", ct, err)
			}
			return
		}
		if info == nil {
			if thumb != nil {
				t.Fatal("a thumbnail without a description")
			}
			return
		}
		if info.Width <= 0 || info.Height <= 0 || int64(info.Width)*int64(info.Height) > chat.MaxImagePixels {
			t.Fatalf("described as %+v", info)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb))
		if err != nil || "image/"+format != info.ThumbnailType {
			t.Fatalf("thumbnail %s does not decode as %s: %v", format, info.ThumbnailType, err)
		}
		if cfg.Width > chat.ThumbnailWidth || cfg.Height > chat.ThumbnailHeight {
			t.Fatalf("thumbnail %dx%d outside the box", cfg.Width, cfg.Height)
		}
		if w, h := chat.FitBox(info.Width, info.Height, chat.ThumbnailWidth, chat.ThumbnailHeight); w != cfg.Width || h != cfg.Height {
			t.Fatalf("thumbnail %dx%d of a %dx%d image, want %dx%d", cfg.Width, cfg.Height, info.Width, info.Height, w, h)
		}
	})
}
