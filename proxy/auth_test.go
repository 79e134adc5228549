package proxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault"
)

const homeKey = "sk-ant-api03-HOMESECRET-0123456789"

// keyed returns a header map carrying key the way name says.
func keyed(how, key string) map[string]string {
	switch how {
	case "bearer":
		// As Claude Code sends it with ANTHROPIC_AUTH_TOKEN: without
		// anthropic-version, GET /v1/models is OpenAI's (openai_test.go).
		return map[string]string{"Authorization": "Bearer " + key, "Anthropic-Version": "2023-06-01"}
	case "none":
		return map[string]string{"X-Api-Key": ""}
	}
	return map[string]string{"X-Api-Key": key}
}

func TestEveryRouteRequiresAValidKey(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.addKey("home", homeKey)
	ctx := context.Background()
	_, revoked, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	_, scoped, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "home-only", Accounts: []string{"home"}})
	if err != nil {
		t.Fatal(err)
	}
	_, gone, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "gone-only", Accounts: []string{"home"}})
	if err != nil {
		t.Fatal(err)
	}
	// A well-formed key that was never issued.
	wrong := "sk-sluice-" + strings.Repeat("A", 43)

	routes := []struct {
		method, path, body string
		open               bool // answered without a key
		status             int  // with a valid key
		errType            string
	}{
		{"GET", "/health", "", true, 200, ""},
		{"POST", "/api/event_logging/batch", "{}", true, 200, ""},
		{"POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`, false, 200, ""},
		{"POST", "/v1/messages/count_tokens", `{"model":"claude-sonnet-4-5","messages":[]}`, false, 200, ""},
		{"GET", "/v1/models", "", false, 200, ""},
		{"GET", "/elsewhere", "", false, 404, "not_found_error"},
	}
	cases := []struct {
		name, how, key string
		fail           int    // status when the route needs a key; 0: the route's own
		failType, msg  string // error type and message fragment on failure
	}{
		{"no key", "none", "", 401, "authentication_error", "ANTHROPIC_AUTH_TOKEN=sk-sluice-"},
		{"wrong key", "x-api-key", wrong, 401, "authentication_error", "not valid"},
		{"anthropic key", "x-api-key", accountKey, 401, "authentication_error", "Anthropic credential"},
		{"anthropic token as bearer", "bearer", "sk-ant-oat01-xyz", 401, "authentication_error", "Anthropic credential"},
		{"revoked key", "bearer", revoked, 401, "authentication_error", "revoked"},
		{"bearer", "bearer", e.key, 0, "", ""},
		{"x-api-key", "x-api-key", e.key, 0, "", ""},
		{"scoped to another account", "x-api-key", scoped, 0, "", ""},
	}
	for _, c := range cases {
		for _, rt := range routes {
			t.Run(c.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				before := len(e.fake.Received())
				resp := e.do(rt.method, rt.path, rt.body, keyed(c.how, c.key))
				status, typ, msg := rt.status, rt.errType, ""
				if c.fail != 0 && !rt.open {
					status, typ, msg = c.fail, c.failType, c.msg
				}
				if typ == "" {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != status {
						t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
					}
				} else if got := readError(t, resp, status, typ); !strings.Contains(got.Error.Message, msg) {
					t.Fatalf("message %q does not say %q", got.Error.Message, msg)
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("no nosniff on %d", status)
				}
				// Sluice's own answers are never cached; the upstream's keep
				// their own caching headers.
				own := rt.open || typ != "" || status != 200
				if got := resp.Header.Get("Cache-Control"); own && got != "no-store" || !own && got == "no-store" {
					t.Errorf("Cache-Control %q on a response Sluice wrote=%v", got, own)
				}
				if own && resp.Header.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("no Referrer-Policy on Sluice's own %d", status)
				}
				if status == 401 && resp.Header.Get("X-Should-Retry") != "false" {
					t.Error("401 invites the SDK to retry")
				}
				recv := e.fake.Received()[before:]
				if status != 200 || rt.open {
					if len(recv) != 0 {
						t.Fatalf("refused request reached the upstream")
					}
					return
				}
				if len(recv) != 1 {
					t.Fatalf("upstream got %d requests, want 1", len(recv))
				}
				want := accountKey
				if c.key == scoped {
					want = homeKey
				}
				// The session sticks to one account; a scoped key must
				// still land on its own.
				if c.key == scoped && recv[0].Credential != want {
					t.Fatalf("scoped key served by the wrong account")
				}
				if strings.Contains(recv[0].Credential+recv[0].Header.Get("X-Api-Key")+recv[0].Header.Get("Authorization"), "sk-sluice-") {
					t.Fatal("client key forwarded upstream")
				}
			})
		}
	}

	// A key scoped only to accounts no longer in the pool is refused, not
	// answered with "every account failed".
	if err := e.svc.RemoveAccount(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	got := readError(t, e.do("POST", "/v1/messages", `{}`, keyed("x-api-key", gone)), 403, "permission_error")
	if !strings.Contains(got.Error.Message, "gone-only") {
		t.Errorf("403 does not name the key: %q", got.Error.Message)
	}
	if s := e.svc.GuardStats(); s.AuthFailures == 0 {
		t.Errorf("auth failures not counted: %+v", s)
	}
	if !strings.Contains(e.logs.String(), "client key refused") {
		t.Errorf("auth failures not logged")
	}
}

