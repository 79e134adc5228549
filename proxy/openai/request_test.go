package openai

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestToMessages(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string // the Messages request, compared as JSON
	}{
		{
			"system and developer join the system prompt; max_tokens defaults",
			`{"model":"m","messages":[{"role":"system","content":"A"},{"role":"developer","content":[{"type":"text","text":"B"}]},{"role":"user","content":"hi"}]}`,
			`{"model":"m","max_tokens":8192,"system":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
		},
		{
			"max_completion_tokens wins over max_tokens; sampling and stop",
			`{"model":"m","max_tokens":5,"max_completion_tokens":7,"temperature":1.5,"top_p":0.9,"stop":"END","stream":true,"stream_options":{"include_usage":true},"seed":3,"presence_penalty":1,"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"m","max_tokens":7,"temperature":1,"top_p":0.9,"stop_sequences":["END"],"stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
		},
		{
			"max_tokens alone; stop as a list",
			`{"model":"m","max_tokens":5,"stop":["a","b"],"temperature":0.2,"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"m","max_tokens":5,"temperature":0.2,"stop_sequences":["a","b"],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
		},
		{
			"images: data URLs inline, http URLs by reference",
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"see"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}},{"type":"image_url","image_url":{"url":"https://example.com/a.jpg","detail":"high"}}]}]}`,
			`{"model":"m","max_tokens":8192,"messages":[{"role":"user","content":[{"type":"text","text":"see"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}}]}]}`,
		},
		{
			"tools, tool_choice required, tool calls and their results in one turn",
			`{"model":"m","tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g"}}],"tool_choice":"required","parallel_tool_calls":false,
			 "messages":[{"role":"user","content":"go"},
			  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},{"id":"c2","type":"function","function":{"name":"g","arguments":""}}]},
			  {"role":"tool","tool_call_id":"c1","content":"one"},{"role":"tool","tool_call_id":"c2","content":[{"type":"text","text":"two"}]},{"role":"user","content":"and?"}]}`,
			`{"model":"m","max_tokens":8192,"tools":[{"name":"f","description":"d","input_schema":{"type":"object"}},{"name":"g","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true},
			 "messages":[{"role":"user","content":[{"type":"text","text":"go"}]},
			  {"role":"assistant","content":[{"type":"tool_use","id":"c1","name":"f","input":{"x":1}},{"type":"tool_use","id":"c2","name":"g","input":{}}]},
			  {"role":"user","content":[{"type":"tool_result","tool_use_id":"c1","content":"one"},{"type":"tool_result","tool_use_id":"c2","content":"two"},{"type":"text","text":"and?"}]}]}`,
		},
		{
			"named tool choice; broken arguments kept as a string",
			`{"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}},
			 "messages":[{"role":"user","content":"go"},{"role":"assistant","content":"ok","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}`,
			`{"model":"m","max_tokens":8192,"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"tool","name":"f"},
			 "messages":[{"role":"user","content":[{"type":"text","text":"go"}]},{"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"c1","name":"f","input":{"arguments":"{oops"}}]}]}`,
		},
		{
			"legacy functions and function_call",
			`{"model":"m","functions":[{"name":"f","parameters":{"type":"object"}}],"function_call":"auto",
			 "messages":[{"role":"user","content":"go"},{"role":"assistant","function_call":{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":"done"}]}`,
			`{"model":"m","max_tokens":8192,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"},
			 "messages":[{"role":"user","content":[{"type":"text","text":"go"}]},{"role":"assistant","content":[{"type":"tool_use","id":"call_legacy_1","name":"f","input":{}}]},
			  {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_legacy_1","content":"done"}]}]}`,
		},
		{
			"tool_choice none",
			`{"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none","n":1,"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"m","max_tokens":8192,"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"none"},"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := ToMessages([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, got, tc.want)
		})
	}
}

func TestToMessagesOptions(t *testing.T) {
	_, o, err := ToMessages([]byte(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`))
	if err != nil || o != (Options{Model: "m", Stream: true, IncludeUsage: true}) {
		t.Fatalf("options %+v, err %v", o, err)
	}
}

func TestToMessagesRefuses(t *testing.T) {
	cases := []struct {
		name, in, param string
	}{
		{"not JSON", `{`, ""},
		{"n > 1", `{"model":"m","n":3,"messages":[{"role":"user","content":"x"}]}`, "n"},
		{"logprobs", `{"model":"m","logprobs":true,"messages":[{"role":"user","content":"x"}]}`, "logprobs"},
		{"audio", `{"model":"m","modalities":["text","audio"],"messages":[{"role":"user","content":"x"}]}`, "modalities"},
		{"no messages", `{"model":"m","messages":[]}`, "messages"},
		{"bad stop", `{"model":"m","stop":3,"messages":[{"role":"user","content":"x"}]}`, "stop"},
		{"custom tool", `{"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],"messages":[{"role":"user","content":"x"}]}`, "tools[0].type"},
		{"bad tool_choice", `{"model":"m","tool_choice":"sometimes","messages":[{"role":"user","content":"x"}]}`, "tool_choice"},
		{"unknown role", `{"model":"m","messages":[{"role":"critic","content":"x"}]}`, "messages[0].role"},
		{"tool without id", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{"audio part", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, "messages[0].content[0].type"},
		{"image in a system message", `{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}`, "messages[0].content[0].type"},
		{"data URL not base64", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"file URL", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///etc/passwd"}}]}]}`, "messages[0].content[0].image_url.url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ToMessages([]byte(tc.in))
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("want a RequestError, got %v", err)
			}
			if re.Param != tc.param || re.Message == "" {
				t.Errorf("param %q message %q, want param %q", re.Param, re.Message, tc.param)
			}
		})
	}
}

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("got  %s\nwant %s", gb, wb)
	}
}
