package inbound

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const replyAddress = "reply+c42.u7.k1f2e3d4@parley.example"

type wantFile struct {
	name, ctype string
	size        int
}

// TestParseSamples reads one real-looking mail per client and language
// and checks what a reply turns into.
func TestParseSamples(t *testing.T) {
	cases := []struct {
		file      string
		from      string
		subject   string
		text      string
		files     []wantFile
		automatic string // the Reason when the mail is automatic
	}{
		{file: "gmail_en.eml", from: "john.doe@acme.example", subject: "Re: Invoice 1234",
			text: "Hi,\n\nthe invoice is paid now. Reference 2026-12-01.\n\nBest,\nJohn"},
		{file: "gmail_fi.eml", from: "matti@esimerkki.fi", subject: "Re: Lasku 1234 – eräpäivä",
			text: "Hei,\n\nlasku on nyt maksettu. Kiitos nopeasta vastauksesta!\n\nTerveisin\nMatti Meikäläinen"},
		{file: "gmail_fi_html.eml", from: "matti@esimerkki.fi", subject: "Re: Lasku 1234",
			text: "Hei,\n\nlasku on nyt maksettu. Kiitos nopeasta vastauksesta!\n\nTerveisin\nMatti Meikäläinen"},
		{file: "outlook_desktop_en.eml", from: "mary.smith@acme.example", subject: "RE: Invoice 1234",
			text: "Hello,\n\nwe’ll pay it on Friday – the 5th.\n\nKind regards\nMary Smith\nFinance, Acme Oy"},
		{file: "outlook_desktop_en_html.eml", from: "mary.smith@acme.example", subject: "RE: Invoice 1234",
			text: "Hello,\n\nwe’ll pay it on Friday – the 5th.\n\nKind regards\nMary Smith\nFinance, Acme Oy"},
		{file: "outlook_desktop_fi.eml", from: "liisa@yritys.fi", subject: "VS: Lasku 1234",
			text: "Hei,\n\nmaksamme laskun perjantaina. Hinta 120 € sis. alv.\n\nYstävällisin terveisin\nLiisa Järvinen"},
		{file: "outlook_original_en.eml", from: "peter@acme.example", subject: "RE: Invoice 1234",
			text: "Confirmed, paid on 1.12. © Acme"},
		{file: "outlook_web_fi.eml", from: "pekka@yritys.fi", subject: "VS: Lasku 1234",
			text: "Hei,\n\nliitteenä allekirjoitettu sopimus. Katso myös sopimussivu <https://yritys.fi/sopimukset/42>.\n\nPekka"},
		{file: "apple_mail_en.eml", from: "sam@acme.example", subject: "Re: Invoice 1234",
			text: "Yes, that works for me. I'll send the receipt tomorrow."},
		{file: "apple_mail_fi.eml", from: "sanna@yritys.fi", subject: "Re: Lasku 1234",
			text: "Kiitos, tämä sopii.\n\nSoitan huomenna."},
		{file: "apple_mail_fi_html.eml", from: "sanna@yritys.fi", subject: "Re: Lasku 1234",
			text: "Kiitos, tämä sopii.\n\nSoitan huomenna."},
		{file: "thunderbird_en.eml", from: "kim@acme.example", subject: "Re: Invoice 1234",
			text: "Hello Anna,\n\nI checked it: the payment went out on 28 November.\nThe bank reference is RF18 5390 0754 7034."},
		{file: "thunderbird_fi_html.eml", from: "juha@yritys.fi", subject: "Re: Lasku 1234",
			text: "Hei Anna,\nmaksu lähti 28.11. Viitenumero on 1234 5678."},
		{file: "bottom_post_en.eml", from: "lee@mutt.example", subject: "Re: Invoice 1234",
			text: "It was paid on Friday.\n\nLee"},
		{file: "inline_reply_en.eml", from: "lee@mutt.example", subject: "Re: Invoice 1234",
			text: "On Mon, Dec 01, 2026 at 10:00:00AM +0200, Parley wrote:\n> Could you check the payment date?\n\nFriday.\n\n> And the amount?\n\n120 euros."},
		{file: "gmail_forward_fi.eml", from: "matti@esimerkki.fi", subject: "Fwd: Tilausvahvistus",
			text: "Tässä vahvistus, jota kysyit.\n\n---------- Forwarded message ---------\nFrom: Kauppa <tilaukset@kauppa.example>\nDate: ma 1.12.2026 klo 9.12\nSubject: Tilausvahvistus\nTo: <matti@esimerkki.fi>\n\nTilauksesi 5555 on vastaanotettu."},
		{file: "no_charset_8bit.eml", from: "old@old.example", subject: "Re: Invoice 1234",
			text: "Kyllä, päivämäärä on oikein – kiitos."},
		{file: "attachments_fi.eml", from: "matti@esimerkki.fi", subject: "Re: Lasku 1234",
			text: "Liitteenä kuitti ja kuvakaappaus.",
			files: []wantFile{
				{"kuvakaappaus ä.png", "image/png", 70},
				{"kuitti joulukuu äö.pdf", "application/pdf", 61},
				{"passwd", "application/octet-stream", 11},
				{"attachment-4.eml", "message/rfc822", 172},
			}},
		{file: "auto_reply_en.eml", from: "mary.smith@acme.example", automatic: "Auto-Submitted: auto-replied"},
		{file: "oof_exchange_fi.eml", from: "liisa@yritys.fi", automatic: "X-Auto-Response-Suppress: all"},
		{file: "list_en.eml", from: "news@lists.example", automatic: "List-Id"},
		{file: "bounce_dsn.eml", from: "mailer-daemon@mx.acme.example", automatic: "Content-Type: multipart/report"},
	}
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) != len(cases) {
		t.Fatalf("testdata has %d samples, the table %d: every sample needs a row", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			m := parseFile(t, c.file, "sender@example.com")
			if m.Automatic != (c.automatic != "") || m.Reason != c.automatic {
				t.Fatalf("Automatic %v, Reason %q; want %q", m.Automatic, m.Reason, c.automatic)
			}
			if m.From != c.from {
				t.Errorf("From %q, want %q", m.From, c.from)
			}
			if c.automatic != "" {
				return
			}
			if m.Subject != c.subject {
				t.Errorf("Subject %q, want %q", m.Subject, c.subject)
			}
			if m.Text != c.text {
				t.Errorf("Text:\n%s\n--- want:\n%s", m.Text, c.text)
			}
			if m.InReplyTo != "conv42.n9@parley.example" || !slices.Equal(m.References, []string{"conv42.n1@parley.example", "conv42.n9@parley.example"}) {
				t.Errorf("thread: In-Reply-To %q, References %q", m.InReplyTo, m.References)
			}
			if !slices.Equal(m.To, []string{replyAddress}) || m.MessageID == "" {
				t.Errorf("To %q, Message-ID %q", m.To, m.MessageID)
			}
			var got []wantFile
			for _, a := range m.Attachments {
				got = append(got, wantFile{a.Filename, a.ContentType, len(a.Data)})
			}
			if !slices.Equal(got, c.files) {
				t.Errorf("attachments %v, want %v", got, c.files)
			}
		})
	}
}