func TestKeyRateLimitThenRecovery(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	_, key, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "slow", RPM: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		resp := e.do("GET", "/v1/models", "", keyed("x-api-key", key))
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	resp := e.do("GET", "/v1/models", "", keyed("x-api-key", key))
	if ra := resp.Header.Get("Retry-After"); ra != "30" {
		t.Errorf("retry-after %q, want 30 (one token at 2/min)", ra)
	}
	readError(t, resp, 429, "rate_limit_error")
	// Other keys are not limited by this one.
	if r := e.do("GET", "/v1/models", "", nil); r.StatusCode != 200 {
		t.Fatalf("another key was limited: %d", r.StatusCode)
	}
	e.clock.Advance(30 * time.Second)
	resp = e.do("GET", "/v1/models", "", keyed("x-api-key", key))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the wait: status %d, want 200", resp.StatusCode)
	}
}

func TestKeyConcurrencyCap(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	_, key, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "one", MaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Chunks = 2
	e.fake.Pace = make(chan struct{})
	stream := e.do("POST", "/v1/messages", `{"model":"m","stream":true}`, keyed("x-api-key", key))
	defer stream.Body.Close()
	resp := e.do("POST", "/v1/messages", `{"model":"m"}`, keyed("x-api-key", key))
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no retry-after on the concurrency 429")
	}
	readError(t, resp, 429, "rate_limit_error")
	close(e.fake.Pace)
	if _, err := io.ReadAll(stream.Body); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the slot to free", func() bool {
		r := e.do("GET", "/v1/models", "", keyed("x-api-key", key))
		r.Body.Close()
		return r.StatusCode == 200
	})
}

