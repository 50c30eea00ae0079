package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// Parsed is a received message taken apart for assertions.
type Parsed struct {
	// Header is the top-level header as received (encoded words intact).
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// ContentType is the top-level media type, e.g. "multipart/alternative".
	ContentType string
	// Parts are the leaf parts in order (the message itself when it is
	// not multipart), bodies decoded to UTF-8 text. A single-part body
	// keeps the line break that ends the SMTP DATA stream: SMTP cannot
	// tell it from the body's own last line break.
	Parts []Part
	// Text and HTML are the bodies of the first text/plain and text/html
	// parts ("" when absent).
	Text string
	HTML string
}

// Part is one leaf MIME part.
type Part struct {
	Header      textproto.MIMEHeader
	ContentType string // media type without parameters
	Charset     string
	Body        string // transfer-decoded
}

// Parse takes a raw RFC 5322 message apart with net/mail and
// mime/multipart, undoing quoted-printable and base64 transfer encodings
// and RFC 2047 encoded words in the Subject. Only UTF-8 and US-ASCII
// charsets are accepted: Parley sends nothing else.
func Parse(raw []byte) (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("smtptest: read message: %w", err)
	}
	p := &Parsed{Header: msg.Header}
	var dec mime.WordDecoder
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("smtptest: subject: %w", err)
	}
	top := textproto.MIMEHeader(msg.Header)
	if p.ContentType, _, err = mediaType(top); err != nil {
		return nil, err
	}
	if err := p.walk(top, msg.Body); err != nil {
		return nil, err
	}
	for _, part := range p.Parts {
		switch {
		case part.ContentType == "text/plain" && p.Text == "":
			p.Text = part.Body
		case part.ContentType == "text/html" && p.HTML == "":
			p.HTML = part.Body
		}
	}
	return p, nil
}

func mediaType(h textproto.MIMEHeader) (string, map[string]string, error) {
	ct := h.Get("Content-Type")
	if ct == "" {
		return "text/plain", map[string]string{"charset": "us-ascii"}, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, fmt.Errorf("smtptest: content-type %q: %w", ct, err)
	}
	return mt, params, nil
}

func (p *Parsed) walk(h textproto.MIMEHeader, body io.Reader) error {
	mt, params, err := mediaType(h)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// Raw parts: we decode transfer encodings ourselves, the same
			// way for every encoding.
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("smtptest: multipart: %w", err)
			}
			if err := p.walk(part.Header, part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body) // skips CR/LF itself
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("smtptest: unknown Content-Transfer-Encoding %q", cte)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("smtptest: decode %s part: %w", mt, err)
	}
	charset := strings.ToLower(params["charset"])
	if charset != "" && charset != "utf-8" && charset != "us-ascii" {
		return fmt.Errorf("smtptest: unexpected charset %q", charset)
	}
	p.Parts = append(p.Parts, Part{Header: h, ContentType: mt, Charset: charset, Body: string(data)})
	return nil
}
