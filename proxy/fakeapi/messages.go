package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The fake's answer is the word "chunk" Chunks times. Usage is derived from
// the request size so tests can check the numbers that reach the journal.
const (
	outputTokensPerChunk = 2
	model                = "claude-sonnet-4-5-20250929"
)

func inputTokens(body []byte) int64 { return int64(len(body)/4 + 1) }

func (s *Server) chunks() int {
	if s.Chunks > 0 {
		return s.Chunks
	}
	return 3
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request, body []byte, b *Behavior) {
	var req messagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body is not JSON")
		return
	}
	m := req.Model
	if m == "" {
		m = model
	}
	n := s.chunks()
	if call := req.toolCall(); call != "" {
		s.toolUse(w, r, body, m, call, req.Stream)
		return
	}
	if !req.Stream {
		text := ""
		for i := 0; i < n; i++ {
			text += "chunk "
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "msg_fake", "type": "message", "role": "assistant", "model": m,
			"content":     []map[string]any{{"type": "text", "text": text}},
			"stop_reason": "end_turn", "stop_sequence": nil,
			"usage": usageOf(inputTokens(body), n*outputTokensPerChunk, b),
		})
		return
	}
	s.stream(w, r, body, m, n, b)
}

// sendEvents answers with steps as an event stream.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request, b *Behavior, steps []sse) {
	send := s.sender(w, r, b)
	for _, st := range steps {
		if !send(st.event, st.data) {
			return
		}
	}
}

// sender starts an event stream and returns what sends one event, paced
// by Pace and Delay after the first; false means the client is gone.
func (s *Server) sender(w http.ResponseWriter, r *http.Request, b *Behavior) func(string, map[string]any) bool {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	first := true
	return func(event string, data map[string]any) bool {
		if !first {
			if s.Pace != nil {
				select {
				case <-s.Pace:
				case <-r.Context().Done():
					return false
				}
			}
			delay := s.Delay
			if b != nil && b.Delay > 0 {
				delay = b.Delay
			}
			if delay > 0 {
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return false
				}
			}
		}
		first = false
		raw, _ := json.Marshal(data)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, raw); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, body []byte, m string, n int, b *Behavior) {
	send := s.sender(w, r, b)
	ok := send("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_fake", "type": "message", "role": "assistant", "model": m, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil,
		"usage": usageOf(inputTokens(body), 1, b),
	}})
	if !ok {
		return
	}
	if b != nil && b.CutAfterFirstEvent {
		// Abort the connection mid-body, as a dying upstream would.
		panic(http.ErrAbortHandler)
	}
	if b != nil && b.StreamError != "" {
		send("error", map[string]any{"type": "error", "error": map[string]any{"type": b.StreamError, "message": "scripted stream error"}})
		return
	}
	steps := []sse{{"content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}}}}
	for i := 0; i < n; i++ {
		steps = append(steps, sse{"content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": "chunk "}}})
	}
	steps = append(steps,
		sse{"content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}},
		sse{"message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": n * outputTokensPerChunk}}},
		sse{"message_stop", map[string]any{"type": "message_stop"}},
	)
	for _, st := range steps {
		if !send(st.event, st.data) {
			return
		}
	}
}

// sse is one server-sent event of a streamed answer.
type sse struct {
	event string
	data  map[string]any
}

// usageOf is a Messages usage object; cache writes come from b, with the
// 5-minute / 1-hour split the API reports in cache_creation.
func usageOf(in int64, out int, b *Behavior) map[string]any {
	var w5, w1 int64
	if b != nil {
		w5, w1 = b.CacheWrite5m, b.CacheWrite1h
	}
	return map[string]any{
		"input_tokens": in, "output_tokens": out,
		"cache_read_input_tokens": 0, "cache_creation_input_tokens": w5 + w1,
		"cache_creation": map[string]any{"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
	}
}