func parseFile(t *testing.T, name, envelopeFrom string) Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw, envelopeFrom)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// TestParseAttachmentBytes checks an attachment arrives byte for byte.
func TestParseAttachmentBytes(t *testing.T) {
	m := parseFile(t, "attachments_fi.eml", "matti@esimerkki.fi")
	if len(m.Attachments) < 2 || !bytes.HasPrefix(m.Attachments[1].Data, []byte("%PDF-1.4\n")) {
		t.Fatalf("the PDF did not arrive decoded: %+v", m.Attachments)
	}
	if strings.Contains(m.Text, "forwarded body") {
		t.Fatalf("a message/rfc822 part was read as text: %q", m.Text)
	}
}

func TestParseAutomatic(t *testing.T) {
	cases := []struct {
		name, header, envelope, reason string
	}{
		{"null sender", "", "", "null sender"},
		{"null sender in brackets", "", "<>", "null sender"},
		{"auto-generated", "Auto-Submitted: auto-generated\r\n", "a@b.example", "Auto-Submitted: auto-generated"},
		{"auto-replied with a parameter", "Auto-Submitted: Auto-Replied; owner-email=\"x@y\"\r\n", "a@b.example", "Auto-Submitted: auto-replied"},
		{"precedence bulk", "Precedence: bulk\r\n", "a@b.example", "Precedence: bulk"},
		{"precedence junk", "Precedence: junk\r\n", "a@b.example", "Precedence: junk"},
		{"precedence list", "Precedence: list\r\n", "a@b.example", "Precedence: list"},
		{"precedence auto_reply", "Precedence: auto_reply\r\n", "a@b.example", "Precedence: auto_reply"},
		{"x-autoreply", "X-Autoreply: yes\r\n", "a@b.example", "X-Autoreply"},
		{"x-autorespond", "X-Autorespond: vacation\r\n", "a@b.example", "X-Autorespond"},
		{"oof", "X-Auto-Response-Suppress: DR, OOF\r\n", "a@b.example", "X-Auto-Response-Suppress: oof"},
		{"list-unsubscribe", "List-Unsubscribe: <mailto:u@l.example>\r\n", "a@b.example", "List-Unsubscribe"},
		{"report", "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n", "a@b.example", "Content-Type: multipart/report"},
		{"postmaster envelope", "", "Postmaster@mx.example", "envelope sender: Postmaster@mx.example"},
		{"a person", "Auto-Submitted: no\r\nPrecedence: normal\r\nX-Auto-Response-Suppress: RN, NRN\r\n", "a@b.example", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := "From: Someone <someone@b.example>\r\nTo: " + replyAddress + "\r\nSubject: Re: x\r\n" + c.header + "\r\nHello\r\n"
			m, err := Parse([]byte(raw), c.envelope)
			if err != nil {
				t.Fatal(err)
			}
			if m.Automatic != (c.reason != "") || m.Reason != c.reason {
				t.Fatalf("Automatic %v, Reason %q; want %q", m.Automatic, m.Reason, c.reason)
			}
			if c.reason == "" && m.Text != "Hello" {
				t.Fatalf("Text %q", m.Text)
			}
		})
	}
}

