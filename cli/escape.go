package cli

import (
	"fmt"
	"strings"
	"unicode"
)

// term makes text from the journal safe to print to a terminal: a key
// holder chooses request paths, models and session ids, and an ESC or BEL
// among them would drive the owner's terminal (retitle it, rewrite what it
// shows). Control characters, tab and newline included (they would break
// a table row), are printed as Go escapes (\x1b, \n) instead.
func term(s string) string {
	return escape(s, false)
}

// termText is term for multi-line text (captured bodies): newlines and tabs
// stay, every other control character is escaped.
func termText(s string) string {
	return escape(s, true)
}

func escape(s string, lines bool) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case lines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == unicode.ReplacementChar:
			b.WriteRune(r) // invalid UTF-8 is already harmless once decoded
		case unsafeRune(r):
			q := fmt.Sprintf("%+q", string(r))
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports a rune a terminal may act on: C0 and C1 controls,
// DEL, and the bidi and line-separator controls that reorder what is shown.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}
