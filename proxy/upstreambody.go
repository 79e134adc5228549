package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-proxy/sluice/proxy/jsonscan"
)

// replaceModel returns body with the value of its top-level "model" key
// replaced by model, the rest byte for byte as the client sent it: no
// re-encoding of an 80 KB prompt. It walks the top level with the body
// scanner (bodyscan.go) that finds the model. Every top-level "model" is
// replaced: a duplicate key must not smuggle a model past the account's
// map. false when body is not a whole object with a string "model".
func replaceModel(body []byte, model string) ([]byte, bool) {
	var spans [][2]int
	bad := false
	whole := jsonscan.Object(body, func(k []byte, start, end int) bool {
		if jsonscan.KeyEquals(k, "model") {
			if body[start] != '"' {
				bad = true
				return false
			}
			spans = append(spans, [2]int{start, end})
		}
		return true
	})
	if !whole || bad || len(spans) == 0 {
		return nil, false
	}
	q, _ := json.Marshal(model)
	out := make([]byte, 0, len(body)+len(spans)*len(q))
	prev := 0
	for _, sp := range spans {
		out = append(append(out, body[prev:sp[0]]...), q...)
		prev = sp[1]
	}
	return append(out, body[prev:]...), true
}

// setBytesBody gives up body b, resendable.
func setBytesBody(up *http.Request, b []byte) {
	up.ContentLength = int64(len(b))
	up.Body = io.NopCloser(bytes.NewReader(b))
	up.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// maxUpstreamMessage bounds the text of a compatible upstream's own error
// taken into the Anthropic-shaped one.
const maxUpstreamMessage = 2 << 10

// anthropicShaped makes a compatible upstream's error answer one in
// Anthropic's shape, {"type":"error","error":{...}}, with the same status
// and headers (Retry-After included), so clients and the failover read it
// as they read the API's. A body already in that shape passes as it is;
// another's text becomes the message (its "message" field when it has
// one), bounded, with the account's key scrubbed should the upstream echo
// it. Success answers pass untouched.
func anthropicShaped(resp *http.Response, key string) *http.Response {
	if resp.StatusCode < 400 {
		return resp
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRefusal))
	_ = resp.Body.Close()
	var probe struct {
		Type  string          `json:"type"`
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &probe) == nil && probe.Type == "error" && len(probe.Error) > 0 && probe.Error[0] == '{' {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp
	}
	msg := foreignMessage(body)
	if key != "" {
		msg = strings.ReplaceAll(msg, key, "[redacted]")
	}
	if msg == "" {
		msg = "the upstream answered " + resp.Status
	}
	out, _ := json.Marshal(map[string]any{
		"type":  "error",
		"error": map[string]string{"type": errorKind(resp.StatusCode), "message": msg},
	})
	resp.Header = resp.Header.Clone()
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	resp.Header.Del("Content-Encoding")
	resp.ContentLength = int64(len(out))
	resp.Body = io.NopCloser(bytes.NewReader(out))
	return resp
}

// foreignMessage is the text of another dialect's error body: the message
// of {"error":{"message":...}} (OpenAI's), {"error":"..."} or
// {"message":...}, else the body as text; valid UTF-8, bounded.
func foreignMessage(body []byte) string {
	var v struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &v) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(v.Error, &inner) == nil && inner.Message != "":
			msg = inner.Message
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			msg = s
		default:
			msg = v.Message
		}
	}
	if msg == "" {
		msg = string(body)
	}
	msg = strings.TrimSpace(strings.ToValidUTF8(msg, "\uFFFD"))
	if len(msg) > maxUpstreamMessage {
		msg = msg[:maxUpstreamMessage]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
		msg += "…"
	}
	return msg
}

// errorKind is the Anthropic error type for status.
func errorKind(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return errAuthentication
	case status == http.StatusForbidden:
		return errPermission
	case status == http.StatusNotFound:
		return errNotFound
	case status == http.StatusRequestEntityTooLarge:
		return errTooLarge
	case status == http.StatusTooManyRequests:
		return errRateLimit
	case status == 529 || status == http.StatusServiceUnavailable:
		return errOverloaded
	case status >= 500:
		return errAPI
	}
	return errInvalidRequest
}
