package proxy

import "github.com/sluice-proxy/sluice/proxy/jsonscan"

// The engine reads one field of a request body, the top-level "model",
// and relays the body's bytes untouched: the body is scanned, not decoded
// (package jsonscan says why), whatever the keys' order.

// topLevelString returns the string value of the first top-level key of
// the JSON object body that equals key, and whether one was found. A key
// whose value is not a string, a body that is not an object, or a body
// that breaks before the key is reached give false.
func topLevelString(body []byte, key string) (s string, ok bool) {
	jsonscan.Object(body, func(k []byte, start, end int) bool {
		if !jsonscan.KeyEquals(k, key) {
			return true
		}
		if body[start] == '"' {
			s, ok = jsonscan.Unquote(body[start:end])
		}
		return false
	})
	return s, ok
}
