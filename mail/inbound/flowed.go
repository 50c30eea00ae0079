package inbound

import "strings"

// unflow undoes RFC 3676 format=flowed, which Apple Mail and Thunderbird
// send: a line ending in a space goes on in the next line of the same
// quote depth, a leading space is stuffing, and with delsp=yes the
// trailing space was added by the sender and is removed. Quote marks are
// kept so that the quote rules still see them. go-message leaves flowed
// text as it is and no maintained library decodes it, hence these lines.
func unflow(text string, delsp bool) string {
	var out []string
	var cur strings.Builder
	curDepth, open := 0, false
	for _, line := range strings.Split(text, "\n") {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(line[depth:], " ")
		if open && depth != curDepth {
			out, open = append(out, cur.String()), false
		}
		if !open {
			cur.Reset()
			cur.WriteString(strings.Repeat(">", depth))
			if depth > 0 {
				cur.WriteByte(' ')
			}
			curDepth = depth
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		if open = flowed; !open {
			out = append(out, cur.String())
		}
	}
	if open {
		out = append(out, cur.String())
	}
	return strings.Join(out, "\n")
}
