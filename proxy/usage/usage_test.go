package usage

import (
	"strings"
	"testing"
)

const stream = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":120,"cache_read_input_tokens":1000,"cache_creation_input_tokens":50,"output_tokens":1}}}` + "\n\n" +
	"event: content_block_delta\n" +
	`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"usage is not here"}}` + "\n\n" +
	"event: message_delta\n" +
	`data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}` + "\n\n" +
	"event: message_stop\n" + `data: {"type":"message_stop"}` + "\n\n"

func TestMeterReadsUsageWhateverTheChunking(t *testing.T) {
	want := Counts{Model: "claude-sonnet-4-5-20250929", InputTokens: 120, OutputTokens: 42, CacheRead: 1000, CacheCreate: 50}
	for _, size := range []int{1, 2, 7, 64, len(stream)} {
		var m Meter
		for i := 0; i < len(stream); i += size {
			end := min(i+size, len(stream))
			if n, err := m.Write([]byte(stream[i:end])); n != end-i || err != nil {
				t.Fatalf("write: %d %v", n, err)
			}
		}
		got, ok := m.Counts()
		if !ok || got != want {
			t.Errorf("chunk %d: got %+v ok=%v, want %+v", size, got, ok, want)
		}
		if m.Err() != nil {
			t.Errorf("chunk %d: spurious error %+v", size, m.Err())
		}
	}
}

func TestMeterSeesErrorEventsAndCRLF(t *testing.T) {
	var m Meter
	s := strings.ReplaceAll("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n", "\n", "\r\n")
	m.Write([]byte(s))
	if e := m.Err(); e == nil || e.Type != "overloaded_error" || e.Message != "Overloaded" {
		t.Fatalf("error event: %+v", e)
	}
	if _, ok := m.Counts(); ok {
		t.Errorf("usage reported from an error-only stream")
	}
}

func TestMeterSkipsOverlongLines(t *testing.T) {
	var m Meter
	huge := `data: {"type":"content_block_delta","delta":{"text":"` + strings.Repeat("x", maxLine*2) + `"},"usage":{"output_tokens":999}}` + "\n\n"
	m.Write([]byte(huge))
	m.Write([]byte(stream))
	got, _ := m.Counts()
	if got.OutputTokens != 42 {
		t.Fatalf("after an over-long line: %+v", got)
	}
}

func TestFromJSON(t *testing.T) {
	got, ok := FromJSON([]byte(`{"type":"message","model":"claude-opus-4-1","usage":{"input_tokens":10,"output_tokens":20,"cache_read_input_tokens":3}}`))
	if !ok || got != (Counts{Model: "claude-opus-4-1", InputTokens: 10, OutputTokens: 20, CacheRead: 3}) {
		t.Fatalf("got %+v %v", got, ok)
	}
	for _, bad := range []string{``, `{`, `{"type":"error","error":{}}`, `[1,2]`} {
		if _, ok := FromJSON([]byte(bad)); ok {
			t.Errorf("usage read from %q", bad)
		}
	}
}

func TestCostMicros(t *testing.T) {
	cases := []struct {
		c    Counts
		want int64
	}{
		// 100K input at $3 + 100K output at $15 = $1.80.
		{Counts{Model: "claude-sonnet-4-5-20250929", InputTokens: 100_000, OutputTokens: 100_000}, 1_800_000},
		// 1M input is past the 200K long-prompt tier: $6 + $22.50.
		{Counts{Model: "claude-sonnet-4-5-20250929", InputTokens: 1_000_000, OutputTokens: 1_000_000}, 28_500_000},
		// Cache: 100K reads at $0.30 + 50K 5-minute writes at $3.75 (under
		// the 200K long-prompt tier).
		{Counts{Model: "claude-sonnet-4-20250514", CacheRead: 100_000, CacheCreate: 50_000}, 217_500},
		// Opus 4.5 is priced below Opus 4/4.1.
		{Counts{Model: "claude-opus-4-5-20251101", InputTokens: 1000}, 5000},
		{Counts{Model: "claude-opus-4-1-20250805", InputTokens: 1000}, 15000},
		{Counts{Model: "claude-haiku-4-5", OutputTokens: 10}, 50},
		{Counts{Model: "some-future-model", InputTokens: 1000}, 0},
	}
	for _, tc := range cases {
		if got, _ := Default().Cost(tc.c); got != tc.want {
			t.Errorf("%s: cost %d, want %d", tc.c.Model, got, tc.want)
		}
	}
}

// BenchmarkFromJSON reads the usage of a non-streamed answer of ~8 KB of
// text, as a coding agent gets back: the scan skips the content.
func BenchmarkFromJSON(b *testing.B) {
	text := strings.Repeat("Here is the change: it reads \\\"usage\\\" once.\\n", 180)
	body := []byte(`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"` + text +
		`"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":503}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if c, ok := FromJSON(body); !ok || c.OutputTokens != 503 {
			b.Fatal(c, ok)
		}
	}
}

// A long line cut by a chunk's end is completed from the next chunk, and
// its buffer is not kept for the rest of the stream: a stream may last
// minutes, its text deltas are large, and none of them carries usage.
func TestMeterLetsGoOfALongCutLine(t *testing.T) {
	var m Meter
	long := "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"" + strings.Repeat("x", 8<<10) + "\"}}\n\n"
	_, _ = m.Write([]byte(long[:len(long)/2]))
	_, _ = m.Write([]byte(long[len(long)/2:] + stream))
	if cap(m.line) > lineKeep {
		t.Errorf("line buffer of %d bytes kept after the line ended", cap(m.line))
	}
	if c, ok := m.Counts(); !ok || c.OutputTokens != 42 || !m.Done() {
		t.Errorf("counts %+v, %v, done %v: want the usage of the events after the long line", c, ok, m.Done())
	}
}

// Real answers' usage objects are read by hand, not left to json.
func TestFromJSONFastTakesRealAnswers(t *testing.T) {
	for _, body := range []string{
		`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hi \"there\""}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":503}}`,
		`{"type":"message","model":"claude-opus-4-1","usage":{"input_tokens":10,"cache_creation_input_tokens":4,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":1,"ephemeral_1h_input_tokens":3},"output_tokens":5,"service_tier":"standard","server_tool_use":{"web_search_requests":0}}}`,
	} {
		c, ok, handled := fromJSONFast([]byte(body))
		if !handled {
			t.Fatalf("left to json: %s", body)
		}
		if dc, dok := fromJSONDecode([]byte(body)); c != dc || ok != dok || !ok {
			t.Fatalf("hand-read %+v, %v; json %+v, %v", c, ok, dc, dok)
		}
	}
}

// BenchmarkFromJSONSmall is a short answer, whose cost is the usage
// object's decode rather than the scan past the content.
func BenchmarkFromJSONSmall(b *testing.B) {
	body := []byte(`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Done."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":12,"cache_read_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":12,"ephemeral_1h_input_tokens":0},"output_tokens":503,"service_tier":"standard"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if c, ok := FromJSON(body); !ok || c.OutputTokens != 503 {
			b.Fatal(c, ok)
		}
	}
}
