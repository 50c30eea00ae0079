package inbound

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// body is the text a message carries, in both forms a sender may give.
type body struct {
	plain, html string
}

// walker reads a MIME tree depth first, counting parts and bytes against
// the limits, and keeps the body text and the attachments.
type walker struct {
	budget      int64 // decoded bytes still allowed across all parts
	parts       int
	body        body
	attachments []Attachment
}

// walk reads one entity. entErr is what go-message said creating it: an
// unknown charset or transfer encoding still leaves a readable entity.
func (w *walker) walk(e *message.Entity, entErr error, depth int) error {
	w.parts++
	if w.parts > MaxParts {
		return ErrTooManyParts
	}
	if depth > MaxDepth {
		return ErrTooDeep
	}
	if mr := e.MultipartReader(); mr != nil {
		return w.walkMultipart(e, mr, depth)
	}
	if signatureParts[mediaType(e)] {
		return nil // an S/MIME or OpenPGP signature, not a file the sender chose
	}
	if name, ok := attachmentName(e); ok {
		return w.addAttachment(e, name)
	}
	text, err := w.read(e.Body, MaxBodyBytes, ErrBodyTooLarge)
	if err != nil {
		return err
	}
	str := toUTF8(text, entErr == nil && hasCharset(e))
	_, params, _ := e.Header.ContentType()
	if strings.EqualFold(params["format"], "flowed") {
		str = unflow(str, strings.EqualFold(params["delsp"], "yes"))
	}
	if mediaType(e) == "text/html" {
		w.body.html = joinText(w.body.html, htmlToText(str))
	} else {
		w.body.plain = joinText(w.body.plain, str)
	}
	return nil
}

// walkMultipart reads the children of a multipart. Of an alternative it
// keeps, for each form, the first child that has it (senders order them
// plainest first, and all carry the same words); the parts of any other
// multipart (mixed, related, report) follow each other.
func (w *walker) walkMultipart(e *message.Entity, mr message.MultipartReader, depth int) error {
	defer func() { _ = mr.Close() }()
	alternative := mediaType(e) == "multipart/alternative"
	outer := w.body
	var alt body
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && part == nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if alternative {
			w.body = body{}
		}
		if err := w.walk(part, err, depth+1); err != nil {
			return err
		}
		if alternative {
			alt.plain = firstNonEmpty(alt.plain, w.body.plain)
			alt.html = firstNonEmpty(alt.html, w.body.html)
		}
	}
	if alternative {
		w.body = body{plain: joinText(outer.plain, alt.plain), html: joinText(outer.html, alt.html)}
	}
	return nil
}

// read takes at most limit bytes of r, and no more than what is left of
// the message's budget: decoding can make a part larger than it was.
func (w *walker) read(r io.Reader, limit int64, tooLarge error) ([]byte, error) {
	limit = min(limit, w.budget)
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if int64(len(data)) > limit {
		if limit == w.budget {
			return nil, ErrTooLarge
		}
		return nil, tooLarge
	}
	w.budget -= int64(len(data))
	return data, nil
}

func (w *walker) addAttachment(e *message.Entity, name string) error {
	if len(w.attachments) == MaxAttachments {
		return ErrTooManyAttachments
	}
	data, err := w.read(e.Body, MaxMessageBytes, ErrTooLarge)
	if err != nil {
		return err
	}
	if name == "" {
		name = fmt.Sprintf("attachment-%d%s", len(w.attachments)+1, extensionOf(mediaType(e)))
	}
	contentType := mediaType(e)
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.attachments = append(w.attachments, Attachment{Filename: name, ContentType: contentType, Data: data})
	return nil
}

var signatureParts = map[string]bool{
	"application/pkcs7-signature":   true,
	"application/x-pkcs7-signature": true,
	"application/pgp-signature":     true,
}

// attachmentName says whether a leaf part is a file rather than body text,
// and its cleaned name (empty when the sender gave none). A file is a part
// marked attachment, any part with a filename, or anything but plain text
// and HTML; a forwarded message/rfc822 stays a file and is not read as text.
func attachmentName(e *message.Entity) (string, bool) {
	disp, dparams, _ := e.Header.ContentDisposition()
	_, cparams, _ := e.Header.ContentType()
	name := dparams["filename"]
	if name == "" {
		name = cparams["name"]
	}
	name = cleanFilename(name)
	t := mediaType(e)
	isText := t == "text/plain" || t == "text/html" || t == ""
	return name, strings.EqualFold(disp, "attachment") || name != "" || !isText
}

// cleanFilename keeps the base name of what a sender called a file,
// without control characters, at most 255 bytes.
func cleanFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(path.Base(strings.TrimSpace(name)))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

func extensionOf(mediaType string) string {
	if mediaType == "message/rfc822" {
		return ".eml"
	}
	if exts, _ := mime.ExtensionsByType(mediaType); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// mediaType is the lower-case type of a part; a part that declares none
// is text/plain (RFC 2045 section 5.2).
func mediaType(e *message.Entity) string {
	if e.Header.Get("Content-Type") == "" {
		return "text/plain"
	}
	t, _, err := e.Header.ContentType()
	if err != nil {
		// A broken parameter still leaves the type readable; a part is
		// never read as text because its name= was malformed.
		t, _, _ = strings.Cut(e.Header.Get("Content-Type"), ";")
	}
	return strings.ToLower(strings.TrimSpace(t))
}

func hasCharset(e *message.Entity) bool {
	_, params, _ := e.Header.ContentType()
	return params["charset"] != ""
}

func joinText(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "\n" + b
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
