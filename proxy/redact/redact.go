// Package redact removes secrets from text before it is stored or logged:
// API keys, bearer tokens, Sluice client keys and credential-looking JSON
// fields. It errs on the side of removing too much.
package redact

import (
	"bytes"
	"regexp"
	"strings"
)

// Mask replaces every secret found.
const Mask = "[REDACTED]"

// rule is one pattern; a secret's prefix kept by $1 tells a reader what was
// there without revealing it.
type rule struct {
	re   *regexp.Regexp
	repl []byte
}

var rules = []rule{
	// Anthropic keys and tokens (sk-ant-api03-..., sk-ant-oat01-...) and
	// Sluice's own client keys, wherever they appear.
	{regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]+`), []byte("sk-ant-" + Mask)},
	{regexp.MustCompile(`sk-sluice-[A-Za-z0-9_\-]+`), []byte("sk-sluice-" + Mask)},
	// Authorization: Bearer <token>, in headers or pasted into a prompt;
	// tokens are long, and "the bearer of" is not one.
	{regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}`), []byte("${1}" + Mask)},
	// x-api-key: value, x-api-key=value, "x-api-key": "value".
	{regexp.MustCompile(`(?i)(x-api-key"?\s*[:=]\s*"?)[^"\s,;}&]+`), []byte("${1}" + Mask)},
	// JSON fields that hold credentials.
	{regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|api_key|apikey|client_secret|password|secret)"\s*:\s*")(?:[^"\\]|\\.)*`), []byte("${1}" + Mask)},
}

// Bytes returns b with every secret masked. b is not modified; when nothing
// matched, b itself is returned.
func Bytes(b []byte) []byte {
	out := b
	for _, r := range rules {
		if r.re.Match(out) {
			out = r.re.ReplaceAll(out, r.repl)
		}
	}
	return out
}

// String is Bytes for strings. A string none of the rules can match
// (most: it runs on every request's User-Agent) is returned as it is,
// without running them or copying it.
func String(s string) string {
	if !mayMatch(s) {
		return s
	}
	b := Bytes([]byte(s))
	return string(b)
}

// mayMatch reports whether some rule could match s. Every match holds a
// needle: "sk-" (the two key rules), "bearer" or "x-api-key" in any case,
// or a double quote (the JSON fields). Case folding under (?i) reaches
// beyond ASCII (the Kelvin sign folds to k), so s with any non-ASCII
// byte is always given to the rules.
func mayMatch(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c == '"' {
			return true
		}
	}
	return strings.Contains(s, "sk-") || containsFoldASCII(s, "bearer") || containsFoldASCII(s, "x-api-key")
}

// containsFoldASCII reports whether the ASCII s holds the lower-case
// ASCII needle in any case.
func containsFoldASCII(s, needle string) bool {
	for i := 0; i+len(needle) <= len(s); i++ {
		j := 0
		for ; j < len(needle); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == len(needle) {
			return true
		}
	}
	return false
}

// Contains reports whether b holds anything Bytes would mask: a check for
// tests and for the doctor, not a second line of defence.
func Contains(b []byte) bool {
	return !bytes.Equal(Bytes(b), b)
}
