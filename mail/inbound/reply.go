package inbound

import (
	"regexp"
	"strings"
)

// The quote and signature rules. No maintained Go library reads replies in
// Finnish (the ports of GitHub's email_reply_parser are unmaintained and
// English only), so these are Parley's own, tested over one sample per
// client and language in testdata/. The rule throughout: cut only where a
// client's own marker says the history starts; when in doubt keep text.

// replyText is what the sender wrote: the plain text body when there is
// one, else the text of the HTML body, without the quoted history, the
// signature and a mobile footer.
func replyText(b body, subject string) string {
	text := b.plain
	if strings.TrimSpace(text) == "" {
		text = b.html
	}
	lines := strings.Split(text, "\n")
	if forwardSubject.MatchString(subject) || isForward(lines) {
		// A forwarded message is what the sender means to share.
		return joinLines(lines)
	}
	lines = cutHistory(lines)
	lines = cutQuote(lines)
	lines = cutSignature(lines)
	lines = cutMobileFooter(lines)
	return joinLines(lines)
}

var (
	// forwardMarker opens a forwarded message (Gmail, Apple Mail, in
	// English, Finnish and Swedish), quoted or not.
	forwardMarker = regexp.MustCompile(`(?i)^[>\s]*(-{5,}\s*(forwarded message|välitetty viesti|vidarebefordrat meddelande)\s*-{5,}|begin forwarded message:|välitetty viesti alkaa:)\s*$`)
	// originalMessage is Outlook's plain-text history line.
	originalMessage = regexp.MustCompile(`(?i)^\s*-{3,}\s*(original message|alkuperäinen viesti|ursprungligt meddelande|ursprüngliche nachricht)\s*-{3,}\s*$`)
	// rule is the line Outlook draws above its reply header.
	rule = regexp.MustCompile(`^\s*_{20,}\s*$`)
	// Outlook's reply header: From, then Sent or Date, then To or Subject,
	// in English, Finnish, Swedish or German, "*bold*" when from HTML.
	headerFrom    = regexp.MustCompile(`(?i)^\s*\*?(from|lähettäjä|från|von)\s*:\*?\s*\S`)
	headerSent    = regexp.MustCompile(`(?i)^\s*\*?(sent|date|lähetetty|päivämäärä|päiväys|skickat|datum|gesendet)\s*:\*?\s*\S`)
	headerSubject = regexp.MustCompile(`(?i)^\s*\*?(to|subject|vastaanottaja|aihe|till|ämne|an|betreff)\s*:\*?\s*\S`)
	// attribution is the line a client writes above a quote: "On <date>,
	// <name> wrote:" (Gmail, Apple Mail, Thunderbird, Outlook for Mac) and
	// the Finnish "ma 1.12.2026 klo 10.00 <name> kirjoitti:", "1.12.2026
	// kello 10.00, <name> kirjoitti:" and "<name> kirjoitti 1.12.2026 kello
	// 10.00:", Swedish and German alike. It counts
	// only right above a "> " quote, so a sentence that looks like one is
	// kept.
	attribution = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^on\s.*\d.*\swrote:$`),
		regexp.MustCompile(`(?i)^\S*\s?\d.*\skirjoitti:$`),
		regexp.MustCompile(`(?i)^.*\skirjoitti\s.*\d.*:$`),
		regexp.MustCompile(`(?i)^(den\s)?.*\d.*\sskrev(\s.*)?:$`),
		regexp.MustCompile(`(?i)^am\s.*\d.*\sschrieb.*:$`),
	}
	// mobileFooter is the line a phone adds under the text.
	mobileFooter   = regexp.MustCompile(`(?i)^\s*(sent from my \S.*|sent from (mail|outlook) for \S.*|get outlook for (ios|android)|lähetetty (iphonesta|ipadista|\S+-laitteesta|\S+ -älypuhelimesta|mobiililaitteesta|postista windowsille)|hanki outlook for (ios|android)|skickat från min \S.*)\s*$`)
	forwardSubject = regexp.MustCompile(`(?i)^\s*(fwd?|vl|wg|tr|vb)\s*:`)
)

func isForward(lines []string) bool {
	for _, l := range lines {
		if forwardMarker.MatchString(l) {
			return true
		}
	}
	return false
}

// cutHistory drops everything from the first unquoted history marker on:
// Outlook's "-----Original Message-----", its rule and From/Sent block.
// Such history carries no "> " and has no end of its own.
func cutHistory(lines []string) []string {
	header := outlookHeaders(lines)
	for i, l := range lines {
		if originalMessage.MatchString(l) || header[i] {
			return lines[:i]
		}
		if next := nextNonBlank(lines, i+1); rule.MatchString(l) && next >= 0 && header[next] {
			return lines[:i]
		}
	}
	return lines
}

// outlookHeaders marks the lines that start an Outlook reply header: a
// From line followed within the next five lines by a Sent or Date line
// and a To or Subject line. Each line is matched once, so a long text of
// From-like lines stays linear.
func outlookHeaders(lines []string) []bool {
	const window = 5
	starts := make([]bool, len(lines))
	lastSent, lastSubject := -1, -1
	for i := len(lines) - 1; i >= 0; i-- {
		if headerFrom.MatchString(lines[i]) {
			starts[i] = lastSent > i && lastSent <= i+window && lastSubject > i && lastSubject <= i+window
		}
		if headerSent.MatchString(lines[i]) {
			lastSent = i
		}
		if headerSubject.MatchString(lines[i]) {
			lastSubject = i
		}
	}
	return starts
}

func isQuoted(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") }

func isBlank(l string) bool { return strings.TrimSpace(l) == "" }

func nextNonBlank(lines []string, i int) int {
	for ; i < len(lines); i++ {
		if !isBlank(lines[i]) {
			return i
		}
	}
	return -1
}

// cutQuote drops the quoted history: the last "> " block when nothing but
// blank lines follows it (a reply written above the quote), or the only
// block when the reply is written below it; either with the attribution
// line above it. Quotes between the sender's own paragraphs (an inline
// answer) are kept: they are the context of what the sender wrote.
func cutQuote(lines []string) []string {
	blocks := quoteBlocks(lines)
	if len(blocks) == 0 {
		return lines
	}
	last := blocks[len(blocks)-1]
	if nextNonBlank(lines, last[1]) < 0 {
		return lines[:attributionStart(lines, last[0])]
	}
	first := blocks[0]
	start := attributionStart(lines, first[0])
	if len(blocks) == 1 && nextNonBlank(lines, 0) == start {
		return lines[first[1]:]
	}
	return lines
}

// quoteBlocks are the runs of quoted lines, [start, end), blank lines
// inside a run belonging to it.
func quoteBlocks(lines []string) [][2]int {
	var blocks [][2]int
	for i := 0; i < len(lines); i++ {
		if !isQuoted(lines[i]) {
			continue
		}
		start, end := i, i+1
		for j := i + 1; j < len(lines) && (isQuoted(lines[j]) || isBlank(lines[j])); j++ {
			if isQuoted(lines[j]) {
				end = j + 1
			}
		}
		blocks = append(blocks, [2]int{start, end})
		i = end - 1
	}
	return blocks
}

// attributionStart is where the attribution line above a quote starting
// at quote begins (a client may wrap it over up to three lines), or quote
// itself when there is none.
func attributionStart(lines []string, quote int) int {
	end := quote - 1
	for end >= 0 && isBlank(lines[end]) {
		end--
	}
	for start := end; start >= 0 && start > end-3; start-- {
		if isBlank(lines[start]) || isQuoted(lines[start]) {
			break
		}
		joined := strings.Join(trimAll(lines[start:end+1]), " ")
		for _, re := range attribution {
			if re.MatchString(joined) {
				return start
			}
		}
	}
	return quote
}

// cutSignature drops the signature: from the first "-- " line (RFC 3676;
// some clients lose the space) after the last quote to the end.
func cutSignature(lines []string) []string {
	from := 0
	for i := len(lines) - 1; i >= 0; i-- {
		if isQuoted(lines[i]) {
			from = i + 1
			break
		}
	}
	for i := from; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t") == "--" {
			return lines[:i]
		}
	}
	return lines
}

// cutMobileFooter drops "Sent from my iPhone" and its kin when it is the
// last thing in the text.
func cutMobileFooter(lines []string) []string {
	last := len(lines) - 1
	for last >= 0 && isBlank(lines[last]) {
		last--
	}
	if last >= 0 && mobileFooter.MatchString(lines[last]) {
		return lines[:last]
	}
	return lines
}

func trimAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

// joinLines is the text with trailing spaces and leading and trailing
// blank lines removed.
func joinLines(lines []string) string {
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
