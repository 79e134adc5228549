package openai

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzStream feeds arbitrary bytes, cut anywhere, to the stream
// translator: it must not panic, must frame every event as one data line,
// must write only chunks, errors and a final [DONE], nothing after the end,
// and must not depend on where the upstream's reads were cut.
func FuzzStream(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":3}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\\n\\ndata: [DONE]\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), 40, true)
	f.Add([]byte("data: {\"type\":\"content_block_start\",\"index\":5,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}\r\n\r\ndata: {\"type\":\"content_block_delta\",\"index\":5,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\r\n\r\n"), 3, false)
	f.Add([]byte("data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\ndata: {\"type\":\"message_stop\"}\n\n"), 0, true)
	f.Add([]byte("data: {\"usage\"\n\n:\x00\xff\ndata:\ndata: {}\n\n"), 7, false)
	f.Fuzz(func(t *testing.T, in []byte, cut int, usage bool) {
		run := func(parts ...[]byte) []byte {
			var out bytes.Buffer
			s := &Stream{Out: &out, IncludeUsage: usage, Created: 1}
			for _, p := range parts {
				if _, err := s.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}
		whole := run(in)
		if len(in) > 0 {
			cut = ((cut % len(in)) + len(in)) % len(in)
			if split := run(in[:cut], in[cut:]); !bytes.Equal(whole, split) {
				t.Fatalf("output depends on the read boundary at %d:\n%s\n---\n%s", cut, whole, split)
			}
		}
		evs := events(t, whole)
		if len(evs) == 0 {
			t.Fatal("no event at all: a stream must end with [DONE] or an error")
		}
		for i, ev := range evs {
			last := i == len(evs)-1
			if ev == "[DONE]" {
				if !last {
					t.Fatalf("[DONE] before the end: %q", evs)
				}
				continue
			}
			var v struct {
				Object string          `json:"object"`
				Error  json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal([]byte(ev), &v); err != nil {
				t.Fatalf("event %d is not JSON: %v: %s", i, err, ev)
			}
			switch {
			case v.Error != nil && !last:
				t.Fatalf("events after an error: %q", evs)
			case v.Error == nil && v.Object != "chat.completion.chunk":
				t.Fatalf("event %d is neither a chunk nor an error: %s", i, ev)
			case v.Error == nil && last:
				t.Fatalf("stream ends on a chunk: %q", strings.Join(evs, "\n"))
			}
		}
	})
}
