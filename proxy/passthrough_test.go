package proxy_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

const (
	ownKey   = "sk-ant-api03-CLIENTOWNKEY-passthrough"
	ownOAuth = "sk-ant-oat01-CLIENTOWNTOKEN-passthrough"
)

func withPassthrough() envOption {
	return withConfig(func(c *proxy.Config) { c.Passthrough = true })
}

func TestPassthroughForwardsClientCredentialUnchanged(t *testing.T) {
	for _, tc := range []struct{ name, header, value, cred string }{
		{"api key", "X-Api-Key", ownKey, ownKey},
		{"oauth token", "Authorization", "Bearer " + ownOAuth, ownOAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withPassthrough())
			e.addKey("pooled", accountKey)
			sent := map[string]string{
				"Content-Type":      "application/json",
				tc.header:           tc.value,
				"Anthropic-Version": "2023-06-01",
				"X-Custom":          "kept as is",
			}
			// Sluice's project tag is not forwarded, and an SDK's own
			// Accept-Encoding is replaced by identity, as on the pooled path.
			resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`,
				merged(sent, map[string]string{"X-Sluice-Project": "apollo", "Accept-Encoding": "gzip, deflate"}))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			got := e.fake.Received()
			if len(got) != 1 || got[0].Credential != tc.cred {
				t.Fatalf("fake got %d requests, credential %q: want the client's own", len(got), got[0].Credential)
			}
			h := got[0].Header
			if p, ae := h.Get("X-Sluice-Project"), h.Get("Accept-Encoding"); p != "" || ae != "identity" {
				t.Errorf("upstream got X-Sluice-Project %q, Accept-Encoding %q; want none and identity", p, ae)
			}
			if h.Get(tc.header) != tc.value {
				t.Errorf("%s changed to %q", tc.header, h.Get(tc.header))
			}
			// Nothing added: every header the upstream saw was sent by the
			// client (Go's client adds User-Agent, Accept-Encoding and
			// Content-Length itself).
			for k := range h {
				if _, ok := sent[k]; !ok && k != "User-Agent" && k != "Accept-Encoding" && k != "Content-Length" {
					t.Errorf("header %s=%q was added", k, h.Get(k))
				}
			}
			for k, v := range sent {
				if h.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, h.Get(k), v)
				}
			}
			var rec journal.Record
			testkit.WaitFor(t, "the record", func() bool {
				recs, _ := e.db.Records(context.Background(), journal.Query{})
				if len(recs) == 1 {
					rec = recs[0]
				}
				return len(recs) == 1
			})
			if !strings.HasPrefix(rec.AccountID, "observed-") || rec.Status != 200 {
				t.Errorf("record %+v", rec)
			}
			obs := e.svc.ObservedAccounts()
			if len(obs) != 1 || obs[0].ID != rec.AccountID || len(obs[0].Windows) == 0 {
				t.Errorf("observed %+v, want one account with the windows the answer showed", obs)
			}
			if strings.Contains(e.logs.String(), tc.cred) {
				t.Error("the client's credential reached the log")
			}
			e.close()
			e.grepDataDir(tc.cred, strings.TrimPrefix(tc.cred, "sk-ant-"))
		})
	}
}

func TestPassthroughOffUsesThePool(t *testing.T) {
	// Keys required (the default): the client's own credential is refused
	// with a message saying so, and nothing reaches the upstream.
	e := newEnv(t)
	e.addKey("pooled", accountKey)
	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`,
		map[string]string{"Content-Type": "application/json", "X-Api-Key": ownKey})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Anthropic credential") {
		t.Errorf("passthrough off, keys on: got %d %s, want 401 naming the Anthropic credential", resp.StatusCode, body)
	}
	if got := e.fake.Received(); len(got) != 0 {
		t.Errorf("passthrough off: %d requests reached the upstream, want 0", len(got))
	}

	// Keys off: the pooled account serves and the client's key is dropped.
	off := false
	e2 := newEnv(t, withConfig(func(c *proxy.Config) { c.RequireKey = &off }))
	e2.addKey("pooled", accountKey)
	resp = e2.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`,
		map[string]string{"Content-Type": "application/json", "X-Api-Key": ownKey})
	resp.Body.Close()
	if got := e2.fake.Received(); len(got) != 1 || got[0].Credential != accountKey {
		t.Errorf("passthrough is off by default: the pooled account must serve")
	}
}

func TestPassthroughNeverLetsAnAnthropicLookalikeSpendThePool(t *testing.T) {
	// Keys required, passthrough on: a request the key guard let in for
	// carrying an Anthropic credential must go out with that credential,
	// never with a pooled account's, however its header is spelled.
	for _, tc := range []struct{ name, header, value string }{
		{"lower-case bearer", "Authorization", "bearer " + ownOAuth},
		{"two spaces", "Authorization", "Bearer  " + ownOAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withPassthrough())
			e.addKey("pooled", accountKey)
			resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`,
				map[string]string{"Content-Type": "application/json", tc.header: tc.value})
			resp.Body.Close()
			for _, got := range e.fake.Received() {
				if got.Credential == accountKey {
					t.Fatalf("status %d: a request without a Sluice key was served by the pooled account", resp.StatusCode)
				}
			}
		})
	}
}

func TestPassthroughDoesNotForwardASluiceKey(t *testing.T) {
	// A request carrying both a valid Sluice key and an Anthropic credential
	// is a Sluice request: the Sluice key must never reach the upstream.
	for _, tc := range []struct {
		name   string
		header func(key string) map[string]string
	}{
		{"sluice key in x-api-key", func(k string) map[string]string {
			return map[string]string{"X-Api-Key": k, "Authorization": "Bearer " + ownOAuth}
		}},
		{"sluice key as bearer", func(k string) map[string]string {
			return map[string]string{"X-Api-Key": ownKey, "Authorization": "Bearer " + k}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withPassthrough())
			e.addKey("pooled", accountKey)
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/messages", strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.header(e.key) {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := e.fake.Received()
			if len(got) == 0 {
				t.Fatalf("status %d: nothing reached the upstream", resp.StatusCode)
			}
			for _, g := range got {
				for k, vs := range g.Header {
					for _, v := range vs {
						if strings.Contains(v, e.key) {
							t.Errorf("the Sluice client key reached the upstream in %s", k)
						}
					}
				}
			}
		})
	}
}

func TestPassthroughDoesNotKeepRefusedCredentials(t *testing.T) {
	// Any local program may send any sk-ant- string in passthrough mode: a
	// credential the upstream refuses must not join the observed accounts,
	// or a loop of made-up tokens grows them (and the work of each add)
	// without bound.
	e := newEnv(t, withPassthrough())
	e.fake.RefuseUnknown = true
	e.fake.Script(ownKey, fakeapi.Behavior{})
	for i := range 3 {
		resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`,
			map[string]string{"Content-Type": "application/json", "X-Api-Key": fmt.Sprintf("sk-ant-api03-MADEUP-%d", i)})
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("made-up credential %d: status %d, want the upstream's 401", i, resp.StatusCode)
		}
	}
	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}`,
		map[string]string{"Content-Type": "application/json", "X-Api-Key": ownKey})
	resp.Body.Close()
	obs := e.svc.ObservedAccounts()
	if len(obs) != 1 {
		t.Fatalf("observed %d accounts, want only the one the upstream accepted", len(obs))
	}
}

// merged is a copy of a with b's entries added.
func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
