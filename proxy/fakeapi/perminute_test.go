package fakeapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

func post(t *testing.T, s *Server, auth, value string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/v1/messages", strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hello there"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(auth, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func num(t *testing.T, h http.Header, name string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(h.Get(name), 10, 64)
	if err != nil {
		t.Fatalf("%s = %q: %v", name, h.Get(name), err)
	}
	return n
}

func hasUnified(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "anthropic-ratelimit-unified") {
			return true
		}
	}
	return false
}

func TestAPIKeyGetsPerMinuteHeaders(t *testing.T) {
	s := New(t)
	c := testkit.NewClock(time.Date(2026, 11, 30, 1, 2, 20, 0, time.UTC))
	s.SetClock(c.Now)
	s.Script("sk-ant-k", Behavior{RPM: 3})
	first := post(t, s, "x-api-key", "sk-ant-k")
	if first.StatusCode != 200 || hasUnified(first.Header) {
		t.Fatalf("first answer %d, unified headers %v: a key must get none", first.StatusCode, hasUnified(first.Header))
	}
	wantReset := "2026-11-30T01:03:00Z"
	for _, tier := range []string{TierRequests, TierTokens, TierInputTokens, TierOutputTokens} {
		if r := first.Header.Get("anthropic-ratelimit-" + tier + "-reset"); r != wantReset {
			t.Errorf("%s reset %q, want the next minute %s", tier, r, wantReset)
		}
	}
	if l, r := num(t, first.Header, "anthropic-ratelimit-requests-limit"), num(t, first.Header, "anthropic-ratelimit-requests-remaining"); l != 3 || r != 2 {
		t.Errorf("requests %d/%d, want 2 of 3 left", r, l)
	}
	if l := num(t, first.Header, "anthropic-ratelimit-input-tokens-limit"); l != DefaultInputTPM {
		t.Errorf("input tokens limit %d, want the default %d", l, DefaultInputTPM)
	}
	in1 := num(t, first.Header, "anthropic-ratelimit-input-tokens-remaining")
	second := post(t, s, "x-api-key", "sk-ant-k")
	if r := num(t, second.Header, "anthropic-ratelimit-requests-remaining"); r != 1 {
		t.Errorf("requests remaining after two: %d, want 1", r)
	}
	if in2 := num(t, second.Header, "anthropic-ratelimit-input-tokens-remaining"); in2 >= in1 {
		t.Errorf("input tokens remaining did not fall: %d then %d", in1, in2)
	}
	if out := num(t, second.Header, "anthropic-ratelimit-output-tokens-remaining"); out >= DefaultOutputTPM {
		t.Errorf("output tokens remaining %d: the first answer's output was not counted", out)
	}
	post(t, s, "x-api-key", "sk-ant-k")
	// The fourth request in the minute is over the limit of 3.
	c.Set(time.Date(2026, 11, 30, 1, 2, 45, 0, time.UTC))
	over := post(t, s, "x-api-key", "sk-ant-k")
	if over.StatusCode != http.StatusTooManyRequests || over.Header.Get("retry-after") != "15" ||
		over.Header.Get("anthropic-ratelimit-requests-remaining") != "0" || hasUnified(over.Header) {
		t.Fatalf("over the limit: %d retry-after %q remaining %q unified %v, want 429, 15, 0, none",
			over.StatusCode, over.Header.Get("retry-after"), over.Header.Get("anthropic-ratelimit-requests-remaining"), hasUnified(over.Header))
	}
	// The minute turns: the buckets are full again.
	c.Set(time.Date(2026, 11, 30, 1, 3, 0, 0, time.UTC))
	if again := post(t, s, "x-api-key", "sk-ant-k"); again.StatusCode != 200 || num(t, again.Header, "anthropic-ratelimit-requests-remaining") != 2 {
		t.Fatalf("next minute: %d, remaining %q", again.StatusCode, again.Header.Get("anthropic-ratelimit-requests-remaining"))
	}
}

func TestAPIKeyLimitAfterNamesTheTier(t *testing.T) {
	s := New(t)
	s.Script("sk-ant-k", Behavior{LimitAfter: 1, LimitTier: TierOutputTokens})
	post(t, s, "x-api-key", "sk-ant-k")
	resp := post(t, s, "x-api-key", "sk-ant-k")
	ra, err := strconv.Atoi(resp.Header.Get("retry-after"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || ra < 1 || ra > 60 {
		t.Fatalf("limited key: %d retry-after %q, want 429 within the minute", resp.StatusCode, resp.Header.Get("retry-after"))
	}
	if resp.Header.Get("anthropic-ratelimit-output-tokens-remaining") != "0" || resp.Header.Get("anthropic-ratelimit-requests-remaining") == "0" || hasUnified(resp.Header) {
		t.Errorf("headers %v: want output tokens at 0, requests left, no unified header", resp.Header)
	}
}

func TestOAuthAndUnifiedKeysKeepUnifiedHeaders(t *testing.T) {
	s := New(t)
	s.Script("sk-ant-u", Behavior{Unified: true})
	for _, c := range []struct{ auth, value string }{{"Authorization", "Bearer tok-oauth"}, {"x-api-key", "sk-ant-u"}} {
		resp := post(t, s, c.auth, c.value)
		if resp.Header.Get("anthropic-ratelimit-unified-5h-utilization") == "" || resp.Header.Get("anthropic-ratelimit-requests-limit") != "" {
			t.Errorf("%s: headers %v, want unified and no per-minute ones", c.value, resp.Header)
		}
	}
}
