package chat_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"parley/chat"
)

// zipOf builds an archive of name/content pairs for the seed corpus.
func zipOf(entries ...string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		fw, _ := w.Create(entries[i])
		_, _ = fw.Write([]byte(entries[i+1]))
	}
	_ = w.Close()
	return buf.Bytes()
}

// exeMagic are the program signatures chat refuses, restated here so the
// fuzzer checks the rule, not the code's own list.
var exeMagic = []string{"MZ", "\x7fELF", "#!", "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe",
	"\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe", "\x00asm", "dex\n"}

// walk checks an accepted archive independently of chat's walker: no
// entry at any depth starts like a program or is named .exe/.js/..., no
// deeper nesting than chat.MaxArchiveDepth, no more entries than
// chat.MaxArchiveEntries.
func walk(t *testing.T, data []byte, depth int, entries *int) {
	if depth > chat.MaxArchiveDepth {
		t.Fatalf("accepted an archive nested %d deep", depth)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("accepted as an archive but does not open at depth %d: %v", depth, err)
	}
	*entries += len(zr.File)
	if *entries > chat.MaxArchiveEntries {
		t.Fatalf("accepted %d entries", *entries)
	}
	for _, f := range zr.File {
		name := strings.TrimRight(strings.ToLower(f.Name), ". ")
		for _, e := range []string{".exe", ".js", ".bat", ".sh", ".jar", ".docm", ".lnk"} {
			if strings.HasSuffix(name, e) {
				t.Fatalf("accepted an archive with entry %q", f.Name)
			}
		}
		rc, err := f.Open()
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(rc, 32<<20))
		_ = rc.Close()
		for _, m := range exeMagic {
			if strings.HasPrefix(string(b), m) {
				t.Fatalf("accepted an archive with program %q at depth %d", f.Name, depth)
			}
		}
		if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
			walk(t, b, depth+1, entries)
		}
	}
}

// FuzzDetectAttachmentType: any upload is either refused with EInvalid or
// given an allowed type whose canonical extension ends the sanitized name;
// nothing accepted starts like a program, is named like one, or is an
// archive hiding one within the depth and count limits.
func FuzzDetectAttachmentType(f *testing.F) {
	f.Add("a.txt", []byte("hello"))
	f.Add("a.csv", []byte("a,b\n1,2\n"))
	f.Add("x.pdf", []byte("%PDF-1.4\n"))
	f.Add("x.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	f.Add("evil.txt", []byte("MZ\x90\x00"))
	f.Add("run.txt", []byte("#!/bin/sh\necho hi\n"))
	f.Add("page.txt", []byte("hello <svg onload=alert(1)>"))
	f.Add("page.txt", []byte("<h:script>x</h:script>"))
	f.Add("a.exe. ", []byte("hello"))
	f.Add("a.zip", zipOf("readme.txt", "hi"))
	f.Add("a.zip", zipOf("evil.exe", "hi"))
	f.Add("a.zip", zipOf("setup.bin", "MZ\x90"))
	f.Add("a.zip", zipOf("inner.zip", string(zipOf("evil.exe", "x"))))
	f.Add("a.zip", zipOf("i.zip", string(zipOf("j.zip", string(zipOf("k.zip", string(zipOf("x.txt", "deep"))))))))
	f.Add("a.docx", zipOf("[Content_Types].xml", "<x/>", "word/document.xml", "<w/>"))
	f.Add("a.docx", zipOf("[Content_Types].xml", "<x/>", "word/vbaProject.bin", "macro"))
	f.Add("a.odt", zipOf("mimetype", "application/vnd.oasis.opendocument.text"))
	f.Add("a.doc", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		ct, ext, err := chat.DetectAttachmentType(name, data)
		if err != nil {
			if !chat.IsCode(err, chat.EInvalid) {
				t.Fatalf("DetectAttachmentType: %v, want EInvalid", err)
			}
			return
		}
		if ct == "" || !strings.HasPrefix(ext, ".") {
			t.Fatalf("accepted with type %q, extension %q", ct, ext)
		}
		for _, m := range exeMagic {
			if bytes.HasPrefix(data, []byte(m)) {
				t.Fatalf("accepted a program (%q) as %s", m, ct)
			}
		}
		if strings.HasPrefix(ct, "text/") && !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8 as %s", ct)
		}
		if strings.HasPrefix(ct, "text/") && bytes.Contains(bytes.ToLower(data), []byte("<script")) {
			t.Fatalf("accepted a script tag as %s", ct)
		}
		if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			entries := 0
			walk(t, data, 1, &entries)
		}
		stored := chat.SanitizeFilename(name, ext)
		if !strings.HasSuffix(strings.ToLower(stored), ext) && !(ext == ".jpg" && strings.HasSuffix(strings.ToLower(stored), ".jpeg")) &&
			!(ext == ".txt" && (strings.HasSuffix(strings.ToLower(stored), ".log") || strings.HasSuffix(strings.ToLower(stored), ".md"))) {
			t.Fatalf("SanitizeFilename(%q, %q) = %q: not of the detected type", name, ext, stored)
		}
	})
}

