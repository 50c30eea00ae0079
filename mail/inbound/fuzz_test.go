package inbound

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input makes Parse panic, and what it accepts keeps the
// limits and gives valid text. The seed corpus is every sample mail.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no sample mail in testdata: %v", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, "sender@example.com")
	}
	f.Add(nested(3), "")
	f.Add(multipart("alternative", 3, "Content-Type: text/html\r\n\r\n<blockquote type=cite>x</blockquote>"), "a@b")
	f.Fuzz(func(t *testing.T, raw []byte, envelopeFrom string) {
		m, err := Parse(raw, envelopeFrom)
		if err != nil {
			return
		}
		if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Subject) {
			t.Fatalf("invalid UTF-8 in %q / %q", m.Text, m.Subject)
		}
		if len(m.Attachments) > MaxAttachments {
			t.Fatalf("%d attachments", len(m.Attachments))
		}
		total := len(m.Text)
		for _, a := range m.Attachments {
			if a.Filename == "" || strings.ContainsAny(a.Filename, "/\\") || a.ContentType == "" {
				t.Fatalf("attachment %q %q", a.Filename, a.ContentType)
			}
			total += len(a.Data)
		}
		if total > MaxMessageBytes {
			t.Fatalf("%d bytes out of a message of %d", total, len(raw))
		}
		if m.Automatic && (m.Reason == "" || m.Text != "" || len(m.Attachments) > 0) {
			t.Fatalf("automatic message with reason %q read", m.Reason)
		}
	})
}
