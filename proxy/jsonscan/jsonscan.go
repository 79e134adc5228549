// Package jsonscan finds the top-level values of a JSON object without
// decoding them. The engine reads a few fields of bodies it relays
// untouched (a request's "model", an answer's "usage"); decoding the
// values before them costs as much as forwarding: the official Python SDK
// sends "max_tokens", "messages", "model" in that order, and decoding an
// 80 KB "messages" array to reach the model was ~170 µs and 85 KB of
// allocations per request. So bodies are scanned: strings, arrays and
// objects are skipped in place, byte by byte, and nothing is allocated.
//
// The scan does not validate what it skips beyond finding where each value
// ends: on valid JSON it agrees with encoding/json (the proxy's
// FuzzRequestModel and usage's FuzzFromJSON check it), on invalid JSON it
// only promises not to read out of bounds.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Object calls fn with each top-level key of the JSON object body, quoted
// as it stands in body, and the bounds of its value, body[start:end], in
// order, until fn returns false. It reports whether body is an object
// whose members were well formed up to where the walk stopped: false when
// body breaks, or is not an object, before fn asked to stop or the
// closing brace was reached.
func Object(body []byte, fn func(key []byte, start, end int) bool) bool {
	i := SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = SkipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return true
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return false
		}
		kend := StringEnd(body, i)
		if kend < 0 {
			return false
		}
		key := body[i:kend]
		if i = SkipSpace(body, kend); i >= len(body) || body[i] != ':' {
			return false
		}
		start := SkipSpace(body, i+1)
		end := ValueEnd(body, start)
		if end < 0 {
			return false
		}
		if !fn(key, start, end) {
			return true
		}
		if i = SkipSpace(body, end); i >= len(body) {
			return false // cut short
		}
		switch body[i] {
		case '}':
			return true
		case ',':
			i = SkipSpace(body, i+1)
		default:
			return false
		}
	}
}

// SkipSpace is the index of the first byte at or after i that is not JSON
// white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// StringEnd is the index just past the JSON string that opens at b[i]
// (a '"'), or -1 when it does not close. It looks for the quote and for
// backslashes with bytes.IndexByte (vectorised) rather than one IndexAny
// of both (a byte at a time: 5% of the engine's CPU on 20 KB request
// bodies), and remembers the quote it found so each byte is read about
// twice however many escapes precede it.
func StringEnd(b []byte, i int) int {
	i++
	q := -1 // the next '"' at or after i, once found
	for {
		if q < i {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return -1
			}
			q = i + j
		}
		k := bytes.IndexByte(b[i:q], '\\')
		if k < 0 {
			return q + 1
		}
		i += k + 2 // a backslash and the character it escapes
		if i > len(b) {
			return -1
		}
	}
}

// ValueEnd is the index just past the JSON value that starts at b[i], or
// -1 when it does not end. Objects and arrays are skipped by counting
// brackets outside strings; scalars end at the next delimiter.
func ValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return StringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = StringEnd(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // number, true, false, null
		start := i
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' &&
			b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}

// KeyEquals reports whether the quoted JSON string q decodes to key.
func KeyEquals(q []byte, key string) bool {
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1:len(q)-1]) == key // no allocation: compared in place
	}
	s, ok := Unquote(q) // escaped keys are rare: decode them properly
	return ok && s == key
}

// KeyFold reports whether the quoted JSON string q decodes to key under
// Unicode case folding, which is how encoding/json matches an object's
// keys to a struct's fields.
func KeyFold(q []byte, key string) bool {
	if bytes.IndexByte(q, '\\') < 0 {
		return bytes.EqualFold(q[1:len(q)-1], []byte(key))
	}
	s, ok := Unquote(q)
	return ok && bytes.EqualFold([]byte(s), []byte(key))
}

// Unquote decodes the quoted JSON string q as encoding/json does
// (escapes resolved, invalid UTF-8 replaced).
func Unquote(q []byte) (string, bool) {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return "", false
	}
	return s, true
}
