package usage

import (
	"encoding/json"
	"testing"
)

// FuzzMeter feeds arbitrary bytes to the SSE meter, whole and cut at an
// arbitrary point: it must never panic, and what it reads must not depend
// on how the stream was chunked (a relay reads whatever the network gives).
func FuzzMeter(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":10}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":5}}\n\n"), 17)
	f.Add([]byte("event: error\r\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"x\"}}\r\n\r\n"), 3)
	f.Add([]byte("data: {\"usage\"\n\n:\x00\xff"), 0)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		var whole Meter
		_, _ = whole.Write(stream)
		if len(stream) > 0 {
			cut = ((cut % len(stream)) + len(stream)) % len(stream)
		} else {
			cut = 0
		}
		var split Meter
		_, _ = split.Write(stream[:cut])
		_, _ = split.Write(stream[cut:])
		wc, wok := whole.Counts()
		sc, sok := split.Counts()
		if wc != sc || wok != sok {
			t.Fatalf("chunking changed the counts: whole %+v %v, split at %d %+v %v", wc, wok, cut, sc, sok)
		}
		if (whole.Err() == nil) != (split.Err() == nil) || (whole.Err() != nil && *whole.Err() != *split.Err()) {
			t.Fatalf("chunking changed the error: %v vs %v", whole.Err(), split.Err())
		}
		_, _ = Default().Cost(wc)
	})
}

// FuzzFromJSON reads usage from arbitrary response bodies: never a panic,
// a body that reports no usage reports zero counts, and on every valid
// JSON body the scan reads what decoding the whole body read.
func FuzzFromJSON(f *testing.F) {
	f.Add([]byte(`{"model":"claude-opus-4-1","usage":{"input_tokens":1,"output_tokens":2,"cache_read_input_tokens":3,"cache_creation_input_tokens":4}}`))
	f.Add([]byte(`<html><body>502 Bad Gateway</body></html>`))
	f.Add([]byte(`{"usage":null}`))
	f.Add([]byte(`{"content":[{"type":"text","text":"a \"usage\": {\"input_tokens\": 9}"},{"type":"tool_use","input":{"usage":{"input_tokens":7}}}],"Model":"m","USAGE":{"output_tokens":2},"usage":{"input_tokens":1}}`))
	f.Add([]byte(`{"type":7,"usage":{"input_tokens":1}}`))
	f.Add([]byte(`{"usage":{"input_tokens":"1"}}`))
	// Shapes the hand-read path takes, and ones it must leave to json.
	f.Add([]byte(`{"type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"cache_creation_input_tokens":4,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":1,"ephemeral_1h_input_tokens":3},"output_tokens":5,"service_tier":"standard","server_tool_use":{"web_search_requests":0}}}`))
	f.Add([]byte(`{"usage":{"input_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":2}},"usage":{"output_tokens":3,"cache_creation":{"ephemeral_5m_input_tokens":4}}}`))
	f.Add([]byte(`{"usage":{"input_tokens":1},"usage":null,"usage":{"Output_Tokens":2,"input_tokens":null}}`))
	f.Add([]byte(`{"usage":{"input_tokens":-0,"output_tokens":1.5,"cache_read_input_tokens":1e3}}`))
	f.Add([]byte(`{"usage":{"input_tokens":123456789012345678901,"x":[1,{"a":[true,false,null]},"s"]}}`))
	f.Add([]byte(`{"model":"m\u0041","type":null,"usage":{"input_tokKens":7,"cache_creation":null}}`))
	f.Add([]byte(`{"usage":{"input_tokens":01}}`))
	f.Add([]byte("{\"usage\":{\"x\":\"a\tb\",\"input_tokens\":1}}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, ok := FromJSON(body)
		// Valid or not, the hand-read path answers as json decoding the
		// three values does.
		if dc, dok := fromJSONDecode(body); c != dc || ok != dok {
			t.Fatalf("FromJSON = %+v, %v; json on the three values = %+v, %v", c, ok, dc, dok)
		}
		if !ok && c.Total() != 0 {
			t.Fatalf("no usage reported but counts %+v", c)
		}
		if c.CacheCreate1h < 0 || c.CacheCreate1h > max(c.CacheCreate, 0) {
			t.Fatalf("1-hour cache writes %d outside 0..%d", c.CacheCreate1h, c.CacheCreate)
		}
		_ = Default().CapCost(c)
		if !json.Valid(body) {
			return
		}
		if wc, wok := fromJSONDecoded(body); c != wc || ok != wok {
			t.Fatalf("scan = %+v, %v; decoding the whole body = %+v, %v", c, ok, wc, wok)
		}
	})
}

// fromJSONDecoded is FromJSON as it was, decoding the whole body: the
// reference the scan must agree with.
func fromJSONDecoded(body []byte) (Counts, bool) {
	var msg struct {
		Type  string    `json:"type"`
		Model string    `json:"model"`
		Usage *apiUsage `json:"usage"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.Usage == nil {
		return Counts{}, false
	}
	c := Counts{Model: msg.Model}
	c.merge(msg.Usage)
	return c, true
}
