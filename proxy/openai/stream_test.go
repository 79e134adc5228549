package openai

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// events splits translated output into its data payloads, checking the
// framing: every event is one "data: " line and a blank line.
func events(t testing.TB, out []byte) []string {
	t.Helper()
	var evs []string
	for _, ev := range strings.Split(string(out), "\n\n") {
		if ev == "" {
			continue
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("malformed event %q", ev)
		}
		evs = append(evs, data)
	}
	return evs
}

func translate(t *testing.T, in []byte, chunk int, includeUsage bool) []string {
	t.Helper()
	var out bytes.Buffer
	s := &Stream{Out: &out, IncludeUsage: includeUsage, Created: 1700000000}
	for len(in) > 0 {
		n := min(chunk, len(in))
		if _, err := s.Write(in[:n]); err != nil {
			t.Fatal(err)
		}
		in = in[n:]
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return events(t, out.Bytes())
}

func TestStreamTranslatesToolStream(t *testing.T) {
	in, err := os.ReadFile("testdata/tool_stream.txt")
	if err != nil {
		t.Fatal(err)
	}
	const head = `{"id":"chatcmpl-msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4-5","choices":[`
	want := []string{
		head + `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_1","type":"function","function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]},"logprobs":null,"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"logprobs":null,"finish_reason":null}]}`,
		head + `{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}`,
		head + `],"usage":{"prompt_tokens":17,"completion_tokens":9,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":5}}}`,
		"[DONE]",
	}
	// Whole, byte by byte, and with CRLF line ends: the same events.
	crlf := bytes.ReplaceAll(in, []byte("\n"), []byte("\r\n"))
	for _, run := range []struct {
		name  string
		in    []byte
		chunk int
	}{{"whole", in, len(in)}, {"bytewise", in, 1}, {"crlf", crlf, 7}} {
		t.Run(run.name, func(t *testing.T) {
			got := translate(t, run.in, run.chunk, true)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	if got := translate(t, in, len(in), false); len(got) != len(want)-1 || strings.Contains(got[len(got)-2], "usage") {
		t.Errorf("without include_usage: %q", got)
	}
}

func TestStreamEnds(t *testing.T) {
	start := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1}}}\n\n"
	cases := []struct {
		name, in string
		last     string // the last event, decoded
		n        int    // how many events
	}{
		{"upstream error event", start + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
			`{"error":{"message":"Overloaded","type":"server_error","param":null,"code":"overloaded_error"}}`, 2},
		{"cut without message_stop", start,
			`{"error":{"message":"The answer stream ended before the model finished (relayed by Sluice).","type":"server_error","param":null,"code":"api_error"}}`, 2},
		{"max_tokens", start + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"}}\n\ndata: {\"type\":\"message_stop\"}\n\n", "[DONE]", 3},
		{"garbage and a comment are skipped", ": keepalive\n\ndata: {not json\n\nretry: 5\n\n" + start + "data: {\"type\":\"message_stop\"}\n\n", "[DONE]", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(t, []byte(tc.in), 5, false)
			if len(got) != tc.n || got[len(got)-1] != tc.last {
				t.Fatalf("events %q", got)
			}
			if tc.name == "max_tokens" && !strings.Contains(got[1], `"finish_reason":"length"`) {
				t.Errorf("finish chunk %s", got[1])
			}
		})
	}
}

// An event line longer than maxLine is dropped, not buffered without end.
func TestStreamDropsOverlongLine(t *testing.T) {
	long := "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"" + strings.Repeat("x", maxLine) + "\"}}\n\n"
	got := translate(t, []byte(long+"data: {\"type\":\"message_stop\"}\n\n"), 4096, false)
	if len(got) != 3 || got[2] != "[DONE]" {
		t.Fatalf("got %d events, last %q", len(got), got[len(got)-1])
	}
}

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

func TestTranslateError(t *testing.T) {
	cases := []struct {
		name   string
		status int
		in     string
		want   string
	}{
		{"auth", 401, `{"type":"error","error":{"type":"authentication_error","message":"set a key"}}`,
			`{"error":{"message":"set a key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{"rate limit", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
			`{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{"invalid", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`,
			`{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`},
		{"too large", 413, `{"type":"error","error":{"type":"request_too_large","message":"big"}}`,
			`{"error":{"message":"big","type":"invalid_request_error","param":null,"code":"request_too_large"}}`},
		{"overloaded", 529, `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`,
			`{"error":{"message":"busy","type":"server_error","param":null,"code":"overloaded_error"}}`},
		{"already OpenAI's", 400, `{"error":{"message":"m","type":"t","param":"n","code":null}}`,
			`{"error":{"message":"m","type":"t","param":"n","code":null}}`},
		{"not JSON", 502, `<html>bad gateway</html>`,
			`{"error":{"message":"The Anthropic API answered Bad Gateway (relayed by Sluice).","type":"server_error","param":null,"code":"api_error"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertJSON(t, TranslateError(tc.status, []byte(tc.in)), tc.want)
		})
	}
}
