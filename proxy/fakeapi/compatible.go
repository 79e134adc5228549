package fakeapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Compatible is how the fake stands in for an Anthropic-compatible
// endpoint (a provider's /api/anthropic, a LiteLLM or company gateway):
// the Messages API under a base path, answered with the model the request
// named, no Anthropic rate-limit headers, and errors in the provider's own
// shape rather than Anthropic's.
type Compatible struct {
	// Prefix is the base URL's path ("/api/anthropic"); requests outside
	// it get a plain 404.
	Prefix string
	// NoModelList answers GET /v1/models 404, as endpoints that serve
	// only Messages do.
	NoModelList bool
	// RetryAfter is sent as retry-after with scripted 429s (0: none).
	RetryAfter time.Duration
}

// compatible answers one request in the compatible endpoint's manner.
// Scripted statuses (Behavior.Statuses) come back as OpenAI-style error
// bodies, {"error":{"message":...,"code":...}}.
func (s *Server) compatible(w http.ResponseWriter, r *http.Request, body []byte, b *Behavior, scripted int) {
	if scripted != 0 && scripted != http.StatusOK {
		if scripted == http.StatusTooManyRequests && s.Compatible.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(s.Compatible.RetryAfter.Seconds())))
		}
		writeJSON(w, scripted, map[string]any{"error": map[string]any{
			"message": fmt.Sprintf("compatible upstream: scripted status %d", scripted), "code": strconv.Itoa(scripted)}})
		return
	}
	switch r.URL.Path {
	case "/v1/messages":
		s.messages(w, r, body, b)
	case "/v1/models":
		writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{{"type": "model", "id": "glm-4.6"}}, "has_more": false})
	default:
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.served[credentialOf(r)]++
	s.mu.Unlock()
}

// Models returns the model named by each Messages request received, in
// order: what an upstream was asked to run.
func (s *Server) Models() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.received {
		if r.Method == http.MethodPost && len(r.Body) > 0 {
			out = append(out, requestModel(r.Body))
		}
	}
	return out
}
