// Package openai translates between OpenAI's Chat Completions dialect and
// Anthropic's Messages API: requests one way, answers (JSON and server-sent
// events) and errors the other. It does no I/O of its own: the engine
// forwards the translated request on the same path as a native one.
package openai

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DefaultMaxTokens is the max_tokens sent when the client set neither
// max_tokens nor max_completion_tokens: the Messages API requires one, and
// every current Claude model can write at least this many tokens.
const DefaultMaxTokens = 8192

// RequestError is a request Sluice refuses before sending anything
// upstream (OpenAI answers these with 400 invalid_request_error).
type RequestError struct {
	Param   string // the offending field, as OpenAI names it
	Message string
}

// Error returns the message, which is meant for the client.
func (e *RequestError) Error() string { return e.Message }

func badRequest(param, format string, args ...any) *RequestError {
	return &RequestError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// Options are what the answer's translation needs to know of the request.
type Options struct {
	Model        string
	Stream       bool
	IncludeUsage bool // stream_options.include_usage: a final usage chunk
}

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N                 *int            `json:"n"`
	Logprobs          bool            `json:"logprobs"`
	Modalities        []string        `json:"modalities"`
	Tools             []chatTool      `json:"tools"`
	Functions         []function      `json:"functions"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	FunctionCall      json.RawMessage `json:"function_call"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
}

type chatMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	ToolCalls    []toolCall      `json:"tool_calls"`
	ToolCallID   string          `json:"tool_call_id"`
	FunctionCall *functionCall   `json:"function_call"`
}

type toolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function functionCall `json:"function"`
}

type functionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type chatTool struct {
	Type     string   `json:"type"`
	Function function `json:"function"`
}

type function struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

type contentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Refusal  string `json:"refusal"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

// The Messages request, as much of it as the translation fills.
type messagesRequest struct {
	Model         string      `json:"model"`
	MaxTokens     int         `json:"max_tokens"`
	System        []block     `json:"system,omitempty"`
	Messages      []message   `json:"messages"`
	Temperature   *float64    `json:"temperature,omitempty"`
	TopP          *float64    `json:"top_p,omitempty"`
	StopSequences []string    `json:"stop_sequences,omitempty"`
	Stream        bool        `json:"stream,omitempty"`
	Tools         []tool      `json:"tools,omitempty"`
	ToolChoice    *toolChoice `json:"tool_choice,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *imageSource    `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
}

type imageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// ToMessages translates a Chat Completions request body into a Messages
// request body. Fields the Messages API has no use for (seed, penalties,
// response_format, user...) are dropped; fields whose meaning cannot be
// kept (n > 1, logprobs, audio output) are refused with a *RequestError
// rather than silently answered differently.
func ToMessages(body []byte) ([]byte, Options, error) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, Options{}, badRequest("", "The request body is not valid JSON for Chat Completions: %v", err)
	}
	opts := Options{Model: req.Model, Stream: req.Stream}
	if req.StreamOptions != nil {
		opts.IncludeUsage = req.StreamOptions.IncludeUsage
	}
	switch {
	case req.N != nil && *req.N > 1:
		return nil, opts, badRequest("n", "Sluice translates to Claude, which writes one choice per request: n must be 1 (send %d requests instead).", *req.N)
	case req.Logprobs:
		return nil, opts, badRequest("logprobs", "Claude does not report log probabilities: logprobs is not supported through Sluice.")
	case contains(req.Modalities, "audio"):
		return nil, opts, badRequest("modalities", "Claude does not produce audio: the audio modality is not supported through Sluice.")
	case len(req.Messages) == 0:
		return nil, opts, badRequest("messages", "messages must hold at least one message.")
	}
	out := messagesRequest{Model: req.Model, Stream: req.Stream, TopP: req.TopP, MaxTokens: DefaultMaxTokens}
	switch {
	case req.MaxCompletionTokens != nil:
		out.MaxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		out.MaxTokens = *req.MaxTokens
	}
	if t := req.Temperature; t != nil {
		// OpenAI's range is 0..2, Claude's 0..1: above 1 is as random as
		// Claude gets.
		v := min(*t, 1)
		out.Temperature = &v
	}
	stop, err := stopSequences(req.Stop)
	if err != nil {
		return nil, opts, err
	}
	out.StopSequences = stop
	if out.Tools, err = tools(req.Tools, req.Functions); err != nil {
		return nil, opts, err
	}
	if out.ToolChoice, err = toolChoiceOf(req.ToolChoice, req.FunctionCall); err != nil {
		return nil, opts, err
	}
	if req.ParallelToolCalls != nil && !*req.ParallelToolCalls && len(out.Tools) > 0 {
		if out.ToolChoice == nil {
			out.ToolChoice = &toolChoice{Type: "auto"}
		}
		if out.ToolChoice.Type != "none" {
			out.ToolChoice.DisableParallelToolUse = true
		}
	}
	if out.System, out.Messages, err = conversation(req.Messages); err != nil {
		return nil, opts, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, opts, fmt.Errorf("openai: encode messages request: %w", err)
	}
	return b, opts, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func stopSequences(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequest("stop", "stop must be a string or an array of strings.")
	}
	return many, nil
}

