package proxy

import (
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

// BenchmarkRequestModel is a Claude Code-sized body with the model first,
// as clients send it.
func BenchmarkRequestModel(b *testing.B) {
	body := []byte(`{"model":"claude-sonnet-4-5","max_tokens":32000,"messages":[{"role":"user","content":"` + strings.Repeat("x", 80_000) + `"}]}`)
	for b.Loop() {
		if requestModel(body) == "" {
			b.Fatal("no model")
		}
	}
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
