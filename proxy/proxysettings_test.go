package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

const msgBody = `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`

// sessionRequests sends n requests of one Claude Code session and returns
// the credentials the upstream saw them under, in order.
func sessionRequests(t *testing.T, e *env, n int) []string {
	t.Helper()
	before := len(e.fake.Received())
	for range n {
		resp := e.do("POST", "/v1/messages", msgBody, map[string]string{"X-Claude-Code-Session-Id": "sess-1"})
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request: status %d", resp.StatusCode)
		}
	}
	var creds []string
	for _, r := range e.fake.Received()[before:] {
		creds = append(creds, r.Credential)
	}
	return creds
}

// A strategy changed while the proxy serves applies to the very next
// request: one session stays on one account under "session" and is spread
// over both API-key accounts once "round-robin" is chosen; the change is
// audited and announced.
func TestStrategyChangeAppliesToTheNextRequest(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", accountKey)
	e.addKey("b", accountKey+"-2")
	events, stop := e.svc.Subscribe()
	defer stop()

	if got := sessionRequests(t, e, 2); got[0] != got[1] {
		t.Fatalf("under the session strategy one session used two accounts")
	}
	ps := e.svc.ProxySettings()
	if ps.Strategy != "session" {
		t.Fatalf("default strategy %q, want session", ps.Strategy)
	}
	ps.Strategy = "round-robin"
	if err := e.svc.UpdateProxySettings(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	if got := sessionRequests(t, e, 2); got[0] == got[1] {
		t.Fatalf("after switching to round-robin both requests of the session used one account")
	}
	if got := e.svc.Config().Strategy; got != "round-robin" {
		t.Errorf("Config().Strategy = %q after the change", got)
	}

	deadline := time.After(5 * time.Second)
	for seen := false; !seen; {
		select {
		case ev := <-events:
			seen = ev.Kind == api.EventSettings
		case <-deadline:
			t.Fatal("no EventSettings after UpdateProxySettings")
		}
	}
	page, err := e.svc.Audit(context.Background(), api.AuditFilter{Kind: proxy.AuditSettingsChanged})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 || !strings.Contains(page.Entries[0].Detail, "strategy session -> round-robin") {
		t.Errorf("audit entries %+v; want the strategy change", page.Entries)
	}
}

// An origin added from the settings lets a page at that origin call the
// proxy at once; removed, the same request is refused with 403.
func TestAllowedOriginsApplyLive(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	origin := map[string]string{"Origin": "http://localhost:5173"}
	readError(t, e.do("POST", "/v1/messages", msgBody, origin), http.StatusForbidden, "permission_error")

	ps := e.svc.ProxySettings()
	ps.AllowedOrigins = []string{"HTTP://LocalHost:5173/"} // normalised to what browsers send
	if err := e.svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if got := e.svc.ProxySettings().AllowedOrigins; !slices.Equal(got, []string{"http://localhost:5173"}) {
		t.Fatalf("allowed origins %q", got)
	}
	resp := e.do("POST", "/v1/messages", msgBody, origin)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Fatalf("allowed origin: status %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	ps.AllowedOrigins = nil
	if err := e.svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	readError(t, e.do("POST", "/v1/messages", msgBody, origin), http.StatusForbidden, "permission_error")
}

// Retries changed live: with none, one 500 reaches the client; with one,
// the retry succeeds.
func TestRetriesApplyLive(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	ps := e.svc.ProxySettings()
	ps.RetryAttempts = 0
	if err := e.svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	e.fake.Script(accountKey, fakeBehaviorStatuses(500))
	resp := e.do("POST", "/v1/messages", msgBody, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("with retries 0 a 500 became %d", resp.StatusCode)
	}
	ps.RetryAttempts = 1
	if err := e.svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	e.fake.Script(accountKey, fakeBehaviorStatuses(500))
	resp = e.do("POST", "/v1/messages", msgBody, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with retries 1 a 500 then 200 became %d", resp.StatusCode)
	}
}

// Bad values are refused with a reason and change nothing.
func TestProxySettingsValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := e.svc.ProxySettings()
	for _, tc := range []struct {
		name string
		edit func(*api.ProxySettings)
		want string
	}{
		{"strategy", func(p *api.ProxySettings) { p.Strategy = "random" }, "unknown strategy"},
		{"window", func(p *api.ProxySettings) { p.SessionWindow = time.Second }, "session window"},
		{"retries", func(p *api.ProxySettings) { p.RetryAttempts = 11 }, "retries"},
		{"delay", func(p *api.ProxySettings) { p.RetryDelay = 2 * time.Minute }, "retry delay"},
		{"origin path", func(p *api.ProxySettings) { p.AllowedOrigins = []string{"http://localhost:3000/app"} }, "not an origin"},
		{"origin scheme", func(p *api.ProxySettings) { p.AllowedOrigins = []string{"localhost:3000"} }, "not an origin"},
	} {
		ps := e.svc.ProxySettings()
		tc.edit(&ps)
		err := e.svc.UpdateProxySettings(ctx, ps)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one saying %q", tc.name, err, tc.want)
		}
		if got := e.svc.ProxySettings(); !slices.Equal(got.AllowedOrigins, good.AllowedOrigins) || got.Strategy != good.Strategy ||
			got.SessionWindow != good.SessionWindow || got.RetryAttempts != good.RetryAttempts || got.RetryDelay != good.RetryDelay {
			t.Errorf("%s: a refused change changed the settings to %+v", tc.name, got)
		}
	}
}

