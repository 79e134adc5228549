package pool

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

func TestObserveVerdicts(t *testing.T) {
	reset := t0.Add(2 * time.Hour)
	tests := []struct {
		name      string
		status    int
		h         http.Header
		want      Verdict
		state     State
		until     time.Time // expected LimitedUntil (zero: not limited)
		untilSpan [2]time.Duration
	}{
		{"200", 200, nil, Success, StateOK, time.Time{}, [2]time.Duration{}},
		{"200 warning", 200, hdr("anthropic-ratelimit-unified-status", "allowed_warning"), Success, StateWarning, time.Time{}, [2]time.Duration{}},
		{"400 passes", 400, nil, Pass, StateOK, time.Time{}, [2]time.Duration{}},
		{"404 passes", 404, hdr("anthropic-ratelimit-unified-status", "allowed"), Pass, StateOK, time.Time{}, [2]time.Duration{}},
		{"413 passes", 413, nil, Pass, StateOK, time.Time{}, [2]time.Duration{}},
		{"501 passes", 501, nil, Pass, StateOK, time.Time{}, [2]time.Duration{}},
		{"500 retries", 500, nil, Retry, StateOK, time.Time{}, [2]time.Duration{}},
		{"503 retries", 503, nil, Retry, StateOK, time.Time{}, [2]time.Duration{}},
		{"401 needs login", 401, nil, Failover, StateNeedsLogin, time.Time{}, [2]time.Duration{}},
		{"403 fails over, records nothing", 403, nil, Failover, StateOK, time.Time{}, [2]time.Duration{}},
		{"429 unified reset", 429, hdr(
			"anthropic-ratelimit-unified-status", "rejected",
			"anthropic-ratelimit-unified-reset", unix(reset),
			"retry-after", "60",
		), Failover, StateLimited, reset, [2]time.Duration{}},
		{"429 7d window reset", 429, hdr(
			"anthropic-ratelimit-unified-5h-status", "allowed",
			"anthropic-ratelimit-unified-5h-reset", unix(t0.Add(time.Hour)),
			"anthropic-ratelimit-unified-7d-status", "rejected",
			"anthropic-ratelimit-unified-7d-reset", unix(t0.Add(50*time.Hour)),
		), Failover, StateLimited, t0.Add(50 * time.Hour), [2]time.Duration{}},
		{"429 retry-after seconds", 429, hdr("retry-after", "30"), Failover, StateLimited, t0.Add(30 * time.Second), [2]time.Duration{}},
		{"429 retry-after date", 429, hdr("retry-after", t0.Add(time.Minute).Format(http.TimeFormat)), Failover, StateLimited, t0.Add(time.Minute), [2]time.Duration{}},
		{"429 tier exhausted", 429, hdr(
			"anthropic-ratelimit-tokens-limit", "1000",
			"anthropic-ratelimit-tokens-remaining", "0",
			"anthropic-ratelimit-tokens-reset", t0.Add(20*time.Second).Format(time.RFC3339),
		), Failover, StateLimited, t0.Add(20 * time.Second), [2]time.Duration{}},
		{"429 past reset falls back to backoff", 429, hdr(
			"anthropic-ratelimit-unified-status", "rejected",
			"anthropic-ratelimit-unified-reset", unix(t0.Add(-time.Hour)),
		), Failover, StateLimited, time.Time{}, [2]time.Duration{500 * time.Millisecond, time.Second}},
		{"429 absurd reset falls back to backoff", 429, hdr(
			"anthropic-ratelimit-unified-status", "rejected",
			"anthropic-ratelimit-unified-reset", unix(t0.Add(30*24*time.Hour)),
		), Failover, StateLimited, time.Time{}, [2]time.Duration{500 * time.Millisecond, time.Second}},
		{"bare 429", 429, hdr(), Failover, StateLimited, t0.Add(time.Second), [2]time.Duration{}},
		{"529 backoff", 529, nil, Failover, StateLimited, time.Time{}, [2]time.Duration{500 * time.Millisecond, time.Second}},
		{"rejected on other status", 400, hdr(
			"anthropic-ratelimit-unified-status", "rejected",
			"anthropic-ratelimit-unified-reset", unix(reset),
		), Failover, StateLimited, reset, [2]time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newPool(t, "priority", three())
			if got := p.Observe("a", tt.status, tt.h); got != tt.want {
				t.Errorf("verdict %v, want %v", got, tt.want)
			}
			s, _ := p.Status("a")
			if s.State != tt.state {
				t.Errorf("state %v, want %v (reason %q)", s.State, tt.state, s.Reason)
			}
			switch {
			case !tt.until.IsZero():
				if !s.LimitedUntil.Equal(tt.until) {
					t.Errorf("until %v, want %v", s.LimitedUntil, tt.until)
				}
			case tt.untilSpan[1] > 0:
				if d := s.LimitedUntil.Sub(t0); d < tt.untilSpan[0] || d > tt.untilSpan[1] {
					t.Errorf("backoff %v not in %v", d, tt.untilSpan)
				}
			default:
				if !s.LimitedUntil.IsZero() {
					t.Errorf("unexpectedly limited until %v", s.LimitedUntil)
				}
			}
			if tt.state == StateLimited && s.Reason == "" {
				t.Error("limited without a reason")
			}
		})
	}
}

