package pool

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// An Opus request refused on the 7d_oi window benches Opus on that account,
// whatever the suffix is taken to mean; Fable and Sonnet stay usable.
func TestScopedRejectionBenchesTheRefusedFamily(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	reset := t0.Add(30 * time.Hour)
	if v := p.ObserveFor("a", "claude-opus-5-5", http.StatusTooManyRequests, fableRejected(reset)); v != Failover {
		t.Fatalf("verdict %v", v)
	}
	if a, _ := p.Pick("", "claude-opus-5-5", nil); a.ID != "b" {
		t.Errorf("opus went to %s, want b", a.ID)
	}
	for _, m := range []string{"claude-fable-5", "claude-sonnet-5"} {
		if a, _ := p.Pick("", m, nil); a.ID != "a" {
			t.Errorf("%s went to %s, want a", m, a.ID)
		}
	}
	s, _ := p.Status("a")
	if len(s.Scoped) != 1 || s.Scoped[0].Family != "opus" || !s.Scoped[0].Until.Equal(reset) {
		t.Errorf("scoped benches %+v, want opus until %v", s.Scoped, reset)
	}
}

// The usage endpoint names the family a scoped window covers: a 7d_oi
// rejection whose reset matches its weekly_scoped Opus window benches Opus
// too, even when the refused request was for another model.
func TestUsageEndpointNamesTheFamilyOfAScopedWindow(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	reset := t0.Add(30 * time.Hour)
	l, err := ParseUsage([]byte(`{"limits":[{"kind":"weekly_scoped","percent":100,"resets_at":"` + reset.Format(time.RFC3339) +
		`","scope":{"model":{"id":"claude-opus-5-5","display_name":"Opus 5.5"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p.ApplyUsage("a", l)
	p.ObserveFor("a", "claude-sonnet-5", http.StatusTooManyRequests, fableRejected(reset))
	s, _ := p.Status("a")
	got := map[string]bool{}
	for _, sc := range s.Scoped {
		got[sc.Family] = true
	}
	if !got["opus"] || !got["sonnet"] || got["fable"] {
		t.Errorf("scoped benches %+v, want opus and sonnet", s.Scoped)
	}
}

// A 429 with no rate-limit header and x-should-retry: true is retried once
// on the same account; a second one soon after is a throttle.
func TestTransient429IsRetriedOnceWithoutBench(t *testing.T) {
	p, c := newPool(t, StrategyPriority, three())
	h := hdr("x-should-retry", "true")
	if v := p.Observe("a", 429, h); v != Retry {
		t.Fatalf("first transient 429: %v, want retry", v)
	}
	if a, _ := p.Pick("", "claude-opus-5", nil); a.ID != "a" {
		t.Errorf("retry went to %s, want a (same account, not avoided)", a.ID)
	}
	if s, _ := p.Status("a"); s.State != StateOK {
		t.Errorf("state %v after a transient 429", s.State)
	}
	c.Advance(10 * time.Second)
	if v := p.Observe("a", 429, h); v != Failover {
		t.Errorf("second transient 429: %v, want failover", v)
	}
	c.Advance(2 * time.Minute)
	p.Observe("a", 200, hdr())
	if v := p.Observe("a", 429, h); v != Retry {
		t.Errorf("transient 429 a while later: %v, want retry", v)
	}
}

// credits_required / org_level_disabled bench that family only.
func TestRefusedFamilyBenchesOnlyThatFamily(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	if v := p.ObserveRefusedFamily("a", "claude-fable-5-1", hdr("retry-after", "600"), "credits required"); v != Failover {
		t.Fatalf("verdict %v", v)
	}
	if a, _ := p.Pick("", "claude-fable-5", nil); a.ID != "b" {
		t.Errorf("fable went to %s, want b", a.ID)
	}
	if a, _ := p.Pick("", "claude-opus-5", nil); a.ID != "a" {
		t.Errorf("opus went to %s, want a", a.ID)
	}
	p.ObserveRefusedFamily("b", "claude-fable-5", hdr(), "org disabled")
	p.ObserveRefusedFamily("c", "claude-fable-5", hdr(), "org disabled")
	var le *LimitedError
	if _, err := p.Pick("", "claude-fable-5", nil); !errors.As(err, &le) || le.AccountID != "a" || !le.Until.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("all fable-refused: %v", err)
	}
}

// Turning the plan guard off lifts the bench it set, after a restart too,
// but not a bench a real 429 set.
func TestGuardOffLiftsOnlyTheGuardsBench(t *testing.T) {
	accts := three()
	for i := range accts {
		accts[i].PlanGuard = true
	}
	p, _ := newPool(t, StrategyPriority, accts)
	p.ObserveSignal("a", 400, hdr(), SignalExtraUsage)
	limit429(p, "b", t0.Add(time.Hour))
	if !p.GuardBench("a") || p.GuardBench("b") {
		t.Fatalf("guard benches: a %v b %v", p.GuardBench("a"), p.GuardBench("b"))
	}
	q, _ := newPool(t, StrategyPriority, accts) // a restart
	q.Import(p.Export())
	for i := range accts {
		accts[i].PlanGuard = false
	}
	q.SetAccounts(accts)
	if s, _ := q.Status("a"); s.State != StateOK {
		t.Errorf("a after guard off: %s, want ok", s.State)
	}
	if s, _ := q.Status("b"); s.State != StateLimited {
		t.Errorf("b after guard off: %s, want still limited (a real 429)", s.State)
	}
}
