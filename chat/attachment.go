package chat

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Attachments of conversations and topics. An upload is checked from its
// bytes, never its name: the type is detected from the content, only an
// allow-list of everyday document and image types is stored, executables
// are refused even when renamed, and the filename is reduced to a safe
// display name whose extension matches the detected type. Files are
// stored in the database (every node serves them) and served only to
// users who can see the message they belong to.

// MaxFilenameBytes bounds a stored filename.
const MaxFilenameBytes = 200

// UploadAttachment stores an upload of the caller, unattached until a
// message claims it (Publish or CreateConversation with its id). An image
// gets its thumbnail now (image.go), so a bomb is refused at upload.
// Errors: EUnauthenticated, ETooLarge (over Config.MaxAttachmentBytes, an
// image over MaxImagePixels), EInvalid (empty, disallowed type,
// executable, an image that cannot be read), EUnavailable.
func (s *MessageService) UploadAttachment(ctx context.Context, filename string, r io.Reader) (Attachment, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Attachment{}, err
	}
	limit := s.cfg.MaxAttachmentBytes
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Attachment{}, Errorf(EInvalid, "the upload was interrupted")
	}
	if int64(len(data)) > limit {
		return Attachment{}, Errorf(ETooLarge, "an attachment may have at most %d MiB", limit>>20)
	}
	ct, ext, err := DetectAttachmentType(filename, data)
	if err != nil {
		return Attachment{}, err
	}
	img, thumb, err := s.thumbs.render(ctx, ct, data)
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{TenantID: p.TenantID, UploaderID: p.UserID, Filename: SanitizeFilename(filename, ext),
		ContentType: ct, Size: int64(len(data)), CreatedAt: s.clock.Now(), Image: img}
	if err := s.store.AttachmentCreate(ctx, &a, data, thumb); err != nil {
		return Attachment{}, err
	}
	if img == nil && ThumbnailPending(ct, "") {
		// An image no thumbnail can be made of: recorded as such, or it
		// would pass for one from before thumbnails and be tried again.
		if err := s.store.AttachmentThumbnailSet(ctx, a.TenantID, a.ID, nil, nil); err != nil {
			return Attachment{}, err
		}
	}
	return a, nil
}

// AttachmentLimits are the bounds an upload must keep, for clients to
// check before they send.
type AttachmentLimits struct {
	MaxBytes       int64    `json:"max_bytes"`
	MaxPerMessage  int      `json:"max_per_message"`
	MaxImagePixels int64    `json:"max_image_pixels"`
	MaxImageSide   int      `json:"max_image_side"`
	Extensions     []string `json:"extensions"`
}

// AttachmentLimits returns this server's upload bounds.
func (s *MessageService) AttachmentLimits() AttachmentLimits {
	l := AttachmentLimits{MaxBytes: s.cfg.MaxAttachmentBytes, MaxPerMessage: MaxAttachmentsIn,
		MaxImagePixels: MaxImagePixels, MaxImageSide: MaxImageSide}
	for _, t := range allTypes {
		l.Extensions = append(l.Extensions, t.exts...)
	}
	return l
}

