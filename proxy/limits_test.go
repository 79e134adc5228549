package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// ask sends one Messages request for model in session and returns the
// status and body.
func (e *env) ask(model, session string) (int, string) {
	e.t.Helper()
	resp := e.do(http.MethodPost, "/v1/messages",
		`{"model":"`+model+`","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Content-Type": "application/json", "X-Claude-Code-Session-Id": session})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// modelRequests counts the /v1 requests the fake got per credential.
func modelRequests(f *fakeapi.Server) map[string]int {
	n := map[string]int{}
	for _, r := range f.Received() {
		if strings.HasPrefix(r.Path, "/v1/") {
			n[r.Credential]++
		}
	}
	return n
}

func findWindow(v api.AccountView, name string) (api.Window, bool) {
	for _, w := range v.Windows {
		if w.Name == name {
			return w, true
		}
	}
	return api.Window{}, false
}

func TestLimitsOnlyUsageFillsEveryWindow(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("max", oauthToken)
	e.fake.Script(oauthToken, fakeapi.Behavior{LimitsOnly: true, Utilization: 0.3, ScopedModel: "fable", ScopedUtilization: 0.43})
	if err := e.svc.PollUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := accountView(t, e.svc, "max")
	for name, want := range map[string]float64{"5h": 0.3, "7d": 0.075, "7d_fable": 0.43} {
		if w, ok := findWindow(v, name); !ok || !near(w.Utilization, want) || w.ResetsAt.IsZero() {
			t.Errorf("window %s = %+v (found %v), want utilization %v with a reset", name, w, ok, want)
		}
	}
	if w, _ := findWindow(v, "7d_fable"); w.Scope != "fable" || w.Kind != "weekly" {
		t.Errorf("fable window not scoped: %+v", w)
	}
	if !near(v.FiveHour.Utilization, 0.3) || !near(v.SevenDay.Utilization, 0.075) {
		t.Errorf("classic fields not filled: %+v %+v", v.FiveHour, v.SevenDay)
	}
}

func TestWeeklyOnlyPlanShowsNoFiveHour(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("weekly", oauthToken)
	e.fake.Script(oauthToken, fakeapi.Behavior{LimitsOnly: true, NoFiveHour: true, Utilization: 0.4})
	if err := e.svc.PollUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.ask("claude-sonnet-4-5", "s1"); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	v := accountView(t, e.svc, "weekly")
	if _, ok := findWindow(v, "5h"); ok || v.FiveHour != (api.Window{}) {
		t.Errorf("a 5-hour window appeared on a weekly-only plan: %+v", v.Windows)
	}
	if _, ok := findWindow(v, "7d"); !ok {
		t.Errorf("no weekly window: %+v", v.Windows)
	}
}

func TestScopedRejectionBenchesOnlyThatModel(t *testing.T) {
	e := newUsageEnv(t, withStrategy("priority"))
	e.addOAuth("a", oauthToken)
	e.addOAuth("b", oauthToken2)
	if err := e.svc.SetPriority(context.Background(), "b", 5); err != nil {
		t.Fatal(err)
	}
	e.fake.Script(oauthToken, fakeapi.Behavior{ScopedWindow: "7d_oi", ScopedModel: "fable", ScopedUtilization: 1})
	if code, body := e.ask("claude-fable-5", "s1"); code != http.StatusOK {
		t.Fatalf("fable request: %d %s", code, body)
	}
	if got := e.fake.Served(); got[oauthToken] != 0 || got[oauthToken2] != 1 {
		t.Fatalf("served %v, want the fable request failed over to b", got)
	}
	if code, _ := e.ask("claude-sonnet-4-5", "s2"); code != http.StatusOK {
		t.Fatal("sonnet request failed")
	}
	if got := e.fake.Served(); got[oauthToken] != 1 {
		t.Errorf("served %v: a must still serve other models", got)
	}
	before := modelRequests(e.fake)[oauthToken]
	if code, _ := e.ask("claude-fable-5", "s3"); code != http.StatusOK {
		t.Fatal("second fable request failed")
	}
	if got := modelRequests(e.fake)[oauthToken]; got != before {
		t.Errorf("a got %d more requests: benched for fable, it must not be tried", got-before)
	}
	v := accountView(t, e.svc, "a")
	if v.State != "ok" || len(v.ScopedLimits) != 1 || v.ScopedLimits[0].Family != "fable" {
		t.Errorf("view %+v", v)
	}
}

func TestEarlyResetLiftsBenchWithinOnePoll(t *testing.T) {
	port := testkit.FreePort(t)
	e := newUsageEnv(t, withConfig(func(c *proxy.Config) {
		c.Port, c.BenchedPollInterval = port, 20*time.Millisecond
	}))
	e.addOAuth("max", oauthToken)
	reset := e.clock.Now().Add(3 * time.Hour)
	e.fake.Script(oauthToken, fakeapi.Behavior{LimitAfter: 1, ResetAt: reset, Utilization: 0.9})
	if err := e.svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.svc.StopProxy(context.Background()) })
	testkit.WaitFor(t, "the first poll", func() bool { return usagePolls(e.fake)[oauthToken] == 1 })
	if code, _ := e.ask("claude-sonnet-4-5", "s"); code != http.StatusOK {
		t.Fatal("first request failed")
	}
	if code, _ := e.ask("claude-sonnet-4-5", "s"); code != http.StatusTooManyRequests {
		t.Fatalf("second request %d, want 429 (limit reached)", code)
	}
	if v := accountView(t, e.svc, "max"); v.State != "limited" {
		t.Fatalf("state %s, want limited", v.State)
	}
	// A banked reset: the usage endpoint shows the window fresh, resetting
	// earlier than the bench. The regular poll is minutes away; the benched
	// cadence polls after one BenchedPollInterval on the service's clock.
	e.fake.Script(oauthToken, fakeapi.Behavior{Utilization: 0.01, ResetAt: e.clock.Now().Add(5 * time.Hour)})
	models := modelRequests(e.fake)[oauthToken]
	if v := accountView(t, e.svc, "max"); v.State != "limited" || usagePolls(e.fake)[oauthToken] != 1 {
		t.Fatalf("polled before the interval: %s, %d polls", v.State, usagePolls(e.fake)[oauthToken])
	}
	e.clock.Advance(20 * time.Millisecond)
	testkit.WaitFor(t, "the bench lifted by a poll", func() bool { return accountView(t, e.svc, "max").State == "ok" })
	if usagePolls(e.fake)[oauthToken] != 2 {
		t.Errorf("%d polls, want 2", usagePolls(e.fake)[oauthToken])
	}
	if got := modelRequests(e.fake)[oauthToken]; got != models {
		t.Errorf("%d model requests reached the fake while benched; the poll must spend none", got-models)
	}
}

// The body-only signals, with the plan guard on (the default for
// subscription accounts): fail over; with none left, a 429 that says so.
func TestBodySignalsWithGuard(t *testing.T) {
	for _, be := range []fakeapi.BodyError{
		{Status: 400, Message: fakeapi.MsgThirdPartyExtraUsage},
		{Status: 429, Message: fakeapi.MsgLongContextExtra},
		{Status: 400, Message: fakeapi.MsgOutOfExtraUsage},
	} {
		t.Run(be.Message[:20], func(t *testing.T) {
			e := newUsageEnv(t, withStrategy("priority"))
			e.addOAuth("a", oauthToken)
			e.addOAuth("b", oauthToken2)
			if err := e.svc.SetPriority(context.Background(), "b", 5); err != nil {
				t.Fatal(err)
			}
			e.fake.Script(oauthToken, fakeapi.Behavior{BodyError: &be})
			if code, body := e.ask("claude-sonnet-4-5", "s"); code != http.StatusOK {
				t.Fatalf("%d %s, want failover to b", code, body)
			}
			if got := modelRequests(e.fake); got[oauthToken] != 1 || e.fake.Served()[oauthToken2] != 1 {
				t.Errorf("requests %v served %v", got, e.fake.Served())
			}
			e.fake.Script(oauthToken2, fakeapi.Behavior{BodyError: &be})
			code, body := e.ask("claude-sonnet-4-5", "s2")
			if code != http.StatusTooManyRequests || !strings.Contains(body, "plan guard") || !strings.Contains(body, `"type":"error"`) {
				t.Errorf("none left: %d %s, want a 429 naming the plan guard", code, body)
			}
			testkit.WaitFor(t, "the guard's record", func() bool {
				recs, _ := e.db.Records(context.Background(), journal.Query{})
				for _, r := range recs {
					if strings.HasPrefix(string(r.Error), "plan guard") && r.Lane != "" && r.Status == 429 {
						return true
					}
				}
				return false
			})
		})
	}
}

func TestBodySignalsPassWithoutGuard(t *testing.T) {
	for _, be := range []fakeapi.BodyError{
		{Status: 400, Message: fakeapi.MsgThirdPartyExtraUsage},
		{Status: 429, Message: fakeapi.MsgLongContextExtra},
		{Status: 400, Message: fakeapi.MsgOutOfExtraUsage},
	} {
		t.Run(be.Message[:20], func(t *testing.T) {
			e := newUsageEnv(t, withStrategy("priority"))
			e.addOAuth("a", oauthToken)
			e.addOAuth("b", oauthToken2)
			ctx := context.Background()
			if err := e.svc.SetPriority(ctx, "b", 5); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.SetPlanGuard(ctx, "a", false); err != nil {
				t.Fatal(err)
			}
			e.fake.Script(oauthToken, fakeapi.Behavior{BodyError: &be})
			code, body := e.ask("claude-sonnet-4-5", "s")
			if code != be.Status || !strings.Contains(body, be.Message[:20]) {
				t.Errorf("%d %s, want the upstream's own %d", code, body, be.Status)
			}
			if got := modelRequests(e.fake); got[oauthToken2] != 0 {
				t.Errorf("requests %v: without the guard nothing fails over", got)
			}
		})
	}
}

func TestSpendLimitedKeyBenched(t *testing.T) {
	for _, be := range []fakeapi.BodyError{
		{Status: 400, Message: fakeapi.MsgWorkspaceSpendLimit},
		{Status: 429, Message: fakeapi.MsgMonthlySpendCap},
	} {
		t.Run(be.Message[:20], func(t *testing.T) {
			e := newEnv(t, withStrategy("priority"))
			threeAccounts(e)
			e.fake.Script(keyA, fakeapi.Behavior{BodyError: &be})
			for i := range 3 {
				if code, body := e.ask("claude-sonnet-4-5", "s"); code != http.StatusOK {
					t.Fatalf("request %d: %d %s", i, code, body)
				}
			}
			if got := modelRequests(e.fake); got[keyA] != 1 || got[keyB] != 3 {
				t.Errorf("requests %v, want a tried once then benched", got)
			}
			v := accountView(t, e.svc, "a")
			if v.State != "limited" || !strings.Contains(v.Reason, "spend limit") || v.LimitedUntil.Sub(e.clock.Now()) < time.Hour {
				t.Errorf("view %+v", v)
			}
			if err := e.svc.ClearLimit(context.Background(), "a"); err != nil {
				t.Fatal(err)
			}
			if v := accountView(t, e.svc, "a"); v.State != "ok" {
				t.Errorf("after ClearLimit: %s", v.State)
			}
		})
	}
}

func TestRateLimitWithRetryAfterIsNotSpendLimit(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{BodyError: &fakeapi.BodyError{Status: 429, Message: fakeapi.MsgMonthlySpendCap, RetryAfter: 30 * time.Second}})
	if code, _ := e.ask("claude-sonnet-4-5", "s"); code != http.StatusOK {
		t.Fatal("no failover")
	}
	if v := accountView(t, e.svc, "a"); strings.Contains(v.Reason, "spend") || v.LimitedUntil.Sub(e.clock.Now()) > time.Minute {
		t.Errorf("a 429 with retry-after was taken for a spend cap: %+v", v)
	}
}

func TestHeadroomStopsAtPercent(t *testing.T) {
	e := newUsageEnv(t, withStrategy("priority"))
	e.addOAuth("a", oauthToken)
	e.addOAuth("b", oauthToken2)
	ctx := context.Background()
	if err := e.svc.SetPriority(ctx, "b", 5); err != nil {
		t.Fatal(err)
	}
	e.fake.Script(oauthToken, fakeapi.Behavior{Utilization: 0.5})
	if err := e.svc.SetHeadroom(ctx, "a", "session", 60); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.ask("claude-sonnet-4-5", "s")
	}
	if got := e.fake.Served(); got[oauthToken] != 2 {
		t.Fatalf("served %v: below the cap a serves", got)
	}
	if err := e.svc.SetHeadroom(ctx, "a", "session", 40); err != nil {
		t.Fatal(err)
	}
	e.ask("claude-sonnet-4-5", "s")
	if got := e.fake.Served(); got[oauthToken] != 2 || got[oauthToken2] != 1 {
		t.Errorf("served %v: at 50%% with a 40%% cap, b must serve", got)
	}
	if v := accountView(t, e.svc, "a"); v.Headroom["session"] != 40 {
		t.Errorf("headroom %v", v.Headroom)
	}
	if err := e.svc.SetHeadroom(ctx, "a", "session", 101); err == nil {
		t.Error("101% accepted")
	}
	// Kept across a restart: the journal holds it.
	e.close()
	e2 := newEnvAt(t, e.dir, e.fake)
	if v := accountView(t, e2.svc, "a"); v.Headroom["session"] != 40 {
		t.Errorf("headroom after restart %v", v.Headroom)
	}
}
