package usage

import (
	"bytes"
	"unicode/utf8"

	"github.com/sluice-proxy/sluice/proxy/jsonscan"
)

// The usage object's fields, by bit: the fields a usage object set, as
// the *int64 fields of apiUsage that json.Unmarshal left non-nil.
const (
	hasInput = 1 << iota
	hasOutput
	hasCacheRead
	hasCacheCreate
	hasCacheCreation // the cache_creation object
	has5m
	has1h
)

// flatUsage is apiUsage without pointers: the fast path decodes into it
// without allocating, then lends its fields to merge.
type flatUsage struct {
	input, output, cacheRead, cacheCreate, e5m, e1h int64
	has                                             int
}

// fromJSONFast is fromJSONDecode for bodies whose "type", "model" and
// "usage" have the shapes real answers have: strings without escapes,
// and a usage object of integers, nulls and an optional cache_creation
// object, its other members plain scalars or plain nested values. It
// reads them by hand, as encoding/json would (last duplicate winning, a
// null clearing a pointer, a repeated object merged into the one decoded
// before it); handled is false, with nothing decided, at the first thing
// it does not read itself.
func fromJSONFast(body []byte) (c Counts, ok, handled bool) {
	var (
		model string
		u     flatUsage
		haveU bool // the *apiUsage json would have is non-nil
	)
	handled = true
	whole := jsonscan.Object(body, func(k []byte, start, end int) bool {
		v := body[start:end]
		switch {
		case jsonscan.KeyFold(k, "usage"):
			switch {
			case isNull(v):
				u, haveU = flatUsage{}, false
			case len(v) > 0 && v[0] == '{':
				if !haveU {
					u, haveU = flatUsage{}, true
				}
				handled = u.decode(v)
			default:
				handled = false
			}
		case jsonscan.KeyFold(k, "model"):
			if s, str := plainString(v); str {
				model = string(s)
			} else if !isNull(v) {
				handled = false
			}
		case jsonscan.KeyFold(k, "type"):
			if _, str := plainString(v); !str && !isNull(v) {
				handled = false
			}
		}
		return handled
	})
	if !handled {
		return Counts{}, false, false
	}
	if !whole || !haveU {
		return Counts{}, false, true
	}
	a := apiUsage{}
	var cc cacheCreation
	set := func(bit int, v *int64) *int64 {
		if u.has&bit != 0 {
			return v
		}
		return nil
	}
	a.InputTokens = set(hasInput, &u.input)
	a.OutputTokens = set(hasOutput, &u.output)
	a.CacheRead = set(hasCacheRead, &u.cacheRead)
	a.CacheCreate = set(hasCacheCreate, &u.cacheCreate)
	if u.has&hasCacheCreation != 0 {
		cc.Ephemeral5m = set(has5m, &u.e5m)
		cc.Ephemeral1h = set(has1h, &u.e1h)
		a.CacheCreation = &cc
	}
	c = Counts{Model: model}
	c.merge(&a)
	return c, true, true
}

// decode reads the usage object v (whole: v ends at its closing brace)
// into u, as json.Unmarshal into a non-nil *apiUsage would. It reports
// whether it could.
func (u *flatUsage) decode(v []byte) bool {
	i, ok := members(v, 0, func(k []byte, i int) (int, bool) {
		switch {
		case bytes.EqualFold(k, []byte("input_tokens")):
			return u.int(v, i, hasInput, &u.input)
		case bytes.EqualFold(k, []byte("output_tokens")):
			return u.int(v, i, hasOutput, &u.output)
		case bytes.EqualFold(k, []byte("cache_read_input_tokens")):
			return u.int(v, i, hasCacheRead, &u.cacheRead)
		case bytes.EqualFold(k, []byte("cache_creation_input_tokens")):
			return u.int(v, i, hasCacheCreate, &u.cacheCreate)
		case bytes.EqualFold(k, []byte("cache_creation")):
			if end, null := literal(v, i, "null"); null {
				u.has &^= hasCacheCreation | has5m | has1h
				return end, true
			}
			if u.has&hasCacheCreation == 0 {
				u.has = u.has&^(has5m|has1h) | hasCacheCreation
			}
			return members(v, i, func(k []byte, i int) (int, bool) {
				switch {
				case bytes.EqualFold(k, []byte("ephemeral_5m_input_tokens")):
					return u.int(v, i, has5m, &u.e5m)
				case bytes.EqualFold(k, []byte("ephemeral_1h_input_tokens")):
					return u.int(v, i, has1h, &u.e1h)
				}
				return skipPlain(v, i, 0)
			})
		}
		return skipPlain(v, i, 0)
	})
	return ok && i == len(v)
}