// OpenAttachment returns an attachment and its bytes to a user who can see
// the message it belongs to, or to its uploader before it is attached.
// Anything else is ENotFound. Errors: EUnauthenticated, ENotFound.
func (s *MessageService) OpenAttachment(ctx context.Context, id int64) (Attachment, []byte, error) {
	a, err := s.visibleAttachment(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	data, err := s.store.AttachmentData(ctx, a.TenantID, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	return a, data, nil
}

// OpenThumbnail returns an image attachment's thumbnail to whoever may
// open the attachment (OpenAttachment's rule, the same answers).
// Errors: EUnauthenticated, ENotFound (also: not an image).
func (s *MessageService) OpenThumbnail(ctx context.Context, id int64) (Attachment, []byte, error) {
	a, err := s.visibleAttachment(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	if a.ThumbnailPending {
		return s.backfillThumbnail(ctx, a)
	}
	if a.Image == nil {
		return Attachment{}, nil, NotFound("thumbnail")
	}
	data, err := s.store.AttachmentThumbnail(ctx, a.TenantID, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	return a, data, nil
}

// backfillThumbnail makes the thumbnail of an image uploaded before
// thumbnails existed, on its first request, through the upload's bounded
// pipeline, and stores it (or that none can be made). Made on demand
// rather than by a background pass: only files someone opens are read
// and decoded, within the request's context and the node's decoding
// budget, with no scan over every tenant's files and no coordination
// between nodes (the first to store wins; the others made the same).
func (s *MessageService) backfillThumbnail(ctx context.Context, a Attachment) (Attachment, []byte, error) {
	data, err := s.store.AttachmentData(ctx, a.TenantID, a.ID)
	if err != nil {
		return Attachment{}, nil, err
	}
	img, thumb, err := s.thumbs.render(ctx, a.ContentType, data)
	if err != nil && !IsCode(err, ETooLarge) {
		return Attachment{}, nil, err // busy: asked again later
	}
	if err := s.store.AttachmentThumbnailSet(ctx, a.TenantID, a.ID, img, thumb); err != nil {
		return Attachment{}, nil, err
	}
	if img == nil { // unreadable or too large: shown as a file from now on
		return Attachment{}, nil, NotFound("thumbnail")
	}
	a.Image, a.ThumbnailPending = img, false
	return a, thumb, nil
}

// visibleAttachment is the one read rule of attachments and their
// thumbnails: the message's thread must be readable by the caller (a
// deleted message's attachments are gone), or, before it is attached,
// the caller must be its uploader. Everything else answers ENotFound,
// the same as a missing id or another tenant's.
func (s *MessageService) visibleAttachment(ctx context.Context, id int64) (Attachment, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return Attachment{}, err
	}
	a, err := s.store.AttachmentGet(ctx, p.TenantID, id)
	if err != nil {
		return Attachment{}, err
	}
	if a.MessageID == nil {
		if a.UploaderID != p.UserID {
			return Attachment{}, NotFound("attachment")
		}
		return a, nil
	}
	m, err := s.store.MessageGet(ctx, p.TenantID, *a.MessageID)
	if IsCode(err, ENotFound) || (err == nil && m.DeletedAt != nil) {
		return Attachment{}, NotFound("attachment")
	}
	if err != nil {
		return Attachment{}, err
	}
	if _, err := s.threadFor(ctx, s.store, p, m.Channel); err != nil {
		if IsCode(err, ENotFound) {
			return Attachment{}, NotFound("attachment")
		}
		return Attachment{}, err
	}
	return a, nil
}

// fileType is one allowed type: its MIME type and the extensions a file
// of the type may carry (the first is appended to names without one).
type fileType struct {
	mime string
	exts []string
}

var (
	typePNG  = fileType{"image/png", []string{".png"}}
	typeJPEG = fileType{"image/jpeg", []string{".jpg", ".jpeg"}}
	typeGIF  = fileType{"image/gif", []string{".gif"}}
	typeWebP = fileType{"image/webp", []string{".webp"}}
	typeBMP  = fileType{"image/bmp", []string{".bmp"}}
	typePDF  = fileType{"application/pdf", []string{".pdf"}}
	typeText = fileType{"text/plain; charset=utf-8", []string{".txt", ".log", ".md"}}
	typeCSV  = fileType{"text/csv; charset=utf-8", []string{".csv"}}
	typeZIP  = fileType{"application/zip", []string{".zip"}}
	typeDOCX = fileType{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []string{".docx"}}
	typeXLSX = fileType{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []string{".xlsx"}}
	typePPTX = fileType{"application/vnd.openxmlformats-officedocument.presentationml.presentation", []string{".pptx"}}
	typeODT  = fileType{"application/vnd.oasis.opendocument.text", []string{".odt"}}
	typeODS  = fileType{"application/vnd.oasis.opendocument.spreadsheet", []string{".ods"}}
	typeODP  = fileType{"application/vnd.oasis.opendocument.presentation", []string{".odp"}}
	typeDOC  = fileType{"application/msword", []string{".doc"}}
	typeXLS  = fileType{"application/vnd.ms-excel", []string{".xls"}}
	typePPT  = fileType{"application/vnd.ms-powerpoint", []string{".ppt"}}
)

// executableExts run code when opened on common systems; an upload or an
// archive entry named so is refused whatever its content.
var executableExts = []string{
	".exe", ".dll", ".com", ".scr", ".msi", ".msp", ".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse",
	".wsf", ".wsh", ".hta", ".cpl", ".jar", ".lnk", ".reg", ".sh", ".bash", ".zsh", ".csh", ".ksh", ".py", ".pl",
	".rb", ".php", ".app", ".apk", ".deb", ".rpm", ".dmg", ".pkg", ".elf", ".run", ".iso", ".img", ".vhd",
	".docm", ".xlsm", ".pptm", ".dotm", ".xltm", ".msc", ".gadget", ".inf", ".application", ".appx", ".msix",
	".url", ".desktop",
}

// markupExts are pages a browser would render; an upload named so is
// refused (inside office archives such names are normal).
var markupExts = []string{".html", ".htm", ".xhtml", ".svg", ".xml", ".xsl", ".mht", ".mhtml"}

// executableMagic are leading bytes of programs and scripts.
var executableMagic = [][]byte{
	[]byte("MZ"),                               // Windows PE, DOS
	[]byte("\x7fELF"),                          // Linux and BSD
	[]byte("#!"),                               // scripts with a shebang
	{0xfe, 0xed, 0xfa, 0xce},                   // Mach-O 32
	{0xfe, 0xed, 0xfa, 0xcf},                   // Mach-O 64
	{0xce, 0xfa, 0xed, 0xfe},                   // Mach-O 32, little endian
	{0xcf, 0xfa, 0xed, 0xfe},                   // Mach-O 64, little endian
	{0xca, 0xfe, 0xba, 0xbe},                   // Mach-O universal, Java class
	[]byte("\x00asm"),                          // WebAssembly
	[]byte("dex\n"),                            // Android
	[]byte("\x4c\x00\x00\x00\x01\x14\x02\x00"), // Windows shortcut
}

// DetectAttachmentType decides the type of an upload from its bytes (the
// name only refines text into CSV and old Office files into their
// program) and returns its MIME type and canonical extension. Errors:
// EInvalid for empty files, executables and types not on the allow-list.
func DetectAttachmentType(filename string, data []byte) (string, string, error) {
	if len(data) == 0 {
		return "", "", Errorf(EInvalid, "the file is empty")
	}
	ext := strings.ToLower(path.Ext(baseName(filename)))
	refuse := Errorf(EInvalid, "this type of file is not allowed; use a PDF, an image, a text or an office document")
	if d, bad := hasExt(strings.ToLower(baseName(filename)), executableExts, markupExts); bad {
		return "", "", Errorf(EInvalid, "files named %s are not allowed", d)
	}
	if isExecutable(data) {
		return "", "", Errorf(EInvalid, "programs and scripts are not allowed")
	}
	t, ok := sniff(ext, data)
	if !ok {
		return "", "", refuse
	}
	return t.mime, t.exts[0], nil
}

func sniff(ext string, data []byte) (fileType, bool) {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return typePDF, true
	case bytes.HasPrefix(data, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}):
		// An OLE compound file: the old Office formats share it, so the
		// name tells which program opens it.
		switch ext {
		case ".doc":
			return typeDOC, true
		case ".xls":
			return typeXLS, true
		case ".ppt":
			return typePPT, true
		}
		return fileType{}, false
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return sniffZip(data)
	}
	switch http.DetectContentType(data) {
	case "image/png":
		return typePNG, true
	case "image/jpeg":
		return typeJPEG, true
	case "image/gif":
		return typeGIF, true
	case "image/webp":
		return typeWebP, true
	case "image/bmp":
		return typeBMP, true
	case "text/plain; charset=utf-8":
		if !utf8.Valid(data) || looksLikeMarkup(data) {
			return fileType{}, false
		}
		if ext == ".csv" {
			return typeCSV, true
		}
		return typeText, true
	}
	return fileType{}, false
}

// looksLikeMarkup catches HTML, XHTML and SVG that the sniffer calls
// text, so no browser ever renders an upload as a page. The whole upload
// is scanned, not only its head (a browser finds a tag after any amount
// of filler): a tag of an element that renders or runs something, with
// or without a namespace prefix (<h:script>), a tag with an event
// handler attribute (<x onclick=...>) or declaring the XHTML, SVG or
// MathML namespace, a doctype or an XML declaration.
func looksLikeMarkup(data []byte) bool {
	for i := bytes.IndexByte(data, '<'); i >= 0; {
		rest := data[i+1:]
		if markupTagAt(rest) {
			return true
		}
		j := bytes.IndexByte(rest, '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// markupElements render, load or run something when a browser parses a
// page holding them.
var markupElements = []string{
	"html", "head", "body", "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
	"img", "image", "svg", "math", "video", "audio", "source", "track", "picture", "link", "meta", "base",
	"form", "input", "button", "textarea", "select", "isindex", "details", "marquee", "template", "xml",
	"animate", "set", "foreignobject", "use", "portal", "noscript", "title", "xmp", "plaintext",
}

// markupNamespaces declare a document a browser renders as a page.
var markupNamespaces = []string{"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg", "http://www.w3.org/1998/math/mathml"}

// markupTagAt reports whether b, the bytes after a '<', starts a tag a
// browser would act on.
func markupTagAt(b []byte) bool {
	if hasPrefixFold(b, "!doctype") || hasPrefixFold(b, "?xml") {
		return true
	}
	name, n := elementName(b)
	if n == 0 || (n < len(b) && !isTagDelim(b[n])) {
		return false
	}
	if isMarkupElement(name) {
		return true
	}
	// Any element with an event handler attribute (<x onclick=...>) or a
	// page's namespace. The attributes end at the next '>' or '<', so the
	// whole scan stays linear.
	end := bytes.IndexAny(b[n:], "<>")
	if end < 0 {
		end = len(b) - n
	}
	attrs := b[n : n+end]
	return declaresPageNamespace(attrs) || hasEventHandler(attrs)
}

// elementName is the local part (after any namespace prefix) of the
// element name b starts with, and the length of the whole name.
func elementName(b []byte) ([]byte, int) {
	n := 0
	for n < len(b) && (isNameByte(b[n]) || b[n] == ':') {
		n++
	}
	name := b[:n]
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return name, n
}

func isMarkupElement(name []byte) bool {
	for _, e := range markupElements {
		if len(name) == len(e) && hasPrefixFold(name, e) {
			return true
		}
	}
	return false
}

func declaresPageNamespace(attrs []byte) bool {
	if !containsFold(attrs, "xmlns") {
		return false
	}
	for _, ns := range markupNamespaces {
		if containsFold(attrs, ns) {
			return true
		}
	}
	return false
}

// hasEventHandler reports whether attrs hold an on...= attribute.
func hasEventHandler(attrs []byte) bool {
	for k := 0; k+2 < len(attrs); k++ {
		if !isTagDelim(attrs[k]) || !hasPrefixFold(attrs[k+1:], "on") {
			continue
		}
		m := k + 3
		for m < len(attrs) && isNameByte(attrs[m]) {
			m++
		}
		for m < len(attrs) && (attrs[m] == ' ' || attrs[m] == '\t' || attrs[m] == '\n' || attrs[m] == '\r') {
			m++
		}
		if m > k+3 && m < len(attrs) && attrs[m] == '=' {
			return true
		}
	}
	return false
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// isTagDelim: what may follow an element name in a tag.
func isTagDelim(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>'
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

func containsFold(b []byte, s string) bool {
	first := []byte{s[0], s[0] &^ 0x20}
	for i := 0; i+len(s) <= len(b); i++ {
		if (b[i] == first[0] || b[i] == first[1]) && bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
	}
	return false
}

// Limits of the archive check. An archive is opened to the last entry of
// its last nested archive; one that is deeper, has more entries or would
// unpack to more than these is refused rather than checked in part.
const (
	// MaxArchiveDepth counts the upload itself: 3 allows an archive in an
	// archive in the upload.
	MaxArchiveDepth = 3
	// MaxArchiveEntries bounds the entries of all levels together.
	MaxArchiveEntries = 10000
	// MaxArchiveUnpackedBytes bounds the uncompressed size of all entries
	// of all levels together (archive/zip enforces the declared sizes
	// while reading, so a lying header fails the read).
	MaxArchiveUnpackedBytes = 256 << 20
	// maxNestedArchiveBytes bounds one nested archive, which is read into
	// memory to be opened.
	maxNestedArchiveBytes = 32 << 20
	// sniffBytes of every other entry are read to judge its content.
	sniffBytes = 512
)

// archiveBudget is what is left of the limits while one upload's archives
// are checked.
type archiveBudget struct {
	entries  int
	unpacked uint64
}

// sniffZip tells office documents from plain archives and refuses archives
// that carry programs or macros, by name or by content, at any depth.
func sniffZip(data []byte) (fileType, bool) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fileType{}, false
	}
	budget := &archiveBudget{entries: MaxArchiveEntries, unpacked: MaxArchiveUnpackedBytes}
	if !archiveClean(zr, 1, budget) {
		return fileType{}, false
	}
	var word, excel, powerpoint, contentTypes bool
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		switch {
		case name == "[content_types].xml":
			contentTypes = true
		case strings.HasPrefix(name, "word/"):
			word = true
		case strings.HasPrefix(name, "xl/"):
			excel = true
		case strings.HasPrefix(name, "ppt/"):
			powerpoint = true
		}
	}
	if len(zr.File) > 0 && zr.File[0].Name == "mimetype" {
		if rc, err := zr.File[0].Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 100))
			_ = rc.Close()
			for _, t := range []fileType{typeODT, typeODS, typeODP} {
				if string(b) == t.mime {
					return t, true
				}
			}
		}
	}
	switch {
	case contentTypes && word:
		return typeDOCX, true
	case contentTypes && excel:
		return typeXLSX, true
	case contentTypes && powerpoint:
		return typePPTX, true
	}
	return typeZIP, true
}