func TestBareRateLimitDoesNotGrowBackoff(t *testing.T) {
	p, c := newPool(t, "priority", three())
	for range 5 {
		p.Observe("a", 429, hdr())
		s, _ := p.Status("a")
		if d := s.LimitedUntil.Sub(c.Now()); d != time.Second {
			t.Fatalf("bare 429 bench %v, want 1s", d)
		}
		c.Advance(time.Second)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for _, jitter := range []float64{0, 0.999} {
		c := testkit.NewClock(t0)
		p, _ := New(Options{Now: c.Now, Rand: func() float64 { return jitter },
			MinBackoff: time.Second, MaxBackoff: time.Minute})
		p.SetAccounts(three())
		var got []time.Duration
		for range 10 {
			p.Observe("a", 529, nil)
			s, _ := p.Status("a")
			got = append(got, s.LimitedUntil.Sub(c.Now()))
			c.Advance(s.LimitedUntil.Sub(c.Now()))
		}
		for i := 1; i < len(got); i++ {
			if got[i] < got[i-1] {
				t.Errorf("jitter %v: backoff shrank: %v", jitter, got)
			}
		}
		if got[0] < 500*time.Millisecond || got[0] > time.Second {
			t.Errorf("first backoff %v", got[0])
		}
		if last := got[len(got)-1]; last > time.Minute || last < 30*time.Second {
			t.Errorf("jitter %v: capped backoff %v, want within [30s, 1m]", jitter, last)
		}
		// Success resets the level.
		p.Observe("a", 200, nil)
		p.Observe("a", 529, nil)
		if s, _ := p.Status("a"); s.LimitedUntil.Sub(c.Now()) > time.Second {
			t.Errorf("backoff level not reset by success: %v", s.LimitedUntil.Sub(c.Now()))
		}
	}
}

func TestSuccessClearsCooldown(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	limit429(p, "a", t0.Add(time.Hour))
	if id := pick(t, p, ""); id != "b" {
		t.Fatalf("picked %s", id)
	}
	// A success on the account (e.g. a request admitted before the limit)
	// clears the bench: the server said it serves.
	if v := p.Observe("a", 200, hdr("anthropic-ratelimit-unified-status", "allowed")); v != Success {
		t.Fatalf("verdict %v", v)
	}
	if s, _ := p.Status("a"); s.State != StateOK || !s.LimitedUntil.IsZero() || s.Reason != "" {
		t.Errorf("status after success %+v", s)
	}
	if id := pick(t, p, ""); id != "a" {
		t.Errorf("picked %s after success", id)
	}
}

func TestLongerQuarantineNotShortened(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	limit429(p, "a", t0.Add(time.Hour))
	p.Observe("a", 429, hdr("retry-after", "5"))
	if s, _ := p.Status("a"); !s.LimitedUntil.Equal(t0.Add(time.Hour)) {
		t.Errorf("until %v", s.LimitedUntil)
	}
}

func TestNeedsLogin(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	if v := p.Observe("a", 401, nil); v != Failover {
		t.Fatalf("verdict %v", v)
	}
	if id := pick(t, p, ""); id != "b" {
		t.Fatalf("picked %s", id)
	}
	p.ClearNeedsLogin("a")
	if id := pick(t, p, ""); id != "a" {
		t.Fatalf("after ClearNeedsLogin picked %s", id)
	}
	// The proxy's own flow: vault marks it, the user logs in again.
	p.Observe("a", 403, nil)
	accts := three()
	accts[1].NeedsLogin = true
	p.SetAccounts(accts)
	if s, _ := p.Status("a"); s.State != StateNeedsLogin {
		t.Fatalf("state %v", s.State)
	}
	accts[1].NeedsLogin = false
	p.SetAccounts(accts)
	if s, _ := p.Status("a"); s.State != StateOK {
		t.Errorf("state after re-login %v", s.State)
	}
}

func TestRetryPrefersAnotherAccount(t *testing.T) {
	p, c := newPool(t, "priority", three())
	if v := p.Observe("a", 503, nil); v != Retry {
		t.Fatalf("verdict %v", v)
	}
	if v := p.ObserveNetworkError("b"); v != Retry {
		t.Fatalf("verdict %v", v)
	}
	if id := pick(t, p, ""); id != "c" {
		t.Errorf("picked %s, want c (a and b just failed)", id)
	}
	// Avoidance is a preference: alone, the account still serves.
	if id := pick(t, p, "", "c"); id != "a" {
		t.Errorf("picked %s, want a as a last resort", id)
	}
	if s, _ := p.Status("a"); s.State != StateOK {
		t.Errorf("a 5xx must not show as limited: %v", s.State)
	}
	c.Advance(avoidFor)
	if id := pick(t, p, ""); id != "a" {
		t.Errorf("picked %s after the avoidance", id)
	}
}

func TestStreamError(t *testing.T) {
	p, c := newPool(t, "priority", three())
	p.ObserveStreamError("a", "rate_limit_error")
	if s, _ := p.Status("a"); s.State != StateLimited {
		t.Fatalf("state %v", s.State)
	}
	p.ObserveStreamError("b", "overloaded_error")
	if s, _ := p.Status("b"); !s.LimitedUntil.Equal(t0.Add(time.Second)) {
		t.Fatalf("b until %v", s.LimitedUntil)
	}
	p.ObserveStreamError("c", "invalid_request_error")
	if s, _ := p.Status("c"); s.State != StateOK {
		t.Fatalf("c state %v", s.State)
	}
	c.Advance(time.Second)
	if id := pick(t, p, ""); id != "a" && id != "b" {
		t.Errorf("picked %s after the cool-down", id)
	}
}

// overage is what an oauth account answers once its 5-hour window is spent
// and extra usage pays for the request (as the fake API sends it).
func overage(reset time.Time) http.Header {
	return hdr(
		"anthropic-ratelimit-unified-status", "allowed",
		"anthropic-ratelimit-unified-reset", unix(reset),
		"anthropic-ratelimit-unified-5h-status", "rejected",
		"anthropic-ratelimit-unified-5h-utilization", "1",
		"anthropic-ratelimit-unified-5h-reset", unix(reset),
		"anthropic-ratelimit-unified-overage-status", "allowed",
		"anthropic-ratelimit-unified-overage-utilization", "0.05",
	)
}

func TestPlanGuard(t *testing.T) {
	reset := t0.Add(90 * time.Minute)
	tests := []struct {
		name  string
		guard bool
		h     http.Header
		state State
		until time.Time
	}{
		{"window rejected, overage pays", true, overage(reset), StateLimited, reset},
		{"unified rejected, overage allowed_warning", true, hdr(
			"anthropic-ratelimit-unified-status", "rejected",
			"anthropic-ratelimit-unified-reset", unix(reset),
			"anthropic-ratelimit-unified-overage-status", "allowed_warning",
		), StateLimited, reset},
		{"claim is overage", true, hdr(
			"anthropic-ratelimit-unified-status", "allowed",
			"anthropic-ratelimit-unified-representative-claim", "overage",
			"anthropic-ratelimit-unified-7d-status", "allowed",
		), StateLimited, time.Time{}},
		{"no guard: spends, shown as warning", false, overage(reset), StateWarning, time.Time{}},
		{"guard, overage rejected: plan still has room", true, hdr(
			"anthropic-ratelimit-unified-status", "allowed",
			"anthropic-ratelimit-unified-5h-utilization", "0.5",
			"anthropic-ratelimit-unified-overage-status", "rejected",
			"anthropic-ratelimit-unified-overage-utilization", "0.3",
		), StateOK, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accts := three()
			for i := range accts {
				accts[i].PlanGuard = tt.guard
			}
			p, c := newPool(t, "priority", accts)
			if v := p.Observe("a", 200, tt.h); v != Success {
				t.Errorf("verdict %v: the response already went through", v)
			}
			s, _ := p.Status("a")
			if s.State != tt.state {
				t.Fatalf("state %v, want %v", s.State, tt.state)
			}
			if !tt.until.IsZero() && !s.LimitedUntil.Equal(tt.until) {
				t.Errorf("until %v, want %v", s.LimitedUntil, tt.until)
			}
			if tt.state == StateLimited {
				if id := pick(t, p, ""); id == "a" {
					t.Error("guarded account chosen")
				}
				c.Advance(s.LimitedUntil.Sub(t0))
				if id := pick(t, p, ""); id != "a" {
					t.Errorf("picked %s after the plan reset", id)
				}
			}
		})
	}
}

