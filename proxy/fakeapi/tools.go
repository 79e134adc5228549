package fakeapi

import (
	"encoding/json"
	"net/http"
)

// ToolInput is the input the fake gives every tool it calls.
const ToolInput = `{"query":"chunk"}`

// ToolText is the text the fake writes before calling a tool.
const ToolText = "Calling a tool. "

// ToolUseID is the id of every tool call the fake makes.
const ToolUseID = "toolu_fake_01"

type messagesRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
}

// toolCall is the tool the fake calls for this request, or "". Like a
// model asked to use tools, it calls one (the one tool_choice names, else
// the first) unless tools are off or the last turn already holds a tool's
// result, which it answers in text.
func (r *messagesRequest) toolCall() string {
	if len(r.Tools) == 0 || r.ToolChoice != nil && r.ToolChoice.Type == "none" {
		return ""
	}
	if n := len(r.Messages); n > 0 {
		var blocks []struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(r.Messages[n-1].Content, &blocks) == nil {
			for _, b := range blocks {
				if b.Type == "tool_result" {
					return ""
				}
			}
		}
	}
	if r.ToolChoice != nil && r.ToolChoice.Type == "tool" && r.ToolChoice.Name != "" {
		return r.ToolChoice.Name
	}
	return r.Tools[0].Name
}

// toolUse answers with a text block and then a tool_use block, as Claude
// does, in JSON or as events (the input arriving in two partial_json
// pieces, the way the API splits it).
func (s *Server) toolUse(w http.ResponseWriter, r *http.Request, body []byte, m, name string, stream bool) {
	usage := map[string]any{"input_tokens": inputTokens(body), "output_tokens": 20,
		"cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
	if !stream {
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "msg_fake", "type": "message", "role": "assistant", "model": m,
			"content": []map[string]any{
				{"type": "text", "text": ToolText},
				{"type": "tool_use", "id": ToolUseID, "name": name, "input": json.RawMessage(ToolInput)},
			},
			"stop_reason": "tool_use", "stop_sequence": nil, "usage": usage,
		})
		return
	}
	half := len(ToolInput) / 2
	s.sendEvents(w, r, nil, []sse{
		{"message_start", map[string]any{"type": "message_start", "message": map[string]any{
			"id": "msg_fake", "type": "message", "role": "assistant", "model": m, "content": []any{},
			"stop_reason": nil, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": inputTokens(body), "output_tokens": 1,
				"cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}}}},
		{"content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}}},
		{"content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": ToolText}}},
		{"content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}},
		{"content_block_start", map[string]any{"type": "content_block_start", "index": 1, "content_block": map[string]any{"type": "tool_use", "id": ToolUseID, "name": name, "input": map[string]any{}}}},
		{"content_block_delta", map[string]any{"type": "content_block_delta", "index": 1, "delta": map[string]any{"type": "input_json_delta", "partial_json": ToolInput[:half]}}},
		{"content_block_delta", map[string]any{"type": "content_block_delta", "index": 1, "delta": map[string]any{"type": "input_json_delta", "partial_json": ToolInput[half:]}}},
		{"content_block_stop", map[string]any{"type": "content_block_stop", "index": 1}},
		{"message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "tool_use", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 20}}},
		{"message_stop", map[string]any{"type": "message_stop"}},
	})
}
