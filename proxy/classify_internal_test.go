package proxy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRequestModel(t *testing.T) {
	big := `"messages":[{"role":"user","content":"` + strings.Repeat("x", 50_000) + `"}]`
	cases := []struct{ body, want string }{
		{`{"model":"claude-opus-4","max_tokens":1,` + big + `}`, "claude-opus-4"},
		{`{"max_tokens":1,` + big + `,"model":"claude-sonnet-4-5"}`, "claude-sonnet-4-5"},
		// A "model" inside the messages (a tool's input) is not the request's.
		{`{"messages":[{"role":"user","content":[{"type":"tool_result","content":{"model":"nope"}}]}],"model":"claude-haiku-4"}`, "claude-haiku-4"},
		{`{"messages":[{"model":"nope"}]}`, ""},
		{`{"model":7}`, ""},
		{`["model"]`, ""},
		{`{"model":"claude-x"`, "claude-x"}, // truncated after the model: it was read
		{`not json "model"`, ""},
		{``, ""},
	}
	for _, c := range cases {
		if got := requestModel([]byte(c.body)); got != c.want {
			t.Errorf("requestModel(%.60q) = %q, want %q", c.body, got, c.want)
		}
	}
}

// BenchmarkRequestModel reads the model of a Claude Code-sized body with
// the model first and, as the official Python SDK orders the keys, after
// the messages; by the scan and by encoding/json's tokenizer as before.
func BenchmarkRequestModel(b *testing.B) {
	msgs := `"messages":[{"role":"user","content":[{"type":"text","text":"` + strings.Repeat(`lorem \"ipsum\" {dolor} [sit] amet `, 2_200) + `"}]}]`
	for _, c := range []struct{ name, body string }{
		{"first", `{"model":"claude-sonnet-4-5","max_tokens":32000,` + msgs + `,"stream":true}`},
		{"sdk-order", `{"max_tokens":32000,` + msgs + `,"model":"claude-sonnet-4-5","stream":true}`},
		// Prose with few escapes, as the load harness sends.
		{"sdk-order-prose", `{"max_tokens":32000,"messages":[{"role":"user","content":"` +
			strings.Repeat("lorem ipsum dolor sit amet ", 3_000) + `"}],"model":"claude-sonnet-4-5","stream":true}`},
	} {
		body := []byte(c.body)
		for _, f := range []struct {
			name string
			read func([]byte) (string, bool)
		}{{"scan", func(b []byte) (string, bool) { return requestModel(b), true }}, {"decoder", modelByDecoder}} {
			// decoder is how the engine read the model before the scan.
			b.Run(f.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if m, _ := f.read(body); m != "claude-sonnet-4-5" {
						b.Fatal("no model")
					}
				}
			})
		}
	}
}

// modelByDecoder is the reference: encoding/json's tokenizer walking the
// top-level keys to the first "model" (the engine's reading until the
// scan replaced it).
func modelByDecoder(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		if key, _ := t.(string); key == "model" {
			var m *string
			if dec.Decode(&m) != nil || m == nil {
				return "", false
			}
			return *m, true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return "", false
		}
	}
	return "", false
}

// FuzzRequestModel checks the scan against encoding/json on every valid
// JSON body, and that it never panics on the rest.
func FuzzRequestModel(f *testing.F) {
	for _, s := range []string{
		`{"model":"claude-opus-4","max_tokens":1}`,
		`{"max_tokens":1,"messages":[{"role":"user","content":"a \"model\": [x] {y}"}],"model":"claude-sonnet-4-5"}`,
		`{"messages":[{"model":"nope"}],"model":"claude-haiku-4"}`,
		`{"mod\u0065l":"esc\u00e9aped","model":"second"}`,
		`{"model":null}`, `{"model":7}`, `{"a":{"b":[1,2,{"c":"]}"}]},"model":"x"}`,
		` { "stream" : true , "model" : "sp aced" } `, `{"model":"\ud800"}`, "{\"model\":\"\xff\"}",
		`["model"]`, `{"model":"claude-x"`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := topLevelString(body, "model")
		if !json.Valid(body) {
			return
		}
		want, wok := modelByDecoder(body)
		if got != want || ok != wok {
			t.Fatalf("scan = %q, %v; encoding/json = %q, %v", got, ok, want, wok)
		}
	})
}

func TestModelNameKeepsRollupsToModelIDs(t *testing.T) {
	for m, want := range map[string]bool{
		"claude-sonnet-4-5":                          true,
		"claude-3-5-haiku@20241022":                  true,
		"us.anthropic.claude-opus-4-1-20250805-v1:0": true,
		"":                                   false,
		"claude sonnet":                      false,
		"x\x00y":                             false,
		"<script>":                           false,
		strings.Repeat("claude-", 20):        false,
		"claude-sonnet-4-5\nclaude-opus-4-1": false,
	} {
		if got := modelName(m); got != want {
			t.Errorf("modelName(%q) = %v, want %v", m, got, want)
		}
	}
}
