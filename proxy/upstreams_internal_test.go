package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestReplaceModel(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"model":"claude-sonnet-4-5","max_tokens":1}`, `{"model":"glm-4.6","max_tokens":1}`},
		{`{ "max_tokens": 1, "model" : "claude-sonnet-4-5" ,"x":{"model":"keep"}}`, `{ "max_tokens": 1, "model" : "glm-4.6" ,"x":{"model":"keep"}}`},
		// A duplicate key cannot slip another model past the map.
		{`{"model":"claude-sonnet-4-5","model":"pricey-model"}`, `{"model":"glm-4.6","model":"glm-4.6"}`},
		{"{\"messages\":[{\"content\":\"\\\"model\\\":\\\"x\\\"\"}],\"model\":\"a\"}", "{\"messages\":[{\"content\":\"\\\"model\\\":\\\"x\\\"\"}],\"model\":\"glm-4.6\"}"},
	} {
		got, ok := replaceModel([]byte(c.in), "glm-4.6")
		if !ok || string(got) != c.want {
			t.Errorf("replaceModel(%s) = %s, %v; want %s", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{`{"model":7}`, `[]`, `{"max_tokens":1}`, `{"model":"a"`} {
		if got, ok := replaceModel([]byte(bad), "glm-4.6"); ok {
			t.Errorf("replaceModel(%s) = %s, want refused", bad, got)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	ctx := context.Background()
	for _, ok := range []string{"https://gw.example/api/anthropic", "http://127.0.0.1:4000", "http://127.9.9.9/x",
		"http://[::1]:4000/", "http://localhost:4000"} {
		if _, err := checkBaseURL(ctx, ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://gw.example", "http://10.0.0.2:4000", "http://localhost.gw.example", "ftp://127.0.0.1",
		"https://u:p@gw.example", "https://gw.example/?k=v", "gw.example/api", ""} {
		if _, err := checkBaseURL(ctx, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func shaped(t *testing.T, status int, body string) (string, map[string]any) {
	t.Helper()
	resp := &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{"Retry-After": {"7"}},
		Body: io.NopCloser(strings.NewReader(body))}
	resp = anthropicShaped(resp, "sk-secret-0123456789abcdef")
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	if resp.Header.Get("Retry-After") != "7" {
		t.Errorf("retry-after lost")
	}
	return string(b), v
}

func TestAnthropicShaped(t *testing.T) {
	anth := `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`
	if got, _ := shaped(t, 429, anth); got != anth {
		t.Errorf("an Anthropic error was rewritten: %s", got)
	}
	for _, c := range []struct {
		status          int
		body, typ, want string
	}{
		{429, `{"error":{"message":"quota exceeded","code":"1302"}}`, "rate_limit_error", "quota exceeded"},
		{500, `Internal Server Error`, "api_error", "Internal Server Error"},
		{401, `{"error":"bad key sk-secret-0123456789abcdef"}`, "authentication_error", "bad key [redacted]"},
		{400, ``, "invalid_request_error", "the upstream answered Bad Request"},
	} {
		_, v := shaped(t, c.status, c.body)
		e, _ := v["error"].(map[string]any)
		if v["type"] != "error" || e["type"] != c.typ || e["message"] != c.want {
			t.Errorf("%d %q became %v; want %s %q", c.status, c.body, v, c.typ, c.want)
		}
	}
	long, _ := shaped(t, 502, strings.Repeat("é", 5000))
	if len(long) > 3*maxUpstreamMessage {
		t.Errorf("a long body was not bounded: %d bytes", len(long))
	}
}

// replaceModel agrees with encoding/json on where the model is: the
// result decodes to the same object with only "model" changed.
func FuzzReplaceModel(f *testing.F) {
	f.Add([]byte(`{"max_tokens":1,"messages":[{"role":"user","content":"{\"model\":1}"}],"model":"claude-sonnet-4-5"}`))
	f.Add([]byte(`{"mo\u0064el":"x","model":"y"}`))
	f.Add([]byte(`{"model":1,"model":"y"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in map[string]any
		if json.Unmarshal(body, &in) != nil {
			return
		}
		out, ok := replaceModel(body, "glm-4.6")
		if _, isString := in["model"].(string); !isString {
			if ok {
				t.Fatalf("rewrote %s without a string model", body)
			}
			return
		}
		if !ok && modelKeys(body) > 1 {
			return // duplicates, one not a string: refused (encoding/json keeps the last)
		}
		var got map[string]any
		if !ok || json.Unmarshal(out, &got) != nil || got["model"] != "glm-4.6" {
			t.Fatalf("replaceModel(%s) = %s, %v", body, out, ok)
		}
		delete(in, "model")
		delete(got, "model")
		a, _ := json.Marshal(in)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Fatalf("the rest changed: %s -> %s", a, b)
		}
	})
}

// modelKeys counts the top-level "model" keys of a valid JSON object.
func modelKeys(body []byte) int {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	_, _ = dec.Token()
	n := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return n
		}
		if t == "model" {
			n++
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return n
		}
	}
	return n
}