// TestParseCharsets covers the charsets and header encodings that Finnish
// mail arrives in.
func TestParseCharsets(t *testing.T) {
	cases := []struct {
		name, header, body, subject, text string
	}{
		{"iso-8859-1 quoted-printable", "Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
			"P=E4iv=E4=E4 =\r\nja kiitos", "Re: x", "Päivää ja kiitos"},
		{"iso-8859-15 euro", "Content-Type: text/plain; charset=iso-8859-15\r\nContent-Transfer-Encoding: quoted-printable\r\n",
			"Hinta 5 =A4", "Re: x", "Hinta 5 €"},
		{"windows-1252 quotes", "Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n",
			"=93OK=94 =96 fine", "Re: x", "“OK” – fine"},
		{"utf-8 base64", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
			"SHl2w6TDpCBww6RpdsOkw6Qh", "Re: x", "Hyvää päivää!"},
		{"unknown charset kept as text", "Content-Type: text/plain; charset=x-unheard-of\r\n",
			"plain ascii", "Re: x", "plain ascii"},
		{"rfc 2047 latin-1 subject", "Subject: =?ISO-8859-1?Q?Re:_P=E4iv=E4ys?=\r\n", "ok", "Re: Päiväys", "ok"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := "From: a@b.example\r\n" + c.header
			if !strings.Contains(c.header, "Subject:") {
				h += "Subject: Re: x\r\n"
			}
			m, err := Parse([]byte(h+"\r\n"+c.body+"\r\n"), "a@b.example")
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != c.subject || m.Text != c.text {
				t.Fatalf("Subject %q Text %q; want %q %q", m.Subject, m.Text, c.subject, c.text)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"too large", bytes.Repeat([]byte("a"), MaxMessageBytes+1), ErrTooLarge},
		{"too many parts", multipart("mixed", MaxParts, "Content-Type: text/plain\r\n\r\nx"), ErrTooManyParts},
		{"too many attachments", multipart("mixed", MaxAttachments+1, "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nx"), ErrTooManyAttachments},
		{"too deep", nested(MaxDepth + 1), ErrTooDeep},
		{"body too large", []byte("From: a@b.example\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("a", MaxBodyBytes+1)), ErrBodyTooLarge},
		{"not a message", []byte("\x00\x01 no header here"), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse(c.raw, "a@b.example"); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	// Right at the limits the message is read.
	if _, err := Parse(nested(MaxDepth), "a@b.example"); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	if _, err := Parse(multipart("mixed", MaxAttachments, "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nx"), "a@b.example"); err != nil {
		t.Fatalf("%d attachments: %v", MaxAttachments, err)
	}
}

func multipart(sub string, n int, part string) []byte {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nContent-Type: multipart/" + sub + "; boundary=B\r\n\r\n")
	for range n {
		b.WriteString("--B\r\n" + part + "\r\n")
	}
	b.WriteString("--B--\r\n")
	return []byte(b.String())
}

// nested is a message whose text sits depth multiparts down.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=B%d\r\n\r\n--B%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nx\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--B%d--\r\n", i)
	}
	return []byte(b.String())
}

// TestParseParts: which parts become files and which do not.
func TestParseParts(t *testing.T) {
	cases := []struct {
		name, raw, text string
		files           []wantFile
	}{
		{"an S/MIME signature is not a file",
			"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=M\r\n\r\n" +
				"--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSigned words\r\n" +
				"--M\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Disposition: attachment; filename=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQE=\r\n--M--\r\n",
			"Signed words", nil},
		{"a malformed parameter keeps the type, and the part stays a file",
			"Content-Type: multipart/mixed; boundary=M\r\n\r\n" +
				"--M\r\nContent-Type: text/plain\r\n\r\nwords\r\n" +
				"--M\r\nContent-Type: image/png; name=\"unterminated\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--M--\r\n",
			"words", []wantFile{{"attachment-1.png", "image/png", 8}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte("From: a@b.example\r\nSubject: Re: x\r\n"+c.raw), "a@b.example")
			if err != nil {
				t.Fatal(err)
			}
			var got []wantFile
			for _, a := range m.Attachments {
				got = append(got, wantFile{a.Filename, a.ContentType, len(a.Data)})
			}
			if m.Text != c.text || !slices.Equal(got, c.files) {
				t.Fatalf("Text %q, attachments %v", m.Text, got)
			}
		})
	}
}
