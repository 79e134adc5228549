package proxy_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// Claude Code's requests as it sends them to a gateway behind
// ANTHROPIC_BASE_URL (Claude Code 2.1.x, with ANTHROPIC_AUTH_TOKEN set to
// a Sluice client key): the headers and body fields the gateway protocol
// reference says to forward unchanged, and the ones a gateway may consume.
const (
	ccBeta    = "claude-code-20250219,interleaved-thinking-2025-05-14,context-1m-2025-08-07,context-management-2025-06-27"
	ccVersion = "2023-06-01"
	ccSession = "0d6c1e9a-5b8e-4f0e-9a55-2f1c8e7b4a11"
	// The system prompt's attribution block comes first, then the prompt;
	// spacing and key order are the client's and must survive.
	ccBody = `{"model":"claude-opus-5-5","max_tokens":32000,` +
		`"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.332.a1b; cc_entrypoint=cli; cch=7f3e2;"},` +
		`{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],` +
		`"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],` +
		`"thinking":{"type":"enabled","budget_tokens":31999},"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},` +
		`"metadata":{"user_id":"user_abc_account_def_session_` + ccSession + `"},"tools":[],"stream":%s}`
)

func ccHeaders(key string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+key) // ANTHROPIC_AUTH_TOKEN
	h.Set("Anthropic-Version", ccVersion)
	h.Set("Anthropic-Beta", ccBeta)
	h.Set("X-Claude-Code-Session-Id", ccSession)
	h.Set("X-Client-Request-Id", "5f0c2b1e-77aa-4b3c-9d2e-0a1b2c3d4e5f")
	h.Set("User-Agent", "claude-cli/2.1.332 (external, cli)")
	h.Set("X-App", "cli")
	h.Set("Content-Type", "application/json")
	return h
}

