package chat

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"
)

// Image thumbnails. An uploaded image gets one thumbnail, made at upload
// and stored beside it. Decoding is where a hostile image does harm, so
// the size the header declares is read first (DecodeConfig) and an image
// of more than MaxImagePixels is refused before a byte of it is decoded;
// the decoders then allocate no more than the header declared (each
// checks its data against it). Decoding memory on a node is bounded as a
// whole by imageMemory, shared by concurrent uploads. The thumbnail is a
// new encoding of the pixels only (no EXIF, text chunks or colour
// profiles survive), turned upright by the EXIF orientation of a JPEG,
// PNG or WebP.

const (
	// MaxImagePixels bounds an image's declared width × height (50
	// megapixels: an 8660×5773 photo; 48-megapixel phone cameras fit).
	// Larger images are refused as ETooLarge, so a decompression bomb
	// (a small file declaring a huge picture) is never decoded.
	MaxImagePixels = 50_000_000
	// MaxImageSide bounds either side, so a 1×50,000,000 strip cannot
	// pass as 50 megapixels.
	MaxImageSide = 30000
	// ThumbnailWidth and ThumbnailHeight are the box a thumbnail fits in
	// (twice the size the thread shows, for high-density screens).
	// Smaller images keep their size.
	ThumbnailWidth  = 640
	ThumbnailHeight = 480
	// imageMemory bounds the decoded pixels of all images being
	// thumbnailed at once on a node (the largest image, 50 MP of 16-bit
	// RGBA, takes 400 MB of it).
	imageMemory = 512 << 20
	// thumbnailQuality is the JPEG quality of thumbnails of opaque images.
	thumbnailQuality = 82
)

// Image describes an attachment the server could read as a picture: its
// size as shown (EXIF orientation applied) and its thumbnail's type.
type Image struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	// ThumbnailType is image/jpeg (opaque pictures) or image/png.
	ThumbnailType string `json:"thumbnail_type"`
}

// StoredImage is the Image a store row describes: none for width 0 or no
// thumbnail type (not an image, or uploaded before thumbnails).
func StoredImage(width, height int, thumbnailType string) *Image {
	if width <= 0 || height <= 0 || thumbnailType == "" {
		return nil
	}
	return &Image{Width: width, Height: height, ThumbnailType: thumbnailType}
}

// NoThumbnail is the thumbnail type stored for an image of which no
// thumbnail can be made, so that it is not tried again.
const NoThumbnail = "none"

// ThumbnailPending reports whether a stored file of type ct whose stored
// thumbnail type is thumbnailType is an image still waiting for its
// thumbnail: one uploaded before thumbnails, when the column was added
// empty. Uploads since then store a type or have no image type.
func ThumbnailPending(ct, thumbnailType string) bool {
	_, image := imageCodecs[ct]
	return image && thumbnailType == ""
}

// imageCodec is the decoder of one allowed image type.
type imageCodec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// imageCodecs are chosen by the type detected from the bytes, never by
// image.Decode's own sniffing, so a file is decoded as what it was
// accepted as. gif.Decode returns the first frame only.
var imageCodecs = map[string]imageCodec{
	typePNG.mime:  {png.DecodeConfig, png.Decode},
	typeJPEG.mime: {jpeg.DecodeConfig, jpeg.Decode},
	typeGIF.mime:  {gif.DecodeConfig, gif.Decode},
	typeWebP.mime: {webp.DecodeConfig, webp.Decode},
	typeBMP.mime:  {bmp.DecodeConfig, bmp.Decode},
}

// thumbnailer makes thumbnails within the node's decoding budget.
type thumbnailer struct {
	memory *semaphore.Weighted
}

func newThumbnailer() *thumbnailer {
	return &thumbnailer{memory: semaphore.NewWeighted(imageMemory)}
}

