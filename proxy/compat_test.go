package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/usage"
)

const (
	compatKey = "glm-key-0123456789abcdef-compat"
	claudeKey = "sk-ant-api03-CLAUDE-compat-0123456789"
)

// newCompat starts a second fake on loopback standing in for a compatible
// endpoint served under /api/anthropic, which lists no models.
func newCompat(t *testing.T) *fakeapi.Server {
	f := fakeapi.NewUnstarted()
	f.Compatible = &fakeapi.Compatible{Prefix: "/api/anthropic", NoModelList: true, RetryAfter: 30 * time.Second}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

// addCompat adds the compatible upstream as account "glm", mapping every
// Sonnet to glm-4.6 and sending its key as a Bearer token.
func addCompat(t *testing.T, e *env, compat *fakeapi.Server) api.UpstreamAdded {
	t.Helper()
	res, err := e.svc.AddUpstream(context.Background(), api.UpstreamAccount{
		Name: "glm", BaseURL: compat.URL + "/api/anthropic", Auth: api.AuthBearer,
		Maps: []api.ModelMap{{Pattern: "claude-sonnet-*", Model: "glm-4.6"}}, Models: []string{"glm-4.5-air"},
	}, compatKey)
	if err != nil {
		t.Fatalf("add upstream: %v", err)
	}
	return res
}

// withPrices prices requests with the list prices plus the user's row for
// glm-4.6, as a prices.json override would.
func withPrices(t *testing.T) envOption {
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(`{"models":[{"prefix":"glm-4.6","input":0.6,"output":2.2}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tab, err := usage.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ *proxy.Config, d *proxy.Deps) { d.Prices = tab }
}

const sonnetBody = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}`

func TestCompatibleUpstreamGetsMappedModelWithItsKey(t *testing.T) {
	e := newEnv(t, withPrices(t))
	compat := newCompat(t)
	res := addCompat(t, e, compat)
	if res.Check != "POST /v1/messages" || res.Unverified != "" {
		t.Errorf("key check: %+v; want POST /v1/messages (the endpoint lists no models), verified", res)
	}
	e.addKey("claude", claudeKey)

	resp := e.do("POST", "/v1/messages", sonnetBody, map[string]string{"anthropic-version": "2023-06-01"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp.Body.Close()
	got := compat.Received()
	last := got[len(got)-1]
	if last.Path != "/api/anthropic/v1/messages" {
		t.Errorf("path %q, want the base URL's /api/anthropic/v1/messages", last.Path)
	}
	if last.Header.Get("Authorization") != "Bearer "+compatKey || last.Header.Get("X-Api-Key") != "" {
		t.Errorf("credential: Authorization %q, X-Api-Key %q; want the account's Bearer key only",
			last.Header.Get("Authorization"), last.Header.Get("X-Api-Key"))
	}
	if v := last.Header.Get("Anthropic-Version"); v != "2023-06-01" {
		t.Errorf("anthropic-version %q, want the client's", v)
	}
	want := strings.Replace(sonnetBody, "claude-sonnet-4-5", "glm-4.6", 1)
	if string(last.Body) != want {
		t.Errorf("body sent\n%s\nwant the client's with only the model mapped\n%s", last.Body, want)
	}
	if n := received(e.fake)[claudeKey]; n != 0 {
		t.Errorf("Anthropic got %d requests, want 0", n)
	}
	rec := lastRecord(t, e, 1)
	glm := accountView(t, e.svc, "glm")
	if rec.AccountID != glm.ID || rec.Model != "glm-4.6" || rec.ModelAsked != "claude-sonnet-4-5" {
		t.Errorf("journaled account %q model %q asked %q; want %q, glm-4.6, claude-sonnet-4-5", rec.AccountID, rec.Model, rec.ModelAsked, glm.ID)
	}
	if rec.CostMicros <= 0 {
		t.Errorf("cost %d: want glm-4.6 priced by the user's override", rec.CostMicros)
	}
	if glm.Kind != api.KindUpstream || glm.Upstream == nil || glm.Upstream.Host != strings.TrimPrefix(compat.URL, "http://") {
		t.Errorf("view %+v", glm.Upstream)
	}

	// Opus is neither mapped nor listed: the upstream cannot serve it, and
	// Anthropic's account gets the client's model as asked.
	resp = e.do("POST", "/v1/messages", strings.Replace(sonnetBody, "claude-sonnet-4-5", "claude-opus-4-1", 1), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(compat.Models()) != 2 { // the key check, the sonnet request
		t.Fatalf("opus: status %d, upstream saw %v", resp.StatusCode, compat.Models())
	}
	rec = lastRecord(t, e, 2)
	if rec.Model != "claude-opus-4-1" || rec.ModelAsked != "" || rec.AccountID == glm.ID {
		t.Errorf("opus journaled as %q asked %q on %q", rec.Model, rec.ModelAsked, rec.AccountID)
	}
	e.grepDataDir(compatKey)
}

// A 429 from the compatible upstream benches it for its retry-after and
// fails over to Anthropic, which gets the client's own model.
func TestFailoverFromCompatibleToAnthropic(t *testing.T) {
	e := newEnv(t)
	compat := newCompat(t)
	addCompat(t, e, compat)
	e.addKey("claude", claudeKey)
	compat.Script(compatKey, fakeBehaviorStatuses(http.StatusTooManyRequests))

	resp := e.do("POST", "/v1/messages", sonnetBody, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if m := compat.Models(); len(m) != 2 || m[1] != "glm-4.6" { // the key check, then the request
		t.Errorf("upstream saw %v", m)
	}
	var sent []string
	for _, r := range e.fake.Received() {
		var v struct{ Model string }
		_ = json.Unmarshal(r.Body, &v)
		sent = append(sent, v.Model)
	}
	if len(sent) != 1 || sent[0] != "claude-sonnet-4-5" {
		t.Errorf("Anthropic got models %v, want the client's claude-sonnet-4-5", sent)
	}
	rec := lastRecord(t, e, 1)
	if rec.AccountID != accountView(t, e.svc, "claude").ID || rec.Failovers != 1 || rec.Model != "claude-sonnet-4-5" || rec.ModelAsked != "" {
		t.Errorf("journaled %+v", rec)
	}
	glm := accountView(t, e.svc, "glm")
	if glm.State != api.StateLimited || glm.LimitedUntil.Sub(e.clock.Now()) < 20*time.Second {
		t.Errorf("glm: %s until %v; want limited for the retry-after", glm.State, glm.LimitedUntil)
	}
}

// Anthropic's account limited, the request fails over to the upstream.
func TestFailoverFromAnthropicToCompatible(t *testing.T) {
	e := newEnv(t)
	compat := newCompat(t)
	e.addKey("claude", claudeKey)
	addCompat(t, e, compat)
	e.fake.Script(claudeKey, fakeBehaviorStatuses(http.StatusTooManyRequests))

	resp := e.do("POST", "/v1/messages", sonnetBody, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if m := compat.Models(); len(m) != 2 || m[1] != "glm-4.6" { // the key check, then the request
		t.Errorf("upstream saw %v, want the key check's and glm-4.6", m)
	}
	rec := lastRecord(t, e, 1)
	if rec.AccountID != accountView(t, e.svc, "glm").ID || rec.Failovers != 1 || rec.Model != "glm-4.6" || rec.ModelAsked != "claude-sonnet-4-5" {
		t.Errorf("journaled %+v", rec)
	}
}

// An upstream's own error body, in another shape, reaches the client in
// Anthropic's, with its status and its text.
func TestCompatibleErrorsInAnthropicShape(t *testing.T) {
	e := newEnv(t)
	compat := newCompat(t)
	addCompat(t, e, compat)
	compat.Script(compatKey, fakeBehaviorStatuses(http.StatusBadRequest))
	resp := e.do("POST", "/v1/messages", sonnetBody, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want the upstream's 400", resp.StatusCode)
	}
	var body struct {
		Type  string
		Error struct{ Type, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if body.Type != "error" || body.Error.Type != "invalid_request_error" || body.Error.Message != "compatible upstream: scripted status 400" {
		t.Errorf("answer %+v; want the upstream's message in Anthropic's shape", body)
	}
}

func TestAddUpstreamChecks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	compat := newCompat(t)
	maps := []api.ModelMap{{Pattern: "claude-*", Model: "glm-4.6"}}
	for _, base := range []string{"http://example.com/api", "ftp://127.0.0.1/", "https://user:pw@example.com/"} {
		if _, err := e.svc.AddUpstream(ctx, api.UpstreamAccount{Name: "x", BaseURL: base, Maps: maps}, compatKey); err == nil {
			t.Errorf("%s accepted", base)
		}
	}
	if _, err := e.svc.AddUpstream(ctx, api.UpstreamAccount{Name: "x", BaseURL: compat.URL + "/api/anthropic"}, compatKey); err == nil {
		t.Error("an upstream with no map and no model accepted")
	}

	compat.Script(compatKey, fakeBehaviorStatuses(http.StatusUnauthorized))
	_, err := e.svc.AddUpstream(ctx, api.UpstreamAccount{Name: "x", BaseURL: compat.URL + "/api/anthropic", Maps: maps}, compatKey)
	if !errors.Is(err, api.ErrKeyRefused) || strings.Contains(err.Error(), compatKey) {
		t.Errorf("refused key: %v", err)
	}
	if all, _ := e.svc.Accounts(ctx); len(all) != 0 {
		t.Errorf("a refused key was added: %+v", all)
	}

	// An endpoint that lists models is checked with GET /v1/models.
	lists := fakeapi.NewUnstarted()
	lists.Compatible = &fakeapi.Compatible{}
	lists.Start()
	defer lists.Close()
	res, err := e.svc.AddUpstream(ctx, api.UpstreamAccount{Name: "lit", BaseURL: "http://localhost:" + lists.URL[strings.LastIndex(lists.URL, ":")+1:], Models: []string{"glm-*"}}, compatKey)
	if err != nil || res.Check != "GET /v1/models" {
		t.Errorf("add: %+v, %v; want checked with GET /v1/models", res, err)
	}
	if got := lists.Received(); len(got) != 1 || got[0].Header.Get("X-Api-Key") != compatKey {
		t.Errorf("check sent %+v; want one request with x-api-key", got)
	}

	// Unreachable: added, with a warning.
	lists.Close()
	res, err = e.svc.AddUpstream(ctx, api.UpstreamAccount{Name: "down", BaseURL: lists.URL, Models: []string{"glm-4.6"}}, compatKey)
	if err != nil || res.Unverified == "" {
		t.Errorf("unreachable: %+v, %v; want added unverified", res, err)
	}
}

// The OpenAI route reaches a compatible upstream like any account: the
// translated Messages request goes to its base URL with the mapped model.
func TestChatCompletionsThroughCompatibleUpstream(t *testing.T) {
	e := newEnv(t)
	compat := newCompat(t)
	addCompat(t, e, compat)
	resp := e.do("POST", "/v1/chat/completions",
		`{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hello"}]}`,
		map[string]string{"Authorization": "Bearer " + e.key})
	defer resp.Body.Close()
	var out struct {
		Object  string
		Model   string
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Object != "chat.completion" || len(out.Choices) != 1 {
		t.Fatalf("status %d, answer %+v, %v", resp.StatusCode, out, err)
	}
	got := compat.Received()
	if last := got[len(got)-1]; last.Path != "/api/anthropic/v1/messages" || !strings.Contains(string(last.Body), `"model":"glm-4.6"`) {
		t.Errorf("upstream got %s %s", last.Path, last.Body)
	}
}

// A stream through a compatible upstream is relayed and metered like any:
// its usage is journaled under the model sent, unpriced when no price
// table row knows it.
func TestStreamThroughCompatibleUpstreamIsMetered(t *testing.T) {
	e := newEnv(t)
	compat := newCompat(t)
	addCompat(t, e, compat)
	resp := e.do("POST", "/v1/messages", strings.Replace(sonnetBody, `"max_tokens":64`, `"max_tokens":64,"stream":true`, 1), nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "event: message_stop") {
		t.Fatalf("status %d, stream %q", resp.StatusCode, b)
	}
	rec := lastRecord(t, e, 1)
	if !rec.Stream || rec.Model != "glm-4.6" || rec.ModelAsked != "claude-sonnet-4-5" || rec.OutputTokens == 0 || rec.CostMicros != 0 {
		t.Errorf("journaled %+v; want the stream's tokens under glm-4.6, unpriced", rec)
	}
	if e.svc.Priced("glm-4.6") {
		t.Error("glm-4.6 priced without a user row")
	}
}