// archiveClean reports whether no entry of zr, at depth, nor of any
// archive inside it, is a program or macro by name or by content, and
// the whole stays within budget. Entries that cannot be read (encrypted,
// unknown compression, corrupt) cannot be checked and make it unclean.
func archiveClean(zr *zip.Reader, depth int, budget *archiveBudget) bool {
	if depth > MaxArchiveDepth {
		return false
	}
	budget.entries -= len(zr.File)
	if budget.entries < 0 {
		return false
	}
	for _, f := range zr.File {
		if f.UncompressedSize64 > budget.unpacked {
			return false
		}
		budget.unpacked -= f.UncompressedSize64
	}
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		if _, bad := hasExt(name, executableExts); bad || strings.HasSuffix(name, "vbaproject.bin") {
			return false
		}
		if f.FileInfo().IsDir() && f.UncompressedSize64 == 0 {
			continue
		}
		if f.Flags&0x1 != 0 { // encrypted: its content cannot be judged
			return false
		}
		if !entryClean(f, depth, budget) {
			return false
		}
	}
	return true
}

// entryClean judges one archive entry by its bytes: programs are refused,
// and so are archives Parley cannot open (their content cannot be
// checked); zip archives, also behind a prefix (a self-extractor, or
// bytes put before one), are opened and checked in turn.
func entryClean(f *zip.File, depth int, budget *archiveBudget) bool {
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer func() { _ = rc.Close() }()
	head, err := io.ReadAll(io.LimitReader(rc, sniffBytes)) // a short or corrupt entry fails here
	if err != nil {
		return false
	}
	if isExecutable(head) || isUnopenedArchive(head) {
		return false
	}
	if f.UncompressedSize64 > maxNestedArchiveBytes {
		// Too large to open as a nested archive: refused if it is one.
		return !bytes.HasPrefix(head, zipLocalHeader) && !endsLikeZip(rc)
	}
	rest, err := io.ReadAll(io.LimitReader(rc, maxNestedArchiveBytes))
	if err != nil {
		return false
	}
	whole := append(head, rest...)
	if !bytes.HasPrefix(whole, zipLocalHeader) && !hasZipEnd(whole) {
		return true
	}
	zr, err := zip.NewReader(bytes.NewReader(whole), int64(len(whole)))
	if err != nil {
		return false
	}
	return archiveClean(zr, depth+1, budget)
}