func TestKeyDailyCostCap(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	view, key, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "capped", DailyCostMicros: 1})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`
	resp := e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	now := e.clock.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	testkit.WaitFor(t, "the cost journaled", func() bool {
		c, err := e.db.KeyCost(context.Background(), view.ID, day)
		return err == nil && c > 0
	})
	resp = e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	if ra := atoi(t, resp.Header.Get("Retry-After")); ra < 1 || ra > 24*3600 {
		t.Errorf("retry-after %d is not until midnight", ra)
	}
	if got := readError(t, resp, 429, "rate_limit_error"); !strings.Contains(got.Error.Message, "daily cost cap") {
		t.Errorf("message %q", got.Error.Message)
	}
	e.clock.Advance(24 * time.Hour)
	resp = e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("next day: %d", resp.StatusCode)
	}
}

func TestKeysOffLetsKeylessThrough(t *testing.T) {
	off := false
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.RequireKey = &off }))
	e.addKey("work", accountKey)
	resp := e.do("GET", "/v1/models", "", keyed("none", ""))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("keys off: status %d", resp.StatusCode)
	}
	if err := e.svc.SetRequireKey(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	readError(t, e.do("GET", "/v1/models", "", keyed("none", "")), 401, "authentication_error")
}

func TestFirstKeyShownOnceAndKeysPersist(t *testing.T) {
	dir := t.TempDir()
	e := newEnvAt(t, dir, fakeapi.New(t))
	view, secret, ok := e.svc.FirstKey()
	if !ok || !strings.HasPrefix(secret, "sk-sluice-") || len(secret) != 53 || !strings.HasPrefix(secret, strings.TrimSuffix(view.Hint, "…")) {
		t.Fatalf("first key %v %q", ok, view.Hint)
	}
	e.svc.DismissFirstKey()
	if _, s, ok := e.svc.FirstKey(); ok || s != "" {
		t.Fatal("first key still shown after dismissal")
	}
	e.addKey("work", accountKey)
	fake := e.fake
	e.close()
	e2 := newEnvAt(t, dir, fake)
	if _, _, ok := e2.svc.FirstKey(); ok {
		t.Fatal("a second first key was created on restart")
	}
	keys, err := e2.svc.Keys(context.Background())
	if err != nil || len(keys) != 2 || keys[0].Name != "default" {
		t.Fatalf("keys after restart: %+v %v", keys, err)
	}
	resp := e2.do("GET", "/v1/models", "", keyed("bearer", secret))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first key refused after restart: %d", resp.StatusCode)
	}
	e2.close()
	e2.grepDataDir(secret, e2.key)
}

func TestUpdateAndListKeys(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	_, key, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "ci"}); err == nil {
		t.Fatal("a second live key named ci was created")
	}
	if _, _, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "bad\x1bname"}); err == nil {
		t.Fatal("a name with control characters was accepted")
	}
	if _, _, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "x", Accounts: []string{"nope"}}); err == nil {
		t.Fatal("a key scoped to an unknown account was created")
	}
	v, err := e.svc.UpdateKey(ctx, "ci", api.KeyOptions{Name: "build", RPM: 1, Accounts: []string{"work"}})
	if err != nil || v.Name != "build" || v.RPM != 1 || len(v.Accounts) != 1 || v.Accounts[0] != "work" {
		t.Fatalf("update: %+v %v", v, err)
	}
	for i, want := range []int{200, 429} {
		resp := e.do("GET", "/v1/models", "", keyed("x-api-key", key))
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d after lowering RPM to 1: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if err := e.svc.RevokeKey(ctx, "build"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, "build"); !errors.Is(err, api.ErrKeyNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	keys, err := e.svc.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, k := range keys {
		if k.Name == "build" {
			found = k.Revoked && !k.RevokedAt.IsZero()
		}
		if strings.Contains(k.Hint, key[12:]) {
			t.Fatalf("key list shows the secret: %q", k.Hint)
		}
	}
	if !found {
		t.Fatalf("revoked key not listed as revoked: %+v", keys)
	}
	// A revoked name can be used again.
	if _, _, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "build"}); err != nil {
		t.Fatalf("reusing a revoked key's name: %v", err)
	}
}

// Requests refused by the Host guard are counted and logged at info.
func TestRefusedRequestsLeaveATrace(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/models", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if e.svc.GuardStats().Refused != 1 {
		t.Errorf("refusal not counted: %+v", e.svc.GuardStats())
	}
	if !strings.Contains(e.logs.String(), `level=INFO msg="request refused" reason="Host is not loopback"`) {
		t.Errorf("refusal not logged:\n%s", e.logs.String())
	}
}

// lockedKeyring fails every read of the client-key secret, as a locked OS
// keyring does.
type lockedKeyring struct{ proxy.Keyring }

func (k lockedKeyring) Get(id string) (vault.Credential, error) {
	if id == "sluice-client-key-hmac" {
		return vault.Credential{}, vault.ErrLocked
	}
	return k.Keyring.Get(id)
}

func (k lockedKeyring) Put(id string, c vault.Credential) error {
	if id == "sluice-client-key-hmac" {
		return vault.ErrLocked
	}
	return k.Keyring.Put(id, c)
}

// Keys cannot be verified while the keyring is locked: 503 saying so, not
// a 401 that blames the client's key, and nothing forwarded.
func TestLockedKeyringIs503(t *testing.T) {
	e := newEnvLocked(t)
	e.addKey("work", accountKey)
	got := readError(t, e.do("GET", "/v1/models", "", keyed("x-api-key", "sk-sluice-"+strings.Repeat("a", 43))), 503, "api_error")
	if !strings.Contains(got.Error.Message, "keyring") {
		t.Errorf("message %q", got.Error.Message)
	}
	if len(e.fake.Received()) != 0 {
		t.Error("forwarded without a verified key")
	}
}

func newEnvLocked(t *testing.T) *env {
	t.Helper()
	off := false
	// Built with keys off (no first key can be made), then turned on.
	e := newEnv(t, func(c *proxy.Config, d *proxy.Deps) {
		c.RequireKey = &off
		d.Keyring = lockedKeyring{d.Keyring}
	})
	if err := e.svc.SetRequireKey(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	return e
}