// FuzzSanitizeFilename: a stored name is valid UTF-8, bounded, without
// directories, quotes, control or invisible characters, never hidden
// (leading dot), and ends in the extension it was given.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"report.pdf", "../../etc/passwd", "a\"b'c.txt", "..", "\u202etxt.exe", "x\r\nContent-Type: evil.txt",
		strings.Repeat("é", 300) + ".pdf", "C:\\Users\\x\\file.PNG", ".hidden", "a\x00b.txt", "\xff\xfe.txt"} {
		f.Add(s, ".txt")
		f.Add(s, ".pdf")
	}
	f.Fuzz(func(t *testing.T, name, ext string) {
		if ext != ".txt" && ext != ".pdf" && ext != ".png" && ext != ".jpg" && ext != "" {
			ext = ".txt"
		}
		got := chat.SanitizeFilename(name, ext)
		if !utf8.ValidString(got) || len(got) > chat.MaxFilenameBytes || got == "" {
			t.Fatalf("SanitizeFilename(%q) = %q", name, got)
		}
		if strings.HasPrefix(got, ".") || !strings.HasSuffix(strings.ToLower(got), ext) && !(ext == ".jpg" && strings.HasSuffix(strings.ToLower(got), ".jpeg")) {
			t.Fatalf("SanitizeFilename(%q, %q) = %q", name, ext, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`"'\/:*?<>|;%`+"`", r) {
				t.Fatalf("SanitizeFilename(%q) = %q: holds %U", name, got, r)
			}
		}
	})
}

// FuzzNormalizeEmail: an accepted address is lower case, trimmed, bounded,
// a bare addr-spec that net/mail reads back unchanged, with no header
// breaking characters, and normalizing it again changes nothing; an
// external one also has a public domain. Refusals are EInvalid.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", " Bob@Example.COM ", "x@[127.0.0.1]", "x@10.0.0.1", "x@localhost", "x@intranet",
		"x@a.local", "x@example.com.", "\"a b\"@example.com", "a@b@c.com", "Name <a@example.com>", "a@example.com\r\nBcc: b@x.com",
		"x@-a.com", "x@a-.com", "x@a..com", "x@xn--bcher-kva.example", "x@bücher.de", "x@1.2", "x@a.123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := chat.NormalizeEmail(s)
		if err != nil {
			if !chat.IsCode(err, chat.EInvalid) {
				t.Fatalf("NormalizeEmail(%q): %v", s, err)
			}
		} else {
			if e != strings.ToLower(e) || e != strings.TrimSpace(e) || len(e) > chat.MaxEmailLen || strings.ContainsAny(e, "\r\n<>\" ,;") {
				t.Fatalf("NormalizeEmail(%q) = %q", s, e)
			}
			if again, err := chat.NormalizeEmail(e); err != nil || again != e {
				t.Fatalf("NormalizeEmail(%q) = %q, again %q, %v", s, e, again, err)
			}
		}
		x, err := chat.NormalizeExternalEmail(s)
		if err != nil {
			if !chat.IsCode(err, chat.EInvalid) {
				t.Fatalf("NormalizeExternalEmail(%q): %v", s, err)
			}
			return
		}
		if x != e {
			t.Fatalf("NormalizeExternalEmail(%q) = %q, NormalizeEmail %q", s, x, e)
		}
		domain := strings.TrimSuffix(x[strings.LastIndexByte(x, '@')+1:], ".")
		if strings.ContainsAny(domain, "[]:") || !strings.Contains(domain, ".") || strings.Trim(domain, "0123456789.") == "" {
			t.Fatalf("NormalizeExternalEmail(%q) = %q: domain %q is not public", s, x, domain)
		}
		for _, local := range []string{"localhost", "local", "internal", "test", "invalid", "arpa"} {
			if strings.HasSuffix(domain, "."+local) {
				t.Fatalf("NormalizeExternalEmail(%q) = %q: local-only domain", s, x)
			}
		}
	})
}
