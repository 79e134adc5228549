package pool

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// limitsOnly is a usage body in the shape users report for current plans:
// the legacy per-model keys null or absent, every window in limits[].
func limitsOnly(reset time.Time) string {
	r := reset.Format(time.RFC3339)
	return `{"five_hour":null,"seven_day_opus":null,"seven_day_sonnet":null,
	 "limits":[
	  {"kind":"session","group":"session","percent":29,"severity":"normal","resets_at":"` + r + `","scope":null,"is_active":false},
	  {"kind":"weekly_all","group":"weekly","percent":26,"severity":"normal","resets_at":"` + r + `","scope":null,"is_active":false},
	  {"kind":"weekly_scoped","group":"weekly","utilization":0.43,"severity":"warning","resets_at":"` + r + `",
	   "scope":{"model":{"id":null,"display_name":"Fable"},"surface":null},"is_active":true},
	  {"kind":"daily_thing","percent":5,"future_field":{"x":1}}
	 ],
	 "spend":{"used":{"amount":1},"limit":null,"percent":12,"severity":"normal"}}`
}

func TestParseUsageLimitsOnlyFillsEveryWindow(t *testing.T) {
	reset := t0.Add(30 * time.Hour)
	l, err := ParseUsage([]byte(limitsOnly(reset)))
	if err != nil {
		t.Fatal(err)
	}
	want := []Window{
		{Name: "5h", Kind: KindSession, Severity: "normal", Utilization: 0.29, ResetsAt: reset},
		{Name: "7d", Kind: KindWeekly, Severity: "normal", Utilization: 0.26, ResetsAt: reset},
		{Name: "7d_fable", Kind: KindWeekly, Scope: "fable", Severity: "warning", Active: true, Utilization: 0.43, ResetsAt: reset},
		{Name: "daily_thing", Kind: "daily_thing", Utilization: 0.05},
	}
	if len(l.Windows) != len(want) {
		t.Fatalf("windows %+v", l.Windows)
	}
	for i := range want {
		if l.Windows[i] != want[i] {
			t.Errorf("window %d = %+v, want %+v", i, l.Windows[i], want[i])
		}
	}
	if l.FiveHour.Utilization != 0.29 || l.SevenDay.Utilization != 0.26 {
		t.Errorf("classic fields not derived: 5h %+v 7d %+v", l.FiveHour, l.SevenDay)
	}
	if l.Spend.Percent != 0.12 {
		t.Errorf("spend %+v", l.Spend)
	}
}

