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

// An event made of many short data lines is bounded as a whole: past
// maxLine it is dropped (never buffered without end), and the stream goes
// on with the next event.
func TestStreamDropsOverlongMultiLineEvent(t *testing.T) {
	line := "data: " + strings.Repeat("y", 1000) + "\n"
	many := strings.Repeat(line, maxLine/1000+10) + "\n"
	s := &Stream{Out: &bytes.Buffer{}}
	if _, err := s.Write([]byte(many[:len(many)-1])); err != nil {
		t.Fatal(err)
	}
	if len(s.data) > maxLine || cap(s.data) > 2*maxLine {
		t.Fatalf("one event's data grew to %d bytes (cap %d), bound %d", len(s.data), cap(s.data), maxLine)
	}
	got := translate(t, []byte(many+"data: {\"type\":\"message_stop\"}\n\n"), 4096, false)
	if len(got) != 3 || got[2] != "[DONE]" {
		t.Fatalf("got %d events, last %q", len(got), got[len(got)-1])
	}
}
