package proxy

import (
	"encoding/json"
	"net/http"

	"github.com/sluice-proxy/sluice/proxy/redact"
)

// Anthropic error types, as the Messages API names them, so clients react to
// Sluice's errors exactly as they would to the API's.
const (
	errInvalidRequest = "invalid_request_error"
	errAuthentication = "authentication_error"
	errPermission     = "permission_error"
	errNotFound       = "not_found_error"
	errTooLarge       = "request_too_large"
	errRateLimit      = "rate_limit_error"
	errAPI            = "api_error"
	errOverloaded     = "overloaded_error"
)

// ownHeaders marks a response Sluice wrote itself: never cached, never
// leaking where it came from, never sniffed.
func ownHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
}

// writeError answers in Anthropic's error shape. msg must not hold secrets.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-sluice-error", "1")
	ownHeaders(h)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}{Type: "error", Error: struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{typ, redact.String(msg)}})
}