// TestGatewayProtocolContract checks Sluice against each row of Anthropic's
// "Gateway protocol reference" for Claude Code
// (code.claude.com/docs/en/llm-gateway-protocol) that applies to the
// Anthropic Messages format.
func TestGatewayProtocolContract(t *testing.T) {
	send := func(t *testing.T, e *env, method, path, body string) (*http.Response, []byte, fakeapi.Request) {
		t.Helper()
		before := len(e.fake.Received())
		req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = ccHeaders(e.key)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := e.fake.Received()
		var up fakeapi.Request
		if len(got) > before {
			up = got[len(got)-1]
		}
		return resp, raw, up
	}
	streamBody := strings.Replace(ccBody, "%s", "true", 1)
	jsonBody := strings.Replace(ccBody, "%s", "false", 1)
	rows := []struct {
		row   string
		check func(t *testing.T, e *env)
	}{
		{"Anthropic Messages: inference at /v1/messages?beta=true (match the path, not the URL)", func(t *testing.T, e *env) {
			resp, _, up := send(t, e, "POST", "/v1/messages?beta=true", jsonBody)
			if resp.StatusCode != http.StatusOK || up.Path != "/v1/messages" || up.Query != "beta=true" {
				t.Errorf("status %d, upstream %s?%s", resp.StatusCode, up.Path, up.Query)
			}
		}},
		{"Anthropic Messages: /v1/messages/count_tokens (optional) is served", func(t *testing.T, e *env) {
			resp, raw, up := send(t, e, "POST", "/v1/messages/count_tokens?beta=true", `{"model":"claude-opus-5-5","messages":[{"role":"user","content":"hi"}]}`)
			if resp.StatusCode != http.StatusOK || up.Path != "/v1/messages/count_tokens" || !bytes.Contains(raw, []byte("input_tokens")) {
				t.Errorf("status %d, upstream %s, body %s", resp.StatusCode, up.Path, raw)
			}
		}},
		{"Forward unchanged: anthropic-beta request header", func(t *testing.T, e *env) {
			_, _, up := send(t, e, "POST", "/v1/messages?beta=true", jsonBody)
			if got := up.Header.Values("Anthropic-Beta"); len(got) != 1 || got[0] != ccBeta {
				t.Errorf("upstream anthropic-beta %q, want %q", got, ccBeta)
			}
		}},
		{"Forward unchanged: anthropic-version request header", func(t *testing.T, e *env) {
			_, _, up := send(t, e, "POST", "/v1/messages?beta=true", jsonBody)
			if got := up.Header.Values("Anthropic-Version"); len(got) != 1 || got[0] != ccVersion {
				t.Errorf("upstream anthropic-version %q", got)
			}
		}},
		{"System prompt attribution block: forwarded untouched (prompt caching depends on it)", func(t *testing.T, e *env) {
			_, _, up := send(t, e, "POST", "/v1/messages?beta=true", jsonBody)
			if !bytes.HasPrefix(up.Body, []byte(`{"model":"claude-opus-5-5","max_tokens":32000,"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.332.a1b; cc_entrypoint=cli; cch=7f3e2;"}`)) {
				t.Errorf("the attribution block changed: %.200s", up.Body)
			}
		}},
		{"Feature pass-through: body fields (thinking, context_management, cache_control ttl, metadata, tools) byte for byte", func(t *testing.T, e *env) {
			_, _, up := send(t, e, "POST", "/v1/messages?beta=true", streamBody)
			if string(up.Body) != streamBody {
				t.Errorf("the body changed on its way:\n got %s\nwant %s", up.Body, streamBody)
			}
		}},
		{"Response: request-id relayed on streams", func(t *testing.T, e *env) {
			resp, raw, _ := send(t, e, "POST", "/v1/messages?beta=true", streamBody)
			if resp.Header.Get("Request-Id") != "req_fake" || !bytes.Contains(raw, []byte("message_stop")) {
				t.Errorf("stream request-id %q", resp.Header.Get("Request-Id"))
			}
		}},
		{"Consume: X-Claude-Code-Session-Id (session affinity and attribution)", func(t *testing.T, e *env) {
			e.addKey("second", accountKey+"-2")
			var creds []string
			for range 4 {
				_, _, up := send(t, e, "POST", "/v1/messages?beta=true", jsonBody)
				creds = append(creds, up.Credential)
			}
			for _, c := range creds[1:] {
				if c != creds[0] {
					t.Errorf("one Claude Code session used several accounts: %d requests", len(creds))
					break
				}
			}
			for _, rec := range e.logsN(4) {
				if rec.Session != ccSession {
					t.Errorf("journaled session %q, want %q", rec.Session, ccSession)
				}
			}
		}},
		{"Consume, never forward: the client's credential (Authorization: Bearer, ANTHROPIC_AUTH_TOKEN)", func(t *testing.T, e *env) {
			_, _, up := send(t, e, "POST", "/v1/messages?beta=true", jsonBody)
			if up.Credential != accountKey || up.Header.Get("Authorization") != "" {
				t.Errorf("upstream credential is not the account's alone")
			}
		}},
		{"Model discovery: GET /v1/models?limit=1000 (CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1) in Anthropic's shape within 3 s", func(t *testing.T, e *env) {
			start := time.Now()
			resp, raw, up := send(t, e, "GET", "/v1/models?limit=1000", "")
			var list struct {
				Data []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"data"`
				HasMore *bool `json:"has_more"`
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &list) != nil || len(list.Data) == 0 ||
				!strings.HasPrefix(list.Data[0].ID, "claude") || list.Data[0].Type != "model" || list.HasMore == nil {
				t.Errorf("status %d body %s", resp.StatusCode, raw)
			}
			if up.Path != "/v1/models" || up.Query != "limit=1000" {
				t.Errorf("upstream %s?%s", up.Path, up.Query)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("discovery took %s; Claude Code waits 3 s", took)
			}
		}},
		{"Startup traffic: HEAD / connection probe may be refused, never forwarded", func(t *testing.T, e *env) {
			resp, _, up := send(t, e, "HEAD", "/", "")
			if resp.StatusCode >= 500 || up.Method != "" {
				t.Errorf("HEAD / answered %d, forwarded %v", resp.StatusCode, up.Method != "")
			}
		}},
	}
	for _, r := range rows {
		t.Run(r.row, func(t *testing.T) {
			e := newEnv(t)
			e.addKey("work", accountKey)
			r.check(t, e)
		})
	}
}
