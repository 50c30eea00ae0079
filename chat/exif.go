package chat

import (
	"bytes"
	"encoding/binary"
)

// imageOrientation is the EXIF orientation (1 to 8) of an image of type
// ct: JPEG (APP1), PNG (eXIf chunk) and WebP (EXIF chunk) carry one; 1
// for the other types or when there is none.
func imageOrientation(ct string, data []byte) int {
	switch ct {
	case typeJPEG.mime:
		return jpegOrientation(data)
	case typePNG.mime:
		return pngOrientation(data)
	case typeWebP.mime:
		return webpOrientation(data)
	}
	return 1
}

// pngOrientation reads the eXIf chunk of a PNG (raw TIFF data). The
// chunks are walked by their declared lengths, each checked against the
// data, so the pass is bounded; an eXIf after the image data is taken
// too, as browsers take it.
func pngOrientation(data []byte) int {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return 1
	}
	for i := 8; i+12 <= len(data); {
		n := int64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		end := int64(i) + 12 + n // length, type, data, CRC
		if end > int64(len(data)) || typ == "IEND" {
			return 1
		}
		if typ == "eXIf" {
			return tiffOrientation(data[i+8 : i+8+int(n)])
		}
		i = int(end)
	}
	return 1
}

// webpOrientation reads the EXIF chunk of an extended WebP (RIFF chunks,
// little-endian lengths, padded to even). Some writers put JPEG's
// "Exif\0\0" header before the TIFF data; it is skipped.
func webpOrientation(data []byte) int {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return 1
	}
	for i := 12; i+8 <= len(data); {
		n := int64(binary.LittleEndian.Uint32(data[i+4:]))
		end := int64(i) + 8 + n
		if end > int64(len(data)) {
			return 1
		}
		if string(data[i:i+4]) == "EXIF" {
			return tiffOrientation(bytes.TrimPrefix(data[i+8:end], []byte("Exif\x00\x00")))
		}
		i = int(end + n&1)
	}
	return 1
}

// jpegOrientation is the EXIF orientation (1 to 8) of a JPEG, 1 when it
// has none or it cannot be read. Only the segments before the image data
// are looked at, each within its declared length, so any input is read in
// one bounded pass.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd9 || marker == 0xda: // end of image, start of scan: no metadata follows
			return 1
		case marker >= 0xd0 && marker <= 0xd7 || marker == 0x01: // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the Orientation tag (0x0112) of the first IFD of
// TIFF-structured EXIF data.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > int64(len(b)) {
		return 1
	}
	entries := int(bo.Uint16(b[off:]))
	for k := range entries {
		e := int(off) + 2 + 12*k
		if e+12 > len(b) {
			return 1
		}
		if bo.Uint16(b[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(b[e+2:]) != 3 { // not a SHORT
			return 1
		}
		if v := int(bo.Uint16(b[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}