var (
	zipLocalHeader = []byte("PK\x03\x04")
	zipEndRecord   = []byte("PK\x05\x06")
)

// zipEndWindow is how far from its end a zip's end-of-central-directory
// record can start: its 22 bytes plus a comment of up to 64 KiB.
const zipEndWindow = 22 + 0xffff

// hasZipEnd reports whether data ends like a zip archive, wherever the
// archive starts.
func hasZipEnd(data []byte) bool {
	return bytes.Contains(data[max(0, len(data)-zipEndWindow):], zipEndRecord)
}

// endsLikeZip reads r to its end (bounded by the archive budget already
// taken for the entry) and reports whether its tail holds a zip's end record.
func endsLikeZip(r io.Reader) bool {
	tail := make([]byte, 0, 2*zipEndWindow)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		tail = append(tail, buf[:n]...)
		if len(tail) > zipEndWindow {
			tail = append(tail[:0], tail[len(tail)-zipEndWindow:]...)
		}
		if err != nil {
			return err != io.EOF || bytes.Contains(tail, zipEndRecord)
		}
	}
}

// unopenedArchiveMagic are the leading bytes of archive and compression
// formats Parley does not open.
var unopenedArchiveMagic = [][]byte{
	[]byte("7z\xbc\xaf\x27\x1c"), // 7-Zip
	[]byte("Rar!\x1a\x07"),       // RAR 4 and 5
	{0x1f, 0x8b},                 // gzip (.gz, .tgz)
	[]byte("BZh"),                // bzip2
	[]byte("\xfd7zXZ\x00"),       // xz
	{0x28, 0xb5, 0x2f, 0xfd},     // zstd
	[]byte("MSCF"),               // Windows cabinet
	[]byte("\x60\xea"),           // ARJ
}