// render returns the image description and thumbnail of data, a file of
// type ct. A file that is not an image, or that these decoders cannot
// read (a damaged file, a JPEG variant Go does not decode), gets none
// (nil, nil, nil): it is kept and shown as a plain file. Errors:
// ETooLarge (over MaxImagePixels or MaxImageSide), EUnavailable (ctx
// ended while waiting for decoding memory).
func (t *thumbnailer) render(ctx context.Context, ct string, data []byte) (*Image, []byte, error) {
	codec, ok := imageCodecs[ct]
	if !ok {
		return nil, nil, nil
	}
	cfg, err := codec.config(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, nil, nil
	}
	if err := checkImageSize(cfg.Width, cfg.Height); err != nil {
		return nil, nil, err
	}
	need := int64(cfg.Width) * int64(cfg.Height) * bytesPerPixel(cfg.ColorModel)
	if err := t.memory.Acquire(ctx, need); err != nil {
		return nil, nil, Errorf(EUnavailable, "the server is busy with other images; try again")
	}
	defer t.memory.Release(need)
	src, err := codec.decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, nil
	}
	return thumbnail(src, imageOrientation(ct, data))
}

// checkImageSize refuses pictures too large to decode.
func checkImageSize(w, h int) error {
	if w > MaxImageSide || h > MaxImageSide || int64(w)*int64(h) > MaxImagePixels {
		return Errorf(ETooLarge, "the image is %d×%d pixels; images may have at most %d megapixels and %d pixels a side",
			w, h, MaxImagePixels/1_000_000, MaxImageSide)
	}
	return nil
}

// bytesPerPixel estimates what a decoder allocates per pixel for a model.
func bytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok { // a slice: compared below it would panic
		return 1
	}
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	return 4
}

// thumbnail scales src into the thumbnail box, turns it upright and
// encodes it: JPEG when every pixel is opaque, PNG otherwise.
func thumbnail(src image.Image, orientation int) (*Image, []byte, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if orientation >= 5 { // the stored picture lies on its side
		w, h = h, w
	}
	tw, th := FitBox(w, h, ThumbnailWidth, ThumbnailHeight)
	sw, sh := tw, th
	if orientation >= 5 {
		sw, sh = th, tw
	}
	scaled := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.CatmullRom.Scale(scaled, scaled.Bounds(), src, b, draw.Src, nil)
	out := orient(scaled, orientation)
	var buf bytes.Buffer
	info := &Image{Width: w, Height: h, ThumbnailType: "image/png"}
	var err error
	if out.Opaque() {
		info.ThumbnailType = "image/jpeg"
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: thumbnailQuality})
	} else {
		err = png.Encode(&buf, out)
	}
	if err != nil {
		return nil, nil, Errorf(EInternal, "encoding a thumbnail: %v", err)
	}
	return info, buf.Bytes(), nil
}

// FitBox is the size of a w×h picture scaled down to fit a maxW×maxH
// box, keeping its proportions; pictures that fit keep their size.
func FitBox(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Scale by the tighter side, in integers: w/h is kept within a pixel.
	if int64(w)*int64(maxH) >= int64(h)*int64(maxW) {
		return maxW, max(1, int((int64(h)*int64(maxW)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(maxH)+int64(h)/2)/int64(h))), maxH
}

// orient returns m turned as EXIF orientation o says the picture is
// shown (1 upright, 2 mirrored, 3 upside down, 4 flipped, 5 transposed,
// 6 turned clockwise, 7 transversed, 8 turned counter-clockwise).
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	// from maps a pixel of the result to the pixel of m it shows.
	from := map[int]func(x, y int) (int, int){
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return y, h - 1 - x },
		7: func(x, y int) (int, int) { return w - 1 - y, h - 1 - x },
		8: func(x, y int) (int, int) { return w - 1 - y, x },
	}[o]
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			sx, sy := from(x, y)
			copy(out.Pix[out.PixOffset(x, y):out.PixOffset(x, y)+4], m.Pix[m.PixOffset(sx, sy):m.PixOffset(sx, sy)+4])
		}
	}
	return out
}