func tools(ts []chatTool, fns []function) ([]tool, error) {
	var out []tool
	for i, t := range ts {
		if t.Type != "function" {
			return nil, badRequest(fmt.Sprintf("tools[%d].type", i), "Only function tools can be translated for Claude, not %q.", t.Type)
		}
		fns = append(fns, t.Function)
	}
	for _, f := range fns {
		schema := f.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			// OpenAI allows a function without parameters; Claude wants
			// a schema, and an empty object is what "no parameters" means.
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out = append(out, tool{Name: f.Name, Description: f.Description, InputSchema: schema})
	}
	return out, nil
}

// toolChoiceOf maps tool_choice (or the legacy function_call) to Claude's.
func toolChoiceOf(tc, legacy json.RawMessage) (*toolChoice, error) {
	raw, param := tc, "tool_choice"
	if len(raw) == 0 || string(raw) == "null" {
		raw, param = legacy, "function_call"
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case "none":
			return &toolChoice{Type: "none"}, nil
		case "auto":
			return &toolChoice{Type: "auto"}, nil
		case "required":
			return &toolChoice{Type: "any"}, nil
		}
		return nil, badRequest(param, "%s %q is not one of none, auto, required.", param, mode)
	}
	var named struct {
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, badRequest(param, "%s must be a string or an object naming a function.", param)
	}
	name := named.Function.Name
	if name == "" {
		name = named.Name
	}
	if name == "" {
		return nil, badRequest(param, "%s names no function.", param)
	}
	return &toolChoice{Type: "tool", Name: name}, nil
}

// conversation splits OpenAI's messages into Claude's system prompt and
// turns. Consecutive messages of one role become one turn, so the tool
// results answering one assistant turn travel together, as Claude needs.
func conversation(msgs []chatMessage) ([]block, []message, error) {
	var system []block
	var turns []message
	var legacyID string // the id given to the last legacy function_call
	add := func(role string, blocks []block) {
		if len(blocks) == 0 {
			return
		}
		if n := len(turns); n > 0 && turns[n-1].Role == role {
			turns[n-1].Content = append(turns[n-1].Content, blocks...)
			return
		}
		turns = append(turns, message{Role: role, Content: blocks})
	}
	for i, m := range msgs {
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer":
			blocks, err := content(m.Content, param, false)
			if err != nil {
				return nil, nil, err
			}
			system = append(system, blocks...)
		case "user":
			blocks, err := content(m.Content, param, true)
			if err != nil {
				return nil, nil, err
			}
			add("user", blocks)
		case "assistant":
			blocks, err := content(m.Content, param, false)
			if err != nil {
				return nil, nil, err
			}
			for _, tc := range m.ToolCalls {
				blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: arguments(tc.Function.Arguments)})
			}
			if fc := m.FunctionCall; fc != nil {
				legacyID = fmt.Sprintf("call_legacy_%d", i)
				blocks = append(blocks, block{Type: "tool_use", ID: legacyID, Name: fc.Name, Input: arguments(fc.Arguments)})
			}
			add("assistant", blocks)
		case "tool", "function":
			id := m.ToolCallID
			if m.Role == "function" {
				id = legacyID
			}
			if id == "" {
				return nil, nil, badRequest(param+".tool_call_id", "A %s message must answer a tool call (tool_call_id).", m.Role)
			}
			text, err := plainText(m.Content, param)
			if err != nil {
				return nil, nil, err
			}
			add("user", []block{{Type: "tool_result", ToolUseID: id, Content: text}})
		default:
			return nil, nil, badRequest(param+".role", "Role %q cannot be translated for Claude.", m.Role)
		}
	}
	return system, turns, nil
}

// arguments turns a tool call's JSON-in-a-string into Claude's input
// object. Arguments that are not a JSON object (a model can write broken
// JSON) are kept as a string field so nothing the model wrote is lost.
func arguments(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" {
		return json.RawMessage(`{}`)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) == nil && obj != nil {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(map[string]string{"arguments": s})
	return b
}
