package frontend

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/chat"
)

// registerAttachments adds uploads and downloads of attachments, shared by
// conversations and topics. The service checks types and sizes and who may
// download; this file makes sure a browser only ever saves a download and
// never renders or sniffs it.
func (s *Server) registerAttachments(m *http.ServeMux) {
	m.Handle("POST /api/v1/attachments", s.authed(s.limited(s.uploadLimit, s.attachmentUpload)))
	m.Handle("GET /api/v1/attachments/limits", s.authed(s.attachmentLimits))
	m.Handle("GET /api/v1/attachments/{id}", s.authed(s.attachmentDownload))
	m.Handle("GET /api/v1/attachments/{id}/thumbnail", s.authed(s.attachmentThumbnail))
}

type attachmentView struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	MessageID   *int64    `json:"message_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// Image is set for pictures with a thumbnail
	// (GET /api/v1/attachments/{id}/thumbnail).
	Image *chat.Image `json:"image,omitempty"`
}

func viewAttachment(a chat.Attachment) attachmentView {
	return attachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size,
		MessageID: a.MessageID, CreatedAt: a.CreatedAt, Image: a.Image}
}

// attachmentLimits tells clients the bounds of an upload, so they can
// refuse a file before sending it; the server checks them again.
func (s *Server) attachmentLimits(w http.ResponseWriter, _ *http.Request) error {
	l := s.messages.AttachmentLimits()
	l.MaxBytes = min(l.MaxBytes, s.cfg.MaxUploadBytes)
	writeJSON(w, http.StatusOK, l)
	return nil
}

// thumbnailMaxAge is how long a browser may show a cached thumbnail
// without asking again; after that the ETag revalidates it through the
// same authorization as the attachment.
const thumbnailMaxAge = "300"

// attachmentThumbnail serves an image attachment's thumbnail to whoever
// may download the attachment. A thumbnail never changes, so it is
// cacheable by the user's own browser (private, never a shared cache)
// for a short while and then answered 304 when unchanged.
func (s *Server) attachmentThumbnail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "attachment")
	if err != nil {
		return err
	}
	a, data, err := s.messages.OpenThumbnail(r.Context(), id)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("Content-Type", a.Image.ThumbnailType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age="+thumbnailMaxAge)
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

// attachmentUpload stores one file (readUpload).
func (s *Server) attachmentUpload(w http.ResponseWriter, r *http.Request) error {
	return s.readUpload(w, r, func(name string, body io.Reader) error {
		a, err := s.messages.UploadAttachment(r.Context(), name, body)
		if err != nil {
			return err
		}
		writeCreated(w, r, a.ID, viewAttachment(a))
		return nil
	})
}

// readUpload passes one uploaded file to store: multipart/form-data with
// a "file" part, or the raw bytes as the body with ?filename=. The
// declared content type is ignored; the service detects the type from
// the bytes and stops reading past its size limit.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, store func(name string, body io.Reader) error) error {
	// Bound the whole body: the service stops reading the file at its
	// limit, but other multipart parts would be read without end.
	extendBodyDeadline(w, s.cfg.UploadReadTimeout)
	limited := &maxBody{ReadCloser: http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)}
	r.Body = limited
	name, body := r.URL.Query().Get("filename"), io.Reader(r.Body)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return chat.Errorf(chat.EInvalid, "malformed multipart body")
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return chat.Errorf(chat.EInvalid, `the upload needs a "file" part`)
			}
			if err != nil {
				return limited.explain(chat.Errorf(chat.EInvalid, "malformed multipart body"))
			}
			if part.FormName() == "file" {
				name, body = part.FileName(), part
				break
			}
		}
	}
	if err := store(name, body); err != nil {
		return limited.explain(err)
	}
	return nil
}

// attachmentDownload serves the file as a download: its detected type,
// Content-Disposition attachment with an RFC 6266 filename (ASCII
// fallback plus RFC 5987 filename*), nosniff, and a sandboxing CSP in
// case a browser opens it anyway.
func (s *Server) attachmentDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "attachment")
	if err != nil {
		return err
	}
	a, data, err := s.messages.OpenAttachment(r.Context(), id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", ContentDisposition(a.Filename))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

// ContentDisposition returns an attachment disposition for name that no
// name can break out of: the quoted fallback holds only printable ASCII
// without quotes or backslashes, and filename* percent-encodes everything
// outside RFC 5987's attr-char.
func ContentDisposition(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	const hex = "0123456789ABCDEF"
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			ext.WriteByte('%')
			ext.WriteByte(hex[b>>4])
			ext.WriteByte(hex[b&15])
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

func isAttrChar(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// maxBody remembers that a request body hit its http.MaxBytesReader limit,
// so the answer says "too large" whoever noticed the failed read.
type maxBody struct {
	io.ReadCloser
	hit *http.MaxBytesError
}

func (b *maxBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		b.hit = tooLarge
	}
	return n, err
}

// explain replaces err with ETooLarge when the body was cut at its limit.
func (b *maxBody) explain(err error) error {
	if b.hit != nil {
		return chat.Errorf(chat.ETooLarge, "the upload is larger than %d MiB", b.hit.Limit>>20)
	}
	return err
}