// int reads the integer or null at v[i] into the field bit names, as
// json.Unmarshal into an *int64 field: a number sets it, null clears it.
// Numbers with a fraction or an exponent (an error for json), or of more
// than 18 digits (which might overflow), are not read here.
func (u *flatUsage) int(v []byte, i, bit int, dst *int64) (int, bool) {
	if end, null := literal(v, i, "null"); null {
		u.has &^= bit
		return end, true
	}
	j, neg := i, false
	if j < len(v) && v[j] == '-' {
		neg, j = true, j+1
	}
	start := j
	var n int64
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		n = n*10 + int64(v[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && v[start] == '0') || !delimiter(v, j) {
		return 0, false
	}
	if neg {
		n = -n
	}
	*dst = n
	u.has |= bit
	return j, true
}

// members walks the object at v[i] (after white space), calling fn with
// each key (unquoted: keys with escapes are not read here) and the index
// of its value; fn returns the index just past the value. It returns the
// index just past the closing brace.
func members(v []byte, i int, fn func(k []byte, i int) (int, bool)) (int, bool) {
	i = jsonscan.SkipSpace(v, i)
	if i >= len(v) || v[i] != '{' {
		return 0, false
	}
	i = jsonscan.SkipSpace(v, i+1)
	if i < len(v) && v[i] == '}' {
		return i + 1, true
	}
	for {
		k, end, ok := plainStringAt(v, i)
		if !ok {
			return 0, false
		}
		if i = jsonscan.SkipSpace(v, end); i >= len(v) || v[i] != ':' {
			return 0, false
		}
		if i, ok = fn(k, jsonscan.SkipSpace(v, i+1)); !ok {
			return 0, false
		}
		if i = jsonscan.SkipSpace(v, i); i >= len(v) {
			return 0, false
		}
		switch v[i] {
		case '}':
			return i + 1, true
		case ',':
			i = jsonscan.SkipSpace(v, i+1)
		default:
			return 0, false
		}
	}
}

// maxDepth bounds how deep skipPlain follows nested values.
const maxDepth = 4

// skipPlain returns the index just past the valid JSON value at v[i]: a
// plain string, a number, true, false, null, or an object or array of
// those (to maxDepth). Anything else is not read here.
func skipPlain(v []byte, i, depth int) (int, bool) {
	if i >= len(v) {
		return 0, false
	}
	switch c := v[i]; {
	case c == '"':
		_, end, ok := plainStringAt(v, i)
		return end, ok
	case c == '{' && depth < maxDepth:
		return members(v, i, func(_ []byte, i int) (int, bool) { return skipPlain(v, i, depth+1) })
	case c == '[' && depth < maxDepth:
		i = jsonscan.SkipSpace(v, i+1)
		if i < len(v) && v[i] == ']' {
			return i + 1, true
		}
		for {
			end, ok := skipPlain(v, i, depth+1)
			if !ok {
				return 0, false
			}
			if i = jsonscan.SkipSpace(v, end); i >= len(v) {
				return 0, false
			}
			switch v[i] {
			case ']':
				return i + 1, true
			case ',':
				i = jsonscan.SkipSpace(v, i+1)
			default:
				return 0, false
			}
		}
	case c == 't':
		return literal(v, i, "true")
	case c == 'f':
		return literal(v, i, "false")
	case c == 'n':
		return literal(v, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return number(v, i)
	}
	return 0, false
}

// number returns the index just past the JSON number at v[i].
func number(v []byte, i int) (int, bool) {
	if i < len(v) && v[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		return i - start
	}
	start := i
	if n := digits(); n == 0 || (n > 1 && v[start] == '0') {
		return 0, false
	}
	if i < len(v) && v[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	return i, delimiter(v, i)
}

// literal reports whether the literal lit stands at v[i], and the index
// just past it.
func literal(v []byte, i int, lit string) (int, bool) {
	end := i + len(lit)
	if end > len(v) || string(v[i:end]) != lit || !delimiter(v, end) {
		return 0, false
	}
	return end, true
}

// delimiter reports whether a scalar may end before v[i]: at the end, or
// before white space, a comma or a closing bracket.
func delimiter(v []byte, i int) bool {
	if i >= len(v) {
		return true
	}
	switch v[i] {
	case ' ', '\t', '\n', '\r', ',', '}', ']':
		return true
	}
	return false
}

// isNull reports whether v is the literal null.
func isNull(v []byte) bool { return string(v) == "null" }

// plainString returns the contents of v when v is exactly a plain string.
func plainString(v []byte) ([]byte, bool) {
	s, end, ok := plainStringAt(v, 0)
	return s, ok && end == len(v)
}

// plainStringAt reads the string at v[i] when it is plain: no escape, no
// control character (invalid in JSON), valid UTF-8 (json would replace
// what is not). It returns the contents and the index past the quote.
func plainStringAt(v []byte, i int) (s []byte, end int, ok bool) {
	if i >= len(v) || v[i] != '"' {
		return nil, 0, false
	}
	j := bytes.IndexByte(v[i+1:], '"')
	if j < 0 {
		return nil, 0, false
	}
	s = v[i+1 : i+1+j]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return nil, 0, false
		}
	}
	if !utf8.Valid(s) {
		return nil, 0, false
	}
	return s, i + 2 + j, true
}
