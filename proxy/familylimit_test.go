package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// askFull is ask that also returns the answer's headers.
func (e *env) askFull(model string) (int, http.Header, string) {
	e.t.Helper()
	resp := e.do(http.MethodPost, "/v1/messages",
		`{"model":"`+model+`","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Content-Type": "application/json", "X-Claude-Code-Session-Id": "s"})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// Four Opus requests against an account capped on a model-scoped window
// cost one 429 upstream, not four, and each client gets a 429 with a
// retry-after that names the family and the account: never 503.
func TestModelScopedCapCostsOneUpstream429(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("work", oauthToken)
	e.fake.Script(oauthToken, fakeapi.Behavior{ScopedWindow: "7d_oi", ScopedModel: "opus", ScopedUtilization: 1})
	for i := range 4 {
		code, h, body := e.askFull("claude-opus-5-5")
		if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Fatalf("request %d: %d retry-after %q %s", i, code, h.Get("Retry-After"), body)
		}
		for _, want := range []string{"Opus", "claude-opus-5-5", "work until", "frees up at"} {
			if !strings.Contains(body, want) {
				t.Errorf("request %d: message lacks %q: %s", i, want, body)
			}
		}
	}
	if n := modelRequests(e.fake)[oauthToken]; n != 1 {
		t.Errorf("the fake got %d requests, want 1 (the account is benched for Opus after the first)", n)
	}
	if code, _ := e.ask("claude-sonnet-5", "s2"); code != http.StatusOK {
		t.Errorf("sonnet on the same account: %d, want 200", code)
	}
}

// A 429 credits_required benches that model family only.
func TestCreditsRequiredBenchesTheFamilyOnly(t *testing.T) {
	for _, code := range []string{fakeapi.CodeCreditsRequired, fakeapi.CodeOrgLevelDisabled} {
		e := newUsageEnv(t, withStrategy("priority"))
		e.addOAuth("a", oauthToken)
		e.addOAuth("b", oauthToken2)
		if err := e.svc.SetPriority(context.Background(), "b", 5); err != nil {
			t.Fatal(err)
		}
		e.fake.Script(oauthToken, fakeapi.Behavior{RefuseFamily: "fable", RefuseCode: code})
		for range 2 {
			if c, body := e.ask("claude-fable-5-1", "s"); c != http.StatusOK {
				t.Fatalf("%s: fable request %d %s", code, c, body)
			}
		}
		if n := modelRequests(e.fake)[oauthToken]; n != 1 {
			t.Errorf("%s: a got %d fable requests, want 1", code, n)
		}
		if c, _ := e.ask("claude-opus-5", "s"); c != http.StatusOK || e.fake.Served()[oauthToken] != 1 {
			t.Errorf("%s: opus not served by a: %d %v", code, c, e.fake.Served())
		}
	}
}

// A 429 with no limit header and x-should-retry: true is retried on the
// same account and does not bench it.
func TestTransient429RetriedOnSameAccount(t *testing.T) {
	e := newUsageEnv(t, withStrategy("priority"))
	e.addOAuth("a", oauthToken)
	e.addOAuth("b", oauthToken2)
	if err := e.svc.SetPriority(context.Background(), "b", 5); err != nil {
		t.Fatal(err)
	}
	e.fake.Script(oauthToken, fakeapi.Behavior{Statuses: []int{429}, BareRateLimit: true})
	if c, body := e.ask("claude-opus-5", "s"); c != http.StatusOK {
		t.Fatalf("%d %s", c, body)
	}
	got := modelRequests(e.fake)
	if got[oauthToken] != 2 || got[oauthToken2] != 0 {
		t.Errorf("requests %v, want two to a (the retry) and none to b", got)
	}
	if v := accountView(t, e.svc, "a"); v.State != "ok" {
		t.Errorf("a is %s after a transient 429", v.State)
	}
}

// The 1-hour cache writes of the usage split are priced at 2x input.
func TestOneHourCacheWritesPricedAtTwiceInput(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("a", oauthToken)
	e.fake.Script(oauthToken, fakeapi.Behavior{CacheWrite5m: 1000, CacheWrite1h: 1000})
	if c, _ := e.ask("claude-opus-5", "s"); c != http.StatusOK {
		t.Fatal(c)
	}
	es := e.logsN(1)
	// $5 input, $6.25 5m writes, $10 1h writes, $25 output per MTok.
	want := float64(es[0].InputTokens)*5 + 1000*6.25 + 1000*10 + float64(es[0].OutputTokens)*25
	if es[0].CacheCreate != 2000 || es[0].CostMicros != int64(want+0.5) {
		t.Errorf("journaled cache writes %d cost %d, want 2000 and %v", es[0].CacheCreate, es[0].CostMicros, want)
	}
}

// A model without a price is journaled as unpriced (no cost, never $0
// silently) and counted against a key's daily cost cap at its family's
// highest known price, so it cannot slip past the cap.
func TestUnpricedModelCountsAgainstCostCap(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	_, key, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "capped", DailyCostMicros: 100})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-opus-9","max_tokens":5,"messages":[]}`
	resp := e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	es := e.logsN(1)
	if es[0].CostMicros != 0 || !es[0].Unpriced {
		t.Errorf("journaled cost %d unpriced %v, want 0 and unpriced", es[0].CostMicros, es[0].Unpriced)
	}
	resp = e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	if got := readError(t, resp, 429, "rate_limit_error"); !strings.Contains(got.Error.Message, "daily cost cap") {
		t.Errorf("message %q", got.Error.Message)
	}
}

// The cap charge of an unpriced model outlives a restart the same day: the
// journal keeps it in key_spend though the record's cost stays unknown.
func TestUnpricedCapChargeSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnvAt(t, dir, fakeapi.New(t))
	e.addKey("work", accountKey)
	_, key, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "capped", DailyCostMicros: 100})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-opus-9","max_tokens":5,"messages":[]}`
	resp := e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	e.logsN(1) // committed
	fake := e.fake
	e.close()
	e2 := newEnvAt(t, dir, fake)
	resp = e2.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	if got := readError(t, resp, 429, "rate_limit_error"); !strings.Contains(got.Error.Message, "daily cost cap") {
		t.Errorf("after restart: message %q", got.Error.Message)
	}
}