// Saved settings survive a restart; a value fixed on the command line wins
// over the saved one, shows as fixed, and cannot be changed from the
// settings.
func TestProxySettingsAreKeptAndYieldToTheCommandLine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ps := e.svc.ProxySettings()
	ps.Strategy, ps.SessionWindow, ps.RetryAttempts, ps.RetryDelay = "least-used", 2*time.Hour, 5, 3*time.Second
	ps.AllowedOrigins = []string{"http://localhost:3000"}
	if err := e.svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	e.close()

	again := newEnvAt(t, e.dir, e.fake)
	got := again.svc.ProxySettings()
	if got.Strategy != "least-used" || got.SessionWindow != 2*time.Hour || got.RetryAttempts != 5 ||
		got.RetryDelay != 3*time.Second || !slices.Equal(got.AllowedOrigins, []string{"http://localhost:3000"}) || len(got.Fixed) != 0 {
		t.Fatalf("after a restart: %+v", got)
	}
	again.close()

	fixed := newEnvAt(t, e.dir, e.fake, withConfig(func(c *proxy.Config) {
		c.Strategy = "priority"
		c.Fixed = map[string]string{api.SettingStrategy: "SLUICE_STRATEGY"}
	}))
	got = fixed.svc.ProxySettings()
	if got.Strategy != "priority" || got.Fixed[api.SettingStrategy] != "SLUICE_STRATEGY" {
		t.Fatalf("with SLUICE_STRATEGY=priority: strategy %q, fixed %v", got.Strategy, got.Fixed)
	}
	if got.SessionWindow != 2*time.Hour {
		t.Errorf("the saved session window, not fixed, was lost: %s", got.SessionWindow)
	}
	got.Strategy = "session"
	if err := fixed.svc.UpdateProxySettings(ctx, got); err == nil || !strings.Contains(err.Error(), "SLUICE_STRATEGY") {
		t.Fatalf("changing a fixed strategy: %v, want a refusal naming SLUICE_STRATEGY", err)
	}
	got.Strategy = "priority"
	got.RetryAttempts = 2 // the free ones still change
	if err := fixed.svc.UpdateProxySettings(ctx, got); err != nil {
		t.Fatal(err)
	}
	if fixed.svc.ProxySettings().RetryAttempts != 2 {
		t.Errorf("retries did not change next to a fixed strategy")
	}
}

// Requests in flight while the strategy flips back and forth all succeed:
// the swap is safe under concurrent picks (run with -race).
func TestStrategySwapUnderLoad(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", accountKey)
	e.addKey("b", accountKey+"-2")
	done := make(chan int)
	served := make(chan struct{}, 40) // one per request answered
	for w := range 4 {
		go func() {
			bad := 0
			for i := range 10 {
				resp := e.do("POST", "/v1/messages", msgBody, map[string]string{"X-Claude-Code-Session-Id": fmt.Sprint("s", w, "-", i)})
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
				}
				served <- struct{}{}
			}
			done <- bad
		}()
	}
	ps := e.svc.ProxySettings()
	for i := range 20 {
		<-served // each change lands between requests in flight, not before them
		ps.Strategy = api.StrategyNames()[i%len(api.StrategyNames())]
		ps.SessionWindow = time.Duration(1+i%3) * time.Hour
		if err := e.svc.UpdateProxySettings(context.Background(), ps); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		if bad := <-done; bad != 0 {
			t.Errorf("%d requests failed while the strategy changed", bad)
		}
	}
}
