package proxy_test

import (
	"context"
	"math"
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

const (
	oauthToken  = "sk-ant-oat01-USAGETOKEN-one"
	oauthToken2 = "sk-ant-oat01-USAGETOKEN-two"
	usagePath   = "/api/oauth/usage"
)

// newUsageEnv is an engine whose usage URL is the fake's usage endpoint.
func newUsageEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	fake := fakeapi.New(t)
	opts = append([]envOption{withConfig(func(c *proxy.Config) { c.UsageURL = fake.URL + usagePath })}, opts...)
	return newEnvAt(t, t.TempDir(), fake, opts...)
}

// addOAuth adds a subscription account holding token, valid for an hour.
func (e *env) addOAuth(name, token string) {
	e.t.Helper()
	c := vault.Credential{
		Kind: vault.KindOAuth, AccessToken: token, RefreshToken: token + "-refresh",
		ExpiresAt: e.clock.Now().Add(time.Hour).UnixMilli(),
	}
	if _, err := e.svc.AddCredential(context.Background(), name, c); err != nil {
		e.t.Fatalf("add %s: %v", name, err)
	}
}

// usagePolls counts the usage requests the fake received per credential.
func usagePolls(f *fakeapi.Server) map[string]int {
	n := map[string]int{}
	for _, r := range f.Received() {
		if r.Path == usagePath {
			n[r.Credential]++
		}
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPollUsageShowsWindows(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("max", oauthToken)
	e.addKey("console", accountKey)
	e.fake.Script(oauthToken, fakeapi.Behavior{Utilization: 0.4})
	if err := e.svc.PollUsage(context.Background()); err != nil {
		t.Fatalf("PollUsage: %v", err)
	}
	got := e.fake.Received()
	if len(got) != 1 {
		t.Fatalf("fake received %d requests, want 1 (the oauth account's poll only)", len(got))
	}
	r := got[0]
	if r.Method != http.MethodGet || r.Path != usagePath {
		t.Errorf("poll was %s %s", r.Method, r.Path)
	}
	if r.Header.Get("Authorization") != "Bearer "+oauthToken {
		t.Errorf("poll did not carry the account's bearer token")
	}
	if !strings.Contains(r.Header.Get("Anthropic-Beta"), "oauth-2025-04-20") {
		t.Errorf("poll anthropic-beta %q, want oauth-2025-04-20", r.Header.Get("Anthropic-Beta"))
	}
	if r.Header.Get("X-Api-Key") != "" {
		t.Errorf("poll carried an x-api-key")
	}
	acct := accountView(t, e.svc, "max")
	for _, w := range []struct {
		name string
		got  api.Window
		want float64
	}{{"5h", acct.FiveHour, 0.4}, {"7d", acct.SevenDay, 0.1}, {"7d sonnet", acct.SevenDaySonnet, 0.05}} {
		if !near(w.got.Utilization, w.want) || w.got.ResetsAt.IsZero() {
			t.Errorf("%s window %+v, want utilization %v with a reset", w.name, w.got, w.want)
		}
	}
	if acct.SevenDayOpus != (api.Window{}) {
		t.Errorf("opus window %+v, want empty (null in the answer)", acct.SevenDayOpus)
	}
	if c := accountView(t, e.svc, "console"); c.FiveHour != (api.Window{}) {
		t.Errorf("api-key account got usage windows %+v", c.FiveHour)
	}
	e.grepDataDir(oauthToken)
	if strings.Contains(e.logs.String(), "USAGETOKEN") {
		t.Errorf("token in the log")
	}
}

func TestPollUsageNoOAuthAccountsNoRequests(t *testing.T) {
	e := newUsageEnv(t)
	e.addKey("console", accountKey)
	if err := e.svc.PollUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Fatalf("api-key account polled: fake received %d requests", n)
	}
}

func TestPollUsageRespectsRetryAfter(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("max", oauthToken)
	e.addOAuth("pro", oauthToken2)
	e.fake.Script(oauthToken, fakeapi.Behavior{Statuses: []int{429}, RetryAfter: 10 * time.Minute, Utilization: 0.3})
	ctx := context.Background()
	err := e.svc.PollUsage(ctx)
	if err == nil || !strings.Contains(err.Error(), `"max"`) || strings.Contains(err.Error(), `"pro"`) {
		t.Fatalf("PollUsage error %v, want one naming max's rate limit only", err)
	}
	if strings.Contains(err.Error(), "USAGETOKEN") {
		t.Fatalf("error holds a token: %v", err)
	}
	if got := usagePolls(e.fake); got[oauthToken] != 1 || got[oauthToken2] != 1 {
		t.Fatalf("polls %v, want one each", got)
	}
	for _, step := range []time.Duration{0, 5 * time.Minute, 5*time.Minute - time.Second} {
		e.clock.Advance(step)
		if err := e.svc.PollUsage(ctx); err != nil {
			t.Fatal(err)
		}
		if got := usagePolls(e.fake)[oauthToken]; got != 1 {
			t.Fatalf("after %v: max polled %d times while the endpoint said to wait 10m", step, got)
		}
	}
	if got := usagePolls(e.fake)[oauthToken2]; got != 4 {
		t.Errorf("pro polled %d times, want 4: its poll must not be held by max's 429", got)
	}
	e.clock.Advance(time.Second)
	if err := e.svc.PollUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if got := usagePolls(e.fake)[oauthToken]; got != 2 {
		t.Fatalf("max polled %d times after the retry-after, want 2", got)
	}
	if w := accountView(t, e.svc, "max").FiveHour; !near(w.Utilization, 0.3) {
		t.Errorf("max 5h window %+v after the hold", w)
	}
}

func TestPollUsageSkipsNeedsLogin(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("max", oauthToken)
	e.fake.Script(oauthToken, fakeapi.Behavior{Statuses: []int{401}})
	resp := e.do("POST", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[]}`, nil)
	resp.Body.Close()
	if a := accountView(t, e.svc, "max"); a.State != "needs-login" {
		t.Fatalf("state %q after 401, want needs-login", a.State)
	}
	if err := e.svc.PollUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := usagePolls(e.fake)[oauthToken]; got != 0 {
		t.Fatalf("an account waiting for a login was polled %d times", got)
	}
}

// While the proxy runs, each account is polled when it starts, when a new
// account appears, and then no more than once per UsageInterval on the
// Service's clock; stopping the proxy stops the polling.
func TestUsagePollerRunsWithProxy(t *testing.T) {
	port := testkit.FreePort(t)
	e := newUsageEnv(t, withConfig(func(c *proxy.Config) { c.Port = port }))
	e.addOAuth("max", oauthToken)
	e.fake.Script(oauthToken, fakeapi.Behavior{Utilization: 0.5})
	ctx := context.Background()
	if err := e.svc.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the first poll", func() bool { return usagePolls(e.fake)[oauthToken] == 1 })
	testkit.WaitFor(t, "the polled window", func() bool {
		return near(accountView(t, e.svc, "max").FiveHour.Utilization, 0.5)
	})

	e.addOAuth("pro", oauthToken2) // wakes the loop: pro is due, max is not
	testkit.WaitFor(t, "the new account's poll", func() bool { return usagePolls(e.fake)[oauthToken2] == 1 })
	e.addKey("console", accountKey) // wakes it again; still nothing due
	e.clock.Advance(e.svc.Config().UsageInterval)
	e.addKey("console2", accountKey+"2")
	testkit.WaitFor(t, "the polls after an interval", func() bool {
		got := usagePolls(e.fake)
		return got[oauthToken] == 2 && got[oauthToken2] == 2
	})
	if got := usagePolls(e.fake); got[oauthToken] != 2 || got[oauthToken2] != 2 || len(got) != 2 {
		t.Fatalf("polls %v, want two each for the oauth accounts only", got)
	}

	if err := e.svc.StopProxy(ctx); err != nil {
		t.Fatal(err)
	}
	// Only a loop started afresh polls at once: a loop left running from
	// before would wait for its next wake.
	e.clock.Advance(e.svc.Config().UsageInterval)
	if err := e.svc.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "polls after a restart", func() bool {
		got := usagePolls(e.fake)
		return got[oauthToken] == 3 && got[oauthToken2] == 3
	})
}
