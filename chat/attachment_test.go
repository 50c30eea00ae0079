package chat_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"parley/chat"
	"parley/storage/storetest"
)

func attZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte("x"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// attZipOf builds an archive of name/content pairs.
func attZipOf(t *testing.T, pairs ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(pairs); i += 2 {
		f, err := zw.Create(pairs[i])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte(pairs[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// attZipRaw builds an archive of one stored entry with the given header
// fields, to test headers that zip.Writer would not write.
func attZipRaw(t *testing.T, h zip.FileHeader, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h.Method = zip.Store
	h.CompressedSize64 = uint64(len(data))
	h.CRC32 = crc32.ChecksumIEEE([]byte(data))
	f, err := zw.CreateRaw(&h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte(data))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAttachmentArchiveInspection: archives are opened recursively and
// their entries judged by content, within depth, entry-count and
// unpacked-size limits.
func TestAttachmentArchiveInspection(t *testing.T) {
	t.Parallel()
	pe := "MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode."
	clean := attZipOf(t, "a.txt", "hello", "b.pdf", "%PDF-1.7\n")
	nest := func(levels int, inner []byte) []byte {
		for range levels {
			inner = attZipOf(t, "inner.zip", string(inner))
		}
		return inner
	}
	many := make([]string, 0, 2*(chat.MaxArchiveEntries+1))
	for i := range chat.MaxArchiveEntries + 1 {
		many = append(many, fmt.Sprintf("f%d.txt", i), "")
	}
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"clean zip", clean, true},
		{"zip in zip", nest(1, clean), true},
		{"at the depth limit", nest(chat.MaxArchiveDepth-1, clean), true},
		{"docx in zip", attZipOf(t, "contract.docx", string(attZip(t, "[Content_Types].xml", "word/document.xml"))), true},
		{"empty entries", attZipOf(t, "dir/", "", "empty.txt", ""), true},

		{"pe named report.pdf", attZipOf(t, "report.pdf", pe), false},
		{"elf named photo.png", attZipOf(t, "photo.png", "\x7fELF\x02\x01\x01"), false},
		{"script named readme.txt", attZipOf(t, "readme.txt", "#!/bin/sh\nrm -rf ~\n"), false},
		{"pe named report.pdf in zip in zip", nest(2, attZipOf(t, "report.pdf", pe)), false},
		{"exe name in nested zip", nest(1, attZip(t, "setup.exe")), false},
		{"macros in nested docx", attZipOf(t, "book.xlsx", string(attZip(t, "[Content_Types].xml", "xl/vbaProject.bin"))), false},
		{"too deep", nest(chat.MaxArchiveDepth, clean), false},
		{"too many entries", attZipOf(t, many...), false},
		{"unpacks too large", attZipRaw(t, zip.FileHeader{Name: "big.txt", UncompressedSize64: chat.MaxArchiveUnpackedBytes + 1}, "x"), false},
		{"encrypted entry", attZipRaw(t, zip.FileHeader{Name: "secret.txt", Flags: 0x1, UncompressedSize64: 1}, "x"), false},
		{"corrupt entry", attZipRaw(t, zip.FileHeader{Name: "lie.txt", UncompressedSize64: 100}, "x"), false},

		// Archives Parley cannot open cannot be checked; zips are found
		// behind a prefix too.
		{"clean zip behind a prefix", attZipOf(t, "photo.jpg", "\xff\xd8\xff\xe0 junk before "+string(clean)), true},
		{"pe in a zip behind a prefix", attZipOf(t, "photo.jpg", "\xff\xd8\xff\xe0 junk before "+string(attZipOf(t, "report.pdf", pe))), false},
		{"gzip in zip", attZipOf(t, "backup.tgz", "\x1f\x8b\x08\x00\x00\x00\x00\x00"), false},
		{"7z named notes.txt", attZipOf(t, "notes.txt", "7z\xbc\xaf\x27\x1c\x00\x04"), false},
		{"rar in zip", attZipOf(t, "photos.rar", "Rar!\x1a\x07\x01\x00"), false},
		{"tar in zip", attZipOf(t, "data.bin", strings.Repeat("\x00", 257)+"ustar\x0000"+strings.Repeat("\x00", 250)), false},
	} {
		ct, _, err := chat.DetectAttachmentType("files.zip", tc.data)
		if tc.ok && err != nil {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if !tc.ok && chat.ErrorCode(err) != chat.EInvalid {
			t.Errorf("%s: accepted as %q (err %v), want refused", tc.name, ct, err)
		}
	}
}

var attPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestAttachmentTypeDetection(t *testing.T) {
	t.Parallel()
	docx := attZip(t, "[Content_Types].xml", "word/document.xml")
	for _, tc := range []struct {
		name, file string
		data       []byte
		wantType   string // "" means refused
	}{
		{"pdf", "payslip.pdf", []byte("%PDF-1.7\n..."), "application/pdf"},
		{"png", "scan.png", attPNG, "image/png"},
		{"jpeg", "photo.jpg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{"text", "notes.txt", []byte("hello\n"), "text/plain; charset=utf-8"},
		{"csv", "hours.csv", []byte("a;b\n1;2\n"), "text/csv; charset=utf-8"},
		{"docx", "contract.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx with printer settings", "sheet.xlsx", attZip(t, "[Content_Types].xml", "xl/workbook.xml", "xl/printerSettings/printerSettings1.bin"),
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"plain zip", "docs.zip", attZip(t, "a.txt", "b.pdf"), "application/zip"},
		{"old excel", "budget.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), "application/vnd.ms-excel"},

		{"html as text", "notes.txt", []byte("<!DOCTYPE html><script>alert(1)</script>"), ""},
		{"svg", "logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>`), ""},
		{"html name", "page.html", []byte("hello"), ""},
		{"html after filler", "notes.txt", append(bytes.Repeat([]byte("filler "), 300), "<script>alert(1)</script>"...), ""},
		{"bare img onerror", "notes.txt", []byte("look: <img src=x onerror=alert(1)>"), ""},
		{"img onerror after filler", "notes.txt", append(bytes.Repeat([]byte("a"), 4096), "<IMG SRC=x OnError=alert(1)>"...), ""},
		{"namespaced xhtml", "notes.txt", []byte(`<html xmlns="http://www.w3.org/1999/xhtml"><p>hi</p></html>`), ""},
		{"prefixed xhtml", "notes.txt", []byte(`<h:p xmlns:h="http://www.w3.org/1999/xhtml">hi</h:p>`), ""},
		{"prefixed script", "notes.txt", []byte(`text <h:script>alert(1)</h:script>`), ""},
		{"svg onload", "notes.txt", []byte(`hello <svg onload=alert(1)>`), ""},
		{"any tag with a handler", "notes.txt", []byte("hi <x-y onmouseover = alert(1)>"), ""},
		{"iframe late", "data.csv", append(bytes.Repeat([]byte("a;b\n"), 2000), "<iframe src=//evil>"...), ""},
		{"comparisons are text", "notes.txt", []byte("if a<b and x <y or 3 < 4, see <https://example.com>; ok <3\n"), "text/plain; charset=utf-8"},
		{"words after lt are text", "notes.txt", []byte("<note> one <online> two <button-less> three <onion> four\n"), "text/plain; charset=utf-8"},
		{"unknown binary", "data.dat", []byte{0, 1, 2, 3, 4, 5, 0xff, 0xfe}, ""},
		{"empty", "empty.txt", nil, ""},
		{"macro document", "evil.docm", docx, ""},
		{"zip with vba", "book.xlsx", attZip(t, "[Content_Types].xml", "xl/vbaProject.bin"), ""},
		{"ole without office name", "thing.bin", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), ""},

		// Executables are refused however they are named.
		{"pe renamed pdf", "invoice.pdf", append([]byte("MZ\x90\x00"), make([]byte, 100)...), ""},
		{"elf renamed png", "photo.png", []byte("\x7fELF\x02\x01\x01\x00"), ""},
		{"script renamed txt", "notes.txt", []byte("#!/bin/sh\nrm -rf /\n"), ""},
		{"mach-o renamed jpg", "me.jpg", []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, ""},
		{"exe name with pdf bytes", "invoice.pdf.exe", []byte("%PDF-1.7\n"), ""},
		{"exe name trailing dot", "invoice.exe.", []byte("%PDF-1.7\n"), ""},
		{"bat name", "RUN.BAT", []byte("echo hi\n"), ""},
		{"zip with exe", "docs.zip", attZip(t, "readme.txt", "setup.exe"), ""},
		{"zip with script", "docs.zip", attZip(t, "tools/install.sh"), ""},
	} {
		ct, _, err := chat.DetectAttachmentType(tc.file, tc.data)
		if tc.wantType == "" {
			if chat.ErrorCode(err) != chat.EInvalid {
				t.Errorf("%s: accepted as %q (err %v), want refused", tc.name, ct, err)
			}
			continue
		}
		if err != nil || ct != tc.wantType {
			t.Errorf("%s: type %q err %v, want %q", tc.name, ct, err, tc.wantType)
		}
	}
}

func TestAttachmentFilenameSanitising(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, ext, want string }{
		{"report.pdf", ".pdf", "report.pdf"},
		{"../../etc/passwd.txt", ".txt", "passwd.txt"},
		{`C:\Users\me\Desktop\pay.pdf`, ".pdf", "pay.pdf"},
		{"a\r\nContent-Type: text/html.txt", ".txt", "html.txt"},
		{"a\r\nContent-Type: x.txt", ".txt", "aContent-Type_ x.txt"},
		{`x"; filename="evil.txt`, ".txt", "x__ filename=_evil.txt"},
		{"photo\u202egnp.txt", ".txt", "photognp.txt"},
		{"scan.pdf", ".png", "scan.pdf.png"}, // the extension follows the content
		{"noext", ".pdf", "noext.pdf"},
		{"...", ".txt", "attachment.txt"},
		{".hidden.txt", ".txt", "hidden.txt"},
		{"", ".pdf", "attachment.pdf"},
		{"Palkkalaskelma äö.PDF", ".pdf", "Palkkalaskelma äö.PDF"},
		{"photo.jpeg", ".jpg", "photo.jpeg"},
	} {
		if got := chat.SanitizeFilename(tc.in, tc.ext); got != tc.want {
			t.Errorf("SanitizeFilename(%q, %q) = %q, want %q", tc.in, tc.ext, got, tc.want)
		}
	}
	long := chat.SanitizeFilename(strings.Repeat("ä", 500)+".txt", ".txt")
	if len(long) > chat.MaxFilenameBytes || !strings.HasSuffix(long, ".txt") || !utf8.ValidString(long) {
		t.Fatalf("long name %q (%d bytes)", long, len(long))
	}
}

// TestAttachmentUpload: refused uploads store nothing; stored ones are
// served only to the uploader before they are attached and to those who
// can see the message afterwards.
func TestAttachmentUpload(t *testing.T) {
	t.Parallel()
	w := newCvWorld(t, newSQLite(t), chat.Config{MaxAttachmentBytes: 1024})
	a := w.a
	ctx := w.as(t, a.EmployeeA)
	stored := func() int64 {
		t.Helper()
		n, err := w.st.AttachmentDeleteUnlinked(t.Context(), time.Now().Add(24*time.Hour))
		storetest.NoErr(t, err, "AttachmentDeleteUnlinked")
		return n
	}

	_, err := w.svc.Messages.UploadAttachment(ctx, "big.txt", bytes.NewReader(bytes.Repeat([]byte("a"), 1025)))
	storetest.WantCode(t, err, chat.ETooLarge)
	_, err = w.svc.Messages.UploadAttachment(ctx, "invoice.pdf", bytes.NewReader([]byte("MZ\x90\x00 this is a program")))
	storetest.WantCode(t, err, chat.EInvalid)
	_, err = w.svc.Messages.UploadAttachment(ctx, "page.txt", strings.NewReader("<html><body>hi</body></html>"))
	storetest.WantCode(t, err, chat.EInvalid)
	if n := stored(); n != 0 {
		t.Fatalf("refused uploads stored %d rows", n)
	}
	_, err = w.svc.Messages.UploadAttachment(t.Context(), "a.txt", strings.NewReader("x"))
	storetest.WantCode(t, err, chat.EUnauthenticated)

	att, err := w.svc.Messages.UploadAttachment(ctx, "../../secret/Pay slip\x00.pdf", strings.NewReader("%PDF-1.4\nbody"))
	storetest.NoErr(t, err, "upload")
	if att.Filename != "Pay slip.pdf" || att.ContentType != "application/pdf" || att.Size != 13 {
		t.Fatalf("stored %+v", att)
	}
	_, data, err := w.svc.Messages.OpenAttachment(ctx, att.ID)
	if err != nil || string(data) != "%PDF-1.4\nbody" {
		t.Fatalf("uploader opens own upload: %q %v", data, err)
	}
	_, _, err = w.svc.Messages.OpenAttachment(w.as(t, a.Handler), att.ID)
	storetest.WantNotFound(t, err) // not attached yet: only the uploader

	// Someone else cannot attach it; its uploader can.
	_, err = w.svc.Conversations.CreateConversation(w.as(t, a.EmployeeB), chat.NewConversationInput{CategoryID: a.cat.ID,
		Subject: "x", Body: "y", AttachmentIDs: []int64{att.ID}})
	storetest.WantCode(t, err, chat.EInvalid)
	v := w.create(t, a, a.EmployeeA, chat.NewConversationInput{AttachmentIDs: []int64{att.ID}})
	for _, u := range []chat.User{a.EmployeeA, a.Handler, a.Admin} {
		if _, _, err := w.svc.Messages.OpenAttachment(w.as(t, u), att.ID); err != nil {
			t.Fatalf("%s cannot open: %v", u.Name, err)
		}
	}
	for _, u := range []chat.User{a.EmployeeB, a.Manager, w.b.Admin} {
		_, _, err := w.svc.Messages.OpenAttachment(w.as(t, u), att.ID)
		storetest.WantNotFound(t, err)
	}
	// Too many attachments on one message.
	ids := make([]int64, chat.MaxAttachmentsIn+1)
	_, err = w.svc.Messages.Publish(ctx, chat.PublishInput{Channel: chat.ConversationChannel(v.ID), Body: "x", AttachmentIDs: ids})
	storetest.WantCode(t, err, chat.EInvalid)
}
