package inbound

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// toUTF8 makes a decoded body valid UTF-8 text with "\n" line ends.
// go-message has already converted a declared charset (converted says
// so); text that declared none, or one go-message does not know, is taken
// as UTF-8 when it is valid and otherwise as Windows-1252, the superset of
// ISO-8859-1 that mail clients without a charset mostly meant.
func toUTF8(data []byte, converted bool) string {
	if !converted && !utf8.Valid(data) {
		if decoded, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil {
			data = decoded
		}
	}
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\x00", "")
}