func TestParseUsageLimitsWinOverFlatKeys(t *testing.T) {
	reset := t0.Add(3 * time.Hour)
	l, err := ParseUsage([]byte(`{"five_hour":{"utilization":10,"resets_at":"` + reset.Format(time.RFC3339) + `"},
		"limits":[{"kind":"session","percent":11,"resets_at":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Windows) != 1 || l.Windows[0].Utilization != 0.11 || !l.Windows[0].ResetsAt.Equal(reset) {
		t.Errorf("windows %+v (limits[] value, flat reset kept)", l.Windows)
	}
}

func TestWeeklyOnlyPlanHasNoFiveHourWindow(t *testing.T) {
	p, _ := newPool(t, StrategyLeastUsed, three())
	p.Observe("a", 200, hdr("anthropic-ratelimit-unified-7d-utilization", "0.5",
		"anthropic-ratelimit-unified-7d-status", "allowed"))
	s, _ := p.Status("a")
	if _, ok := s.Limits.Find(KindSession, ""); ok || s.Limits.FiveHour != (Window{}) {
		t.Errorf("a 5-hour window appeared: %+v", s.Limits)
	}
	if got := pick(t, p, ""); got != "b" { // a is the most used by its only window
		t.Errorf("least-used picked %s, want b", got)
	}
}

func TestFamily(t *testing.T) {
	for in, want := range map[string]string{
		"claude-opus-4-1-20250805": "opus", "claude-3-5-sonnet-20241022": "sonnet",
		"claude-haiku-4-5": "haiku", "Fable": "fable", "claude-fable-5": "fable", "": "", "42": "",
	} {
		if got := Family(in); got != want {
			t.Errorf("Family(%q) = %q, want %q", in, got, want)
		}
	}
}

// fableRejected is a 429 as peers record it when only a model-scoped
// weekly window (7d_oi) is spent: the unified status says rejected, 5h and 7d allow.
func fableRejected(reset time.Time) http.Header {
	return hdr(
		"anthropic-ratelimit-unified-status", "rejected",
		"anthropic-ratelimit-unified-reset", unix(reset),
		"anthropic-ratelimit-unified-5h-status", "allowed",
		"anthropic-ratelimit-unified-5h-utilization", "0.2",
		"anthropic-ratelimit-unified-7d-status", "allowed",
		"anthropic-ratelimit-unified-7d-utilization", "0.3",
		"anthropic-ratelimit-unified-7d_oi-status", "rejected",
		"anthropic-ratelimit-unified-7d_oi-utilization", "1.0",
		"anthropic-ratelimit-unified-7d_oi-reset", unix(reset),
	)
}

func TestScopedRejectionBenchesOnlyThatFamily(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	reset := t0.Add(48 * time.Hour)
	if v := p.ObserveFor("a", "claude-fable-5", http.StatusTooManyRequests, fableRejected(reset)); v != Failover {
		t.Fatalf("verdict %v, want failover", v)
	}
	if a, err := p.Pick("", "claude-sonnet-4-5", nil); err != nil || a.ID != "a" {
		t.Errorf("sonnet request went to %s (%v), want a: only Fable is spent", a.ID, err)
	}
	if a, err := p.Pick("", "claude-fable-5", nil); err != nil || a.ID != "b" {
		t.Errorf("fable request went to %s (%v), want b", a.ID, err)
	}
	s, _ := p.Status("a")
	if s.State != StateOK || len(s.Scoped) != 1 || s.Scoped[0].Family != "fable" || !s.Scoped[0].Until.Equal(reset) {
		t.Errorf("status %+v", s)
	}
	// Every account spent on Fable: the caller learns the earliest reset.
	p.ObserveFor("b", "claude-fable-5", http.StatusTooManyRequests, fableRejected(reset.Add(time.Hour)))
	p.ObserveFor("c", "claude-fable-5", http.StatusTooManyRequests, fableRejected(reset.Add(2*time.Hour)))
	var le *LimitedError
	if _, err := p.Pick("", "claude-fable-5", nil); !errors.As(err, &le) || !le.Until.Equal(reset) || le.AccountID != "a" {
		t.Errorf("err %v, want LimitedError until %v from a", err, reset)
	}
	// A 200 showing the window open again frees the family.
	p.Observe("a", 200, hdr("anthropic-ratelimit-unified-7d_oi-status", "allowed",
		"anthropic-ratelimit-unified-7d_oi-utilization", "0.1"))
	if a, err := p.Pick("", "claude-fable-5", nil); err != nil || a.ID != "a" {
		t.Errorf("after reopening: %s %v", a.ID, err)
	}
}

func TestAccountWideRejectionStillBenchesAll(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	limit429(p, "a", t0.Add(time.Hour))
	if a, _ := p.Pick("", "claude-haiku-4-5", nil); a.ID != "b" {
		t.Errorf("picked %s, want b", a.ID)
	}
}

func TestUsagePollLiftsBenchEarly(t *testing.T) {
	p, c := newPool(t, StrategyPriority, three())
	reset := t0.Add(4 * time.Hour)
	limit429(p, "a", reset)
	c.Advance(time.Minute)
	// The poll still shows the window full: nothing changes.
	p.ApplyUsage("a", Limits{FiveHour: Window{Utilization: 1, ResetsAt: reset}})
	if s, _ := p.Status("a"); s.State != StateLimited {
		t.Fatalf("lifted too early: %+v", s)
	}
	// A banked reset: the window restarted, earlier than announced.
	p.ApplyUsage("a", Limits{FiveHour: Window{Utilization: 0.02, ResetsAt: t0.Add(5 * time.Hour)}})
	if s, _ := p.Status("a"); s.State != StateOK {
		t.Errorf("not lifted: %+v", s)
	}
	if got := pick(t, p, ""); got != "a" {
		t.Errorf("picked %s, want a", got)
	}
}

func TestUsagePollLiftsScopedBench(t *testing.T) {
	p, c := newPool(t, StrategyPriority, three())
	reset := t0.Add(48 * time.Hour)
	p.Observe("a", http.StatusTooManyRequests, fableRejected(reset))
	c.Advance(time.Minute)
	l, err := ParseUsage([]byte(`{"limits":[{"kind":"weekly_scoped","percent":3,"severity":"normal","is_active":false,
		"resets_at":"` + reset.Format(time.RFC3339) + `","scope":{"model":{"display_name":"Fable"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p.ApplyUsage("a", l)
	if a, err := p.Pick("", "claude-fable-5", nil); err != nil || a.ID != "a" {
		t.Errorf("fable bench not lifted: %s %v", a.ID, err)
	}
}

func TestClearLimit(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	limit429(p, "a", t0.Add(time.Hour))
	p.Observe("a", http.StatusTooManyRequests, fableRejected(t0.Add(40*time.Hour)))
	if !p.ClearLimit("a") || p.ClearLimit("nobody") {
		t.Fatal("ClearLimit membership wrong")
	}
	if a, _ := p.Pick("", "claude-fable-5", nil); a.ID != "a" {
		t.Errorf("picked %s after clear", a.ID)
	}
}

func TestEmptiedTokenBucketRestsKeyUntilRefill(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, []Account{{ID: "k1", Name: "K1", Kind: "api-key"}, {ID: "k2", Name: "K2", Kind: "api-key", Priority: 1}})
	refill := t0.Add(20 * time.Second)
	p.Observe("k1", 200, hdr("anthropic-ratelimit-requests-limit", "50",
		"anthropic-ratelimit-requests-remaining", "0",
		"anthropic-ratelimit-requests-reset", refill.Format(time.RFC3339)))
	if got := pick(t, p, ""); got != "k2" {
		t.Errorf("picked %s, want k2 while k1's bucket is empty", got)
	}
	if s, _ := p.Status("k1"); !s.LimitedUntil.Equal(refill) {
		t.Errorf("k1 until %v, want %v", s.LimitedUntil, refill)
	}
}

func TestHeadroomCapShowsAndBlocks(t *testing.T) {
	accts := three()
	accts[1].Headroom = map[string]float64{KindWeekly: 0.5} // a
	p, _ := newPool(t, StrategyPriority, accts)
	reset := t0.Add(30 * time.Hour)
	weekly(p, "a", 0.49, reset, 0)
	if got := pick(t, p, ""); got != "a" {
		t.Fatalf("below the cap: picked %s", got)
	}
	weekly(p, "a", 0.5, reset, 0)
	if got := pick(t, p, ""); got != "b" {
		t.Errorf("at the cap: picked %s, want b", got)
	}
	if s, _ := p.Status("a"); s.State != StateLimited || !s.LimitedUntil.Equal(reset) {
		t.Errorf("status %+v", s)
	}
}
