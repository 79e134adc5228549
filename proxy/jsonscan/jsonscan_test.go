package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// StringEnd agrees with encoding/json on where a string ends, escapes
// included: an escaped quote, an escaped backslash before the closing
// quote, a string cut inside an escape.
func TestStringEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`"abc"`, 5},
		{`""`, 2},
		{`"a\"b"`, 6},
		{`"a\\"`, 5},
		{`"a\\\"b"`, 8},
		{`"\\\\"x`, 6},
		{`"` + strings.Repeat(`\"`, 100) + `"`, 202},
		{`"a\`, -1},
		{`"a\"`, -1},
		{`"abc`, -1},
	} {
		if got := StringEnd([]byte(tc.in), 0); got != tc.want {
			t.Errorf("StringEnd(%s) = %d, want %d", tc.in, got, tc.want)
		}
		if tc.want > 0 && !json.Valid([]byte(tc.in[:tc.want])) {
			t.Errorf("%s: %s is not a JSON string", tc.in, tc.in[:tc.want])
		}
	}
}

// Object walks the top level only, hands each value's bounds, stops when
// asked, and says whether the object was well formed that far.
func TestObject(t *testing.T) {
	body := []byte(` { "a" : [1, {"model": "x"}, "]"] , "m\u006fdel":"y", "n": null } `)
	var keys, vals []string
	whole := Object(body, func(k []byte, start, end int) bool {
		keys = append(keys, string(k))
		vals = append(vals, string(body[start:end]))
		return true
	})
	if !whole || strings.Join(keys, ",") != `"a","m\u006fdel","n"` || strings.Join(vals, ",") != `[1, {"model": "x"}, "]"],"y",null` {
		t.Errorf("walk: whole %v, keys %v, values %v", whole, keys, vals)
	}
	if n := 0; !Object(body, func([]byte, int, int) bool { n++; return false }) || n != 1 {
		t.Errorf("stopping at the first key: %d calls", n)
	}
	for _, bad := range []string{``, `[]`, `{"a":1`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1,2}`} {
		if Object([]byte(bad), func([]byte, int, int) bool { return true }) {
			t.Errorf("Object(%s) reported a well-formed object", bad)
		}
	}
	if !KeyEquals([]byte(`"m\u006fdel"`), "model") || KeyEquals([]byte(`"Model"`), "model") || !KeyFold([]byte(`"Model"`), "model") {
		t.Error("key comparison")
	}
}
