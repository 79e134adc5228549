package proxy_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A hostile upstream echoes the account's key every way it can: in a
// lower-case header, base64 in a header, in the JSON body (as it is,
// lower-cased, base64, a long prefix), and in a stream split across
// chunks. The client sees none of it (issue 20).
func TestEchoedCredentialNeverReachesTheClient(t *testing.T) {
	key := accountKey
	b64 := base64.StdEncoding.EncodeToString([]byte(key))
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Api-Key")
		w.Header().Set("x-debug-echo", strings.ToLower(got))
		w.Header().Set("x-debug-b64", base64.StdEncoding.EncodeToString([]byte(got)))
		w.Header().Set("request-id", "req_1")
		if !strings.Contains(r.URL.RawQuery, "stream") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"type":"message","content":[{"type":"text","text":"key `+got+` lower `+strings.ToLower(got)+
				` b64 `+base64.StdEncoding.EncodeToString([]byte(got))+` prefix `+got[:20]+`"}],"usage":{"input_tokens":1,"output_tokens":1}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		event := `event: content_block_delta` + "\n" + `data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"` + got + `"}}` + "\n\n"
		// Cut inside the key, and again inside its prefix: each part goes
		// out in its own flushed chunk.
		cut := strings.Index(event, got)
		for _, part := range []string{event[:cut+5], event[cut+5 : cut+12], event[cut+12:], "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"} {
			io.WriteString(w, part)
			fl.Flush()
		}
	}))
	defer hostile.Close()
	e := newEnv(t, withUpstream(hostile.URL))
	e.addKey("work", key)
	body := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`
	for _, path := range []string{"/v1/messages", "/v1/messages?stream"} {
		resp := e.do("POST", path, body, nil)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var all bytes.Buffer
		resp.Header.Write(&all)
		all.Write(raw)
		if resp.StatusCode != http.StatusOK || len(raw) == 0 {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, raw)
		}
		seen := strings.ToLower(all.String())
		for what, s := range map[string]string{"the key": key, "its prefix": key[:16], "its base64": b64[:16]} {
			if strings.Contains(seen, strings.ToLower(s)) {
				t.Errorf("%s: the client saw %s:\n%s", path, what, all.String())
			}
		}
		if resp.Header.Get("Request-Id") != "req_1" {
			t.Errorf("%s: an innocent header was dropped", path)
		}
	}
}