// isUnopenedArchive reports whether head starts an archive Parley does
// not open (tar: "ustar" at offset 257).
func isUnopenedArchive(head []byte) bool {
	for _, m := range unopenedArchiveMagic {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// isExecutable reports whether data starts like a program or script.
func isExecutable(data []byte) bool {
	for _, m := range executableMagic {
		if bytes.HasPrefix(data, m) {
			return true
		}
	}
	return false
}

// hasExt reports whether the lower-case name (trailing dots and spaces
// ignored, as Windows does) ends in one of the extensions.
func hasExt(name string, lists ...[]string) (string, bool) {
	name = strings.TrimRight(name, ". ")
	for _, l := range lists {
		for _, e := range l {
			if strings.HasSuffix(name, e) {
				return e, true
			}
		}
	}
	return "", false
}

// baseName drops any directory part, with either separator.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// SanitizeFilename reduces an uploaded name to a safe display name: no
// directory, no control or invisible direction characters, no quotes,
// separators or characters that filesystems or headers treat specially,
// no leading dots, bounded length, and an extension that matches ext (the
// detected type's; appended when the name's own does not fit the type).
func SanitizeFilename(name, ext string) string {
	name = baseName(strings.ToValidUTF8(name, ""))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			continue
		case unicode.Is(unicode.Cf, r): // bidi overrides, zero-width characters
			continue
		case strings.ContainsRune(`"'\/:*?<>|;%`+"`", r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(strings.Join(strings.Fields(b.String()), " "), ". ")
	own := strings.ToLower(path.Ext(name))
	fits := false
	for _, t := range allTypes {
		if t.exts[0] == ext && containsExt(t.exts, own) {
			fits = true
		}
	}
	stem := name
	if fits {
		own = path.Ext(name) // keeps the user's case
		stem = strings.TrimSuffix(name, own)
	} else if ext != "" {
		own = ext
	}
	if strings.Trim(stem, ". _") == "" {
		stem = "attachment"
	}
	maxStem := MaxFilenameBytes - len(own)
	for len(stem) > maxStem {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return strings.TrimRight(stem, ". ") + own
}

var allTypes = []fileType{typePNG, typeJPEG, typeGIF, typeWebP, typeBMP, typePDF, typeText, typeCSV, typeZIP,
	typeDOCX, typeXLSX, typePPTX, typeODT, typeODS, typeODP, typeDOC, typeXLS, typePPT}

func containsExt(exts []string, e string) bool {
	for _, x := range exts {
		if x == e {
			return true
		}
	}
	return false
}
