package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

const (
	accountKey = "sk-ant-api03-ACCOUNTSECRET-0123456789"
)

func sdkClient(e *env, opts ...option.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(e.srv.URL),
		option.WithAPIKey(e.key),
		option.WithMaxRetries(0),
	}, opts...)...)
}

func params() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     anthropic.ModelClaudeSonnet5_5,
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello"))},
	}
}

func TestSDKNonStreamedCarriesAccountKeyOnly(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	c := sdkClient(e, option.WithHeader("anthropic-beta", "prompt-caching-2024-07-31"))
	msg, err := c.Messages.New(context.Background(), params())
	if err != nil {
		t.Fatalf("messages.new through sluice: %v", err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "chunk chunk chunk " {
		t.Fatalf("unexpected content %+v", msg.Content)
	}
	if msg.Usage.OutputTokens != 6 {
		t.Errorf("usage not relayed: %+v", msg.Usage)
	}
	got := e.fake.Received()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Header.Get("X-Api-Key") != accountKey {
		t.Errorf("upstream did not get the account's key")
	}
	if r.Header.Get("Authorization") != "" {
		t.Errorf("upstream got an Authorization header")
	}
	for k, vv := range r.Header {
		for _, v := range vv {
			if strings.Contains(v, e.key) {
				t.Errorf("client key leaked upstream in %s", k)
			}
		}
	}
	if r.Header.Get("Anthropic-Version") == "" || r.Header.Get("Anthropic-Beta") != "prompt-caching-2024-07-31" {
		t.Errorf("client headers not passed through: version=%q beta=%q", r.Header.Get("Anthropic-Version"), r.Header.Get("Anthropic-Beta"))
	}
}

func TestSDKStreamed(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Chunks = 5
	c := sdkClient(e)
	stream := c.Messages.NewStreaming(context.Background(), params())
	var msg anthropic.Message
	events := 0
	for stream.Next() {
		events++
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if events != 5+5 {
		t.Errorf("got %d events, want 10", events)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != strings.Repeat("chunk ", 5) {
		t.Fatalf("accumulated %+v", msg.Content)
	}
	if msg.Usage.OutputTokens != 10 {
		t.Errorf("output tokens %d, want 10", msg.Usage.OutputTokens)
	}
}

// A streamed event must reach the client before the upstream writes the
// next one: the fake waits on Pace, which the test only feeds after it has
// read the previous event.
func TestStreamRelaysEventByEvent(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Chunks = 3
	e.fake.Pace = make(chan struct{})
	resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[]}`, map[string]string{"x-api-key": e.key})
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	want := []string{"message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}
	for i, ev := range want {
		var got string
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "event: ") {
				got = strings.TrimPrefix(line, "event: ")
				break
			}
		}
		if got != ev {
			t.Fatalf("event %d: got %q, want %q (err %v)", i, got, ev, sc.Err())
		}
		if i < len(want)-1 {
			e.fake.Pace <- struct{}{} // only now may the upstream write the next event
		}
	}
}

func TestLargeBodyArrivesIntact(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	blob := make([]byte, 5<<20)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	text, _ := json.Marshal(map[string]any{"model": "claude-sonnet-4-5", "messages": []any{map[string]any{"role": "user", "content": blob}}})
	resp := e.do("POST", "/v1/messages/count_tokens", string(text), map[string]string{"x-api-key": e.key})
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := e.fake.Received()
	if len(got) != 1 || !bytes.Equal(got[0].Body, text) {
		t.Fatalf("upstream body differs from what the client sent (%d bytes sent)", len(text))
	}
}

func TestPassthroughPathsAndQuery(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	resp := e.do("GET", "/v1/models?limit=5", "", map[string]string{"x-api-key": e.key})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "claude-sonnet-4-5") {
		t.Fatalf("models: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("anthropic-ratelimit-requests-remaining") == "" { // a key account gets the per-minute headers
		t.Errorf("limit headers were not relayed to the client")
	}
	resp = e.do("POST", "/v1/files/abc", "{}", map[string]string{"x-api-key": e.key})
	resp.Body.Close()
	got := e.fake.Received()
	if len(got) != 2 || got[1].Path != "/v1/files/abc" {
		t.Fatalf("other /v1 paths are not forwarded: %+v", got)
	}
}

func TestHopByHopHeadersDropped(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	resp := e.do("POST", "/v1/messages", `{"model":"m","messages":[]}`, map[string]string{
		"Authorization": "Bearer " + e.key,
		"Connection":    "X-Secret-Hop",
		"X-Secret-Hop":  "1",
		"Keep-Alive":    "timeout=5",
		"X-Custom":      "kept",
	})
	resp.Body.Close()
	h := e.fake.Received()[0].Header
	if h.Get("X-Secret-Hop") != "" || h.Get("Keep-Alive") != "" {
		t.Errorf("hop-by-hop headers forwarded: %v", h)
	}
	if h.Get("X-Custom") != "kept" {
		t.Errorf("end-to-end header dropped")
	}
	if h.Get("Authorization") != "" {
		t.Errorf("client Authorization forwarded")
	}
}
