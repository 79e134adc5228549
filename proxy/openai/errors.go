package openai

import (
	"encoding/json"
	"net/http"
)

// Error is OpenAI's error object; clients read message, type and code.
type Error struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// ErrorBody encodes e as OpenAI's error body {"error":{...}}.
func ErrorBody(e Error) []byte {
	b, _ := json.Marshal(struct {
		Error Error `json:"error"`
	}{e})
	return append(b, '\n')
}

// NewError is an OpenAI error from Claude's error type (as the Messages API
// and Sluice name it), keeping that type as the code so nothing is lost.
func NewError(anthropicType, message string) Error {
	typ, code := "invalid_request_error", anthropicType
	switch anthropicType {
	case "authentication_error":
		code = "invalid_api_key" // what OpenAI clients look for on a 401
	case "permission_error":
		typ = "permission_error"
	case "rate_limit_error":
		typ, code = "rate_limit_error", "rate_limit_exceeded"
	case "api_error", "overloaded_error", "timeout_error":
		typ = "server_error"
	}
	var c *string
	if code != "" && code != typ {
		c = &code
	}
	return Error{Message: message, Type: typ, Code: c}
}

// TranslateError rewrites an error body in Claude's shape
// ({"type":"error","error":{"type","message"}}) into OpenAI's. A body
// already in OpenAI's shape is returned as is; anything else (an HTML page
// from a proxy on the way) becomes a message naming the status.
func TranslateError(status int, body []byte) []byte {
	var in struct {
		Type  string          `json:"type"`
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &in) == nil && len(in.Error) > 0 {
		var e struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		if in.Type != "error" {
			return body // OpenAI's shape already
		}
		if json.Unmarshal(in.Error, &e) == nil {
			return ErrorBody(NewError(e.Type, e.Message))
		}
	}
	typ := "api_error"
	if status < 500 {
		typ = "invalid_request_error"
	}
	return ErrorBody(NewError(typ, "The Anthropic API answered "+http.StatusText(status)+" (relayed by Sluice)."))
}