func TestPlanGuardFromUsagePoll(t *testing.T) {
	accts := three()
	accts[1].PlanGuard = true // a
	p, _ := newPool(t, "priority", accts)
	reset := t0.Add(time.Hour)
	p.ApplyUsage("a", Limits{FiveHour: Window{Utilization: 1.0, ResetsAt: reset}})
	if s, _ := p.Status("a"); s.State != StateLimited || !s.LimitedUntil.Equal(reset) {
		t.Errorf("guarded: %+v", s)
	}
	p.ApplyUsage("b", Limits{FiveHour: Window{Utilization: 1.0, ResetsAt: reset}})
	if s, _ := p.Status("b"); s.State != StateOK {
		t.Errorf("unguarded account benched by a poll: %v", s.State)
	}
}

func TestApplyUsageMerges(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	reset := t0.Add(time.Hour)
	p.Observe("a", 200, hdr(
		"anthropic-ratelimit-unified-5h-status", "allowed_warning",
		"anthropic-ratelimit-unified-5h-utilization", "0.8",
		"anthropic-ratelimit-unified-5h-reset", unix(reset),
		"anthropic-ratelimit-unified-7d-status", "allowed",
		"anthropic-ratelimit-unified-7d-reset", unix(t0.Add(48*time.Hour)),
	))
	l, err := ParseUsage([]byte(`{"five_hour":{"utilization":85,"resets_at":"` + reset.Format(time.RFC3339) + `"},
		"seven_day":{"utilization":30,"resets_at":"` + t0.Add(96*time.Hour).Format(time.RFC3339) + `"},
		"seven_day_opus":{"utilization":12,"resets_at":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	p.ApplyUsage("a", l)
	s, _ := p.Status("a")
	got := s.Limits
	if got.FiveHour != (Window{Name: "5h", Kind: KindSession, Status: "allowed_warning", Utilization: 0.85, ResetsAt: reset}) {
		t.Errorf("5h %+v (status kept: same window)", got.FiveHour)
	}
	if got.SevenDay.Status != "" || got.SevenDay.Utilization != 0.3 {
		t.Errorf("7d %+v (status dropped: new window)", got.SevenDay)
	}
	if got.SevenDayOpus.Utilization != 0.12 || !got.UpdatedAt.Equal(t0) {
		t.Errorf("opus %+v updated %v", got.SevenDayOpus, got.UpdatedAt)
	}
	// Headers afterwards keep the Opus window only the endpoint reports.
	util(p, "a", 0.9)
	if s, _ := p.Status("a"); s.Limits.SevenDayOpus.Utilization != 0.12 {
		t.Errorf("opus lost on header update: %+v", s.Limits.SevenDayOpus)
	}
}

func TestWindowCounters(t *testing.T) {
	p, c := newPool(t, "priority", three())
	reset := t0.Add(2 * time.Hour)
	p.Observe("a", 200, hdr("anthropic-ratelimit-unified-5h-reset", unix(reset)))
	p.AddUsage("a", 100)
	p.AddUsage("a", 50)
	p.AddUsage("a", -7) // nonsense tokens count the request, not the tokens
	if s, _ := p.Status("a"); s.WindowRequests != 3 || s.WindowTokens != 150 {
		t.Fatalf("counts %d/%d", s.WindowRequests, s.WindowTokens)
	}
	c.Advance(2 * time.Hour) // Anthropic's window resets
	// The next response names the new window before its usage is added: the
	// old counts must not leak into it.
	p.Observe("a", 200, hdr("anthropic-ratelimit-unified-5h-reset", unix(c.Now().Add(5*time.Hour))))
	p.AddUsage("a", 7)
	if s, _ := p.Status("a"); s.WindowRequests != 1 || s.WindowTokens != 7 {
		t.Errorf("not reset with the window: %d/%d", s.WindowRequests, s.WindowTokens)
	}
	c.Advance(5 * time.Hour)
	if s, _ := p.Status("a"); s.WindowRequests != 0 || s.WindowTokens != 0 {
		t.Errorf("not reset with the window: %d/%d", s.WindowRequests, s.WindowTokens)
	}
	p.AddUsage("b", 10) // b: no Anthropic window, 5h from first use
	c.Advance(4 * time.Hour)
	p.AddUsage("b", 10)
	if s, _ := p.Status("b"); s.WindowRequests != 2 {
		t.Errorf("b counts %d", s.WindowRequests)
	}
	c.Advance(time.Hour)
	if s, _ := p.Status("b"); s.WindowRequests != 0 {
		t.Errorf("b local window not reset: %d", s.WindowRequests)
	}
}

func TestOnChange(t *testing.T) {
	var mu sync.Mutex
	var got []string
	c := testkit.NewClock(t0)
	var p *Pool
	p, _ = New(Options{Now: c.Now, OnChange: func(id string) {
		p.Status(id) // must not deadlock: called without the lock
		mu.Lock()
		got = append(got, id)
		mu.Unlock()
	}})
	p.SetAccounts(three())
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"limits", func() { util(p, "a", 0.3) }, true},
		{"quarantine", func() { p.Observe("a", 429, nil) }, true},
		{"success clears", func() { p.Observe("a", 200, nil) }, true},
		{"plain success", func() { p.Observe("a", 200, nil) }, false},
		{"client error", func() { p.Observe("a", 400, nil) }, false},
		{"needs login", func() { p.Observe("a", 401, nil) }, true},
		{"clear login", func() { p.ClearNeedsLogin("a") }, true},
		{"usage", func() { p.AddUsage("a", 5) }, true},
		{"poll", func() { p.ApplyUsage("a", Limits{}) }, true},
		{"stream error", func() { p.ObserveStreamError("a", "rate_limit_error") }, true},
		{"unknown account", func() { p.Observe("zz", 429, nil) }, false},
	}
	for _, s := range steps {
		mu.Lock()
		got = got[:0]
		mu.Unlock()
		s.do()
		mu.Lock()
		fired := slices.Equal(got, []string{"a"})
		if fired != s.want || (!s.want && len(got) > 0) {
			t.Errorf("%s: OnChange calls %v, want fired=%v", s.name, got, s.want)
		}
		mu.Unlock()
	}
}
