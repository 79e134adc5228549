package openai

import "testing"

func TestFromMessage(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"text", `{"id":"msg_1","model":"c","content":[{"type":"thinking","thinking":"x"},{"type":"text","text":"Hi"},{"type":"text","text":"!"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":10,"cache_creation_input_tokens":1}}`,
			`{"id":"chatcmpl-msg_1","object":"chat.completion","created":9,"model":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":4,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":10}}}`},
		{"tool call only", `{"id":"msg_2","model":"c","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":[1]}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}`,
			`{"id":"chatcmpl-msg_2","object":"chat.completion","created":9,"model":"c","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":[1]}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}}}`},
		{"stop sequence, empty content", `{"id":"msg_3","model":"c","content":[],"stop_reason":"stop_sequence","usage":{}}`,
			`{"id":"chatcmpl-msg_3","object":"chat.completion","created":9,"model":"c","choices":[{"index":0,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromMessage([]byte(tc.in), 9)
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, got, tc.want)
		})
	}
	if _, err := FromMessage([]byte(`<html>`), 9); err == nil {
		t.Error("a body that is not JSON was translated")
	}
}

func TestFinishReason(t *testing.T) {
	for in, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
		"refusal": "content_filter", "pause_turn": "stop", "": "stop", "something_new": "stop",
	} {
		if got := FinishReason(in); got != want {
			t.Errorf("FinishReason(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromModels(t *testing.T) {
	got, err := FromModels([]byte(`{"data":[{"type":"model","id":"claude-a","display_name":"A","created_at":"2025-09-29T00:00:00Z"},{"id":"claude-b"}],"has_more":false}`))
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"object":"list","data":[{"id":"claude-a","object":"model","created":1759104000,"owned_by":"anthropic"},{"id":"claude-b","object":"model","created":0,"owned_by":"anthropic"}]}`)
}

func TestFromModel(t *testing.T) {
	got, err := FromModel([]byte(`{"type":"model","id":"claude-a","display_name":"A","created_at":"2025-09-29T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"id":"claude-a","object":"model","created":1759104000,"owned_by":"anthropic"}`)
}
