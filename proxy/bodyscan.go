package proxy

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The engine reads one field of a request body, the top-level "model",
// and relays the body's bytes untouched. Decoding the values before it
// costs as much as forwarding: the official Python SDK sends
// "max_tokens", "messages", "model" in that order, and decoding an 80 KB
// "messages" array to reach the model was ~170 µs and 85 KB of
// allocations per request. So the body is scanned, not decoded: strings,
// arrays and objects before the key are skipped in place, byte by byte,
// and nothing is allocated but the model's own string.

// topLevelString returns the string value of the first top-level key of
// the JSON object body that equals key, and whether one was found. A key
// whose value is not a string, a body that is not an object, or a body
// that breaks before the key is reached give false. The scan does not
// validate what it skips beyond finding where each value ends: on valid
// JSON it agrees with encoding/json (FuzzRequestModel checks it), on
// invalid JSON it only promises not to read out of bounds.
func topLevelString(body []byte, key string) (string, bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return "", false
	}
	i++
	for {
		i = skipSpace(body, i)
		if i >= len(body) || body[i] != '"' {
			return "", false // '}' (no such key) or broken
		}
		end := stringEnd(body, i)
		if end < 0 {
			return "", false
		}
		match := keyEquals(body[i:end], key)
		i = skipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return "", false
		}
		i = skipSpace(body, i+1)
		if match {
			if i >= len(body) || body[i] != '"' {
				return "", false
			}
			end := stringEnd(body, i)
			if end < 0 {
				return "", false
			}
			return unquote(body[i:end])
		}
		if i = valueEnd(body, i); i < 0 {
			return "", false
		}
		i = skipSpace(body, i)
		if i >= len(body) || body[i] != ',' {
			return "", false
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// stringEnd is the index just past the JSON string that opens at b[i]
// (a '"'), or -1 when it does not close.
func stringEnd(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexAny(b[i:], `"\`)
		if j < 0 {
			return -1
		}
		i += j
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the character it escapes
		if i > len(b) {
			return -1
		}
	}
}

// valueEnd is the index just past the JSON value that starts at b[i], or
// -1 when it does not end. Objects and arrays are skipped by counting
// brackets outside strings; scalars end at the next delimiter.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = stringEnd(b, i); i < 0 {
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

// keyEquals reports whether the quoted JSON string q decodes to key.
func keyEquals(q []byte, key string) bool {
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1:len(q)-1]) == key // no allocation: compared in place
	}
	s, ok := unquote(q) // escaped keys are rare: decode them properly
	return ok && s == key
}

// unquote decodes the quoted JSON string q as encoding/json does
// (escapes resolved, invalid UTF-8 replaced).
func unquote(q []byte) (string, bool) {
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
