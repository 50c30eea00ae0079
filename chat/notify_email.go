package chat

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"unicode"
	"unicode/utf8"
)

// notifyTemplateFS holds the email phrases per locale (en.tmpl, fi.tmpl)
// and the two layouts (body.txt.tmpl, body.html.tmpl).
//
//go:embed notify_templates/*.tmpl
var notifyTemplateFS embed.FS

// Email limits: a subject stays readable in a mail client; an excerpt is a
// taste of the message, not the message.
const (
	maxEmailSubject = 200
	maxExcerpt      = 500
)

// ThreadURL is the link to a topic or conversation in the web UI:
// <PublicURL>/#/topic/{id} and <PublicURL>/#/conversation/{id}. Emails
// use it; the UI's router must answer these fragments.
func ThreadURL(publicURL string, ch Channel) string {
	return strings.TrimRight(publicURL, "/") + "/#/" + string(ch.Kind) + "/" + strconv.FormatInt(ch.ID, 10)
}

// notifyEmailInput is what one email is rendered from. Every field is
// plain text; the HTML layout escapes it.
type notifyEmailInput struct {
	Reason        NotifyReason
	Locale        string
	RecipientName string
	AuthorName    string
	TenantName    string
	TopicName     string // topics only
	// Subject of a conversation and Excerpt of the message are set only
	// when the tenant allows excerpts (external emails always carry the
	// message: that is their purpose).
	Subject string
	Excerpt string
	Link    string
	// Office: the email goes to the tenant's office notification address
	// (its own footer: no personal settings apply).
	Office bool
}

// renderedEmail is the subject and the two bodies of an email.
type renderedEmail struct {
	Subject, Text, HTML string
}

// notifyTemplates renders notification emails.
type notifyTemplates struct {
	phrases map[string]*texttemplate.Template // by locale
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func parseNotifyTemplates() (*notifyTemplates, error) {
	t := &notifyTemplates{phrases: map[string]*texttemplate.Template{}}
	for _, loc := range []string{LocaleEnglish, LocaleFinnish} {
		p, err := texttemplate.ParseFS(notifyTemplateFS, "notify_templates/"+loc+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("notify templates %s: %w", loc, err)
		}
		t.phrases[loc] = p
	}
	var err error
	if t.text, err = texttemplate.ParseFS(notifyTemplateFS, "notify_templates/body.txt.tmpl"); err != nil {
		return nil, fmt.Errorf("notify text layout: %w", err)
	}
	if t.html, err = htmltemplate.ParseFS(notifyTemplateFS, "notify_templates/body.html.tmpl"); err != nil {
		return nil, fmt.Errorf("notify html layout: %w", err)
	}
	return t, nil
}

// layoutData is what the layouts see: the input plus its phrases in the
// recipient's language.
type layoutData struct {
	notifyEmailInput
	Title, Greeting, Intro, SubjectLabel, Wrote, Open, OpenButton, Footer string
}

// render builds a notification email (layout "notify") or an external
// email ("external") in the input's locale, English when unknown.
func (t *notifyTemplates) render(layout string, in notifyEmailInput) (renderedEmail, error) {
	phrases, ok := t.phrases[in.Locale]
	if !ok {
		in.Locale = LocaleEnglish
		phrases = t.phrases[LocaleEnglish]
	}
	phrase := func(name string) (string, error) {
		var b strings.Builder
		if err := phrases.ExecuteTemplate(&b, name, in); err != nil {
			return "", fmt.Errorf("phrase %s: %w", name, err)
		}
		return b.String(), nil
	}
	d := layoutData{notifyEmailInput: in}
	subjectPhrase, footerPhrase := "subject", "footer"
	if layout == "external" {
		footerPhrase = "external_footer"
	}
	if in.Office {
		footerPhrase = "office_footer"
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&d.Title, subjectPhrase}, {&d.Greeting, "greeting"}, {&d.Intro, "intro"}, {&d.SubjectLabel, "subject_label"},
		{&d.Wrote, "wrote"}, {&d.Open, "open"}, {&d.OpenButton, "open_button"}, {&d.Footer, footerPhrase}} {
		s, err := phrase(f.name)
		if err != nil {
			return renderedEmail{}, err
		}
		*f.dst = s
	}
	if layout == "external" {
		d.Title = in.Subject
	}
	var text, html strings.Builder
	if err := t.text.ExecuteTemplate(&text, layout, d); err != nil {
		return renderedEmail{}, fmt.Errorf("text body: %w", err)
	}
	if err := t.html.ExecuteTemplate(&html, layout, d); err != nil {
		return renderedEmail{}, fmt.Errorf("html body: %w", err)
	}
	return renderedEmail{Subject: headerText(d.Title, maxEmailSubject), Text: text.String(), HTML: html.String()}, nil
}

// headerText makes a string fit for a header value: control characters
// (CR and LF above all) become spaces, runs of space collapse, and it is
// cut to maxRunes. The mailer sanitizes too; this keeps a hostile topic
// name or user name from ever reaching it with a line break.
func headerText(s string, maxRunes int) string {
	return cutRunes(oneLine(s), maxRunes)
}

// oneLine is s with control characters and line separators as spaces
// and every run of space as one.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// excerptOf shortens a message body for an email.
func excerptOf(body string) string {
	return cutRunes(strings.TrimSpace(body), maxExcerpt)
}

// cutRunes shortens s to at most n runes, marking a cut with an ellipsis.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// validAddress reports whether s is a bare address fit for From or
// Reply-To; tenant settings that are not fall back to the defaults.
func validAddress(s string) bool {
	n, err := NormalizeEmail(s)
	return err == nil && n == strings.ToLower(s)
}
