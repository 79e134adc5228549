package pool

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// fiveHour is the header set of a response showing the 5-hour window at u,
// resetting at reset.
func fiveHour(u float64, reset time.Time) http.Header {
	return hdr("anthropic-ratelimit-unified-5h-utilization", fmt.Sprint(u),
		"anthropic-ratelimit-unified-5h-reset", unix(reset), "anthropic-ratelimit-unified-status", "allowed")
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func ledgerPool(t *testing.T) (*Pool, *testkit.Clock, map[any]Share) {
	t.Helper()
	late := map[any]Share{}
	c := testkit.NewClock(t0)
	p, err := New(Options{Now: c.Now, OnShare: func(ref any, s Share) {
		l := late[ref]
		l.add(s.Windows, s.Estimate)
		late[ref] = l
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.SetAccounts(three())
	return p, c, late
}

func TestLedgerSequentialRequestsGetTheirOwnChange(t *testing.T) {
	p, _, late := ledgerPool(t)
	reset := t0.Add(3 * time.Hour)
	p.Observe("a", 200, fiveHour(0.10, reset)) // the baseline
	for i, want := range []float64{0.01, 0.03} {
		c := p.Begin("a")
		p.Observe("a", 200, fiveHour(0.10+[]float64{0.01, 0.04}[i], reset))
		s := p.End(c, 100, i)
		if !near(s.Windows["5h"], want) || s.Estimate {
			t.Errorf("request %d: share %+v, want 5h %v, no estimate", i, s, want)
		}
	}
	if len(late) != 0 {
		t.Errorf("late shares for sequential requests: %v", late)
	}
}

func TestLedgerResetStartsAfresh(t *testing.T) {
	p, c, _ := ledgerPool(t)
	reset := t0.Add(time.Hour)
	p.Observe("a", 200, fiveHour(0.80, reset))
	c.Advance(2 * time.Hour) // the window reset; the next one is new
	ch := p.Begin("a")
	p.Observe("a", 200, fiveHour(0.02, c.Now().Add(5*time.Hour)))
	if s := p.End(ch, 10, nil); !near(s.Windows["5h"], 0.02) {
		t.Errorf("after a reset the share is %v, want the new window's 0.02", s.Windows)
	}
	// A reset that moved forward while the old one had not yet passed
	// (banked or early reset) starts afresh too.
	p.Observe("b", 200, fiveHour(0.50, c.Now().Add(time.Hour)))
	ch = p.Begin("b")
	p.Observe("b", 200, fiveHour(0.05, c.Now().Add(5*time.Hour)))
	if s := p.End(ch, 10, nil); !near(s.Windows["5h"], 0.05) {
		t.Errorf("after an early reset the share is %v, want 0.05", s.Windows)
	}
	// No earlier observation: nothing to compare with, no share.
	ch = p.Begin("c")
	p.Observe("c", 200, fiveHour(0.30, c.Now().Add(time.Hour)))
	if s := p.End(ch, 10, nil); s.Windows != nil {
		t.Errorf("first observation attributed %v", s.Windows)
	}
}

func TestLedgerConcurrentRequestsSplitByTokens(t *testing.T) {
	p, _, late := ledgerPool(t)
	reset := t0.Add(3 * time.Hour)
	p.Observe("a", 200, fiveHour(0.10, reset))
	x, y := p.Begin("a"), p.Begin("a")
	p.Observe("a", 200, fiveHour(0.13, reset)) // x's headers: both in flight
	p.Observe("a", 200, fiveHour(0.14, reset)) // y's headers: both in flight
	// x ends first with 300 tokens: nothing of their common change is
	// settled until y's tokens are known.
	if s := p.End(x, 300, "x"); s.Windows != nil {
		t.Fatalf("x settled before y ended: %+v", s)
	}
	sy := p.End(y, 100, "y")
	if !near(sy.Windows["5h"], 0.01) || !sy.Estimate {
		t.Errorf("y (100 of 400 tokens) got %+v, want 5h 0.01, estimate", sy)
	}
	if sx := late["x"]; !near(sx.Windows["5h"], 0.03) || !sx.Estimate {
		t.Errorf("x (300 of 400 tokens) got %+v late, want 5h 0.03, estimate", sx)
	}
	// A change seen with nothing in flight goes to no one.
	p.Observe("a", 200, fiveHour(0.20, reset))
	z := p.Begin("a")
	if s := p.End(z, 5, "z"); s.Windows != nil {
		t.Errorf("a change before z began was given to it: %+v", s)
	}
}

func TestPaceForecastsABurst(t *testing.T) {
	p, c, _ := ledgerPool(t)
	reset := t0.Add(4 * time.Hour)
	u := 0.20
	for range 10 { // +2 % every minute: 1.2 per hour, spent in 40 minutes
		p.Observe("a", 200, fiveHour(u, reset))
		c.Advance(time.Minute)
		u += 0.02
	}
	p.Observe("a", 200, fiveHour(u, reset))
	var got WindowPace
	for _, wp := range p.Pace("a") {
		if wp.Key == "5h" {
			got = wp
		}
	}
	if math.Abs(got.PerHour-1.2) > 0.01 {
		t.Fatalf("rate %v/h, want 1.2", got.PerHour)
	}
	want := c.Now().Add(time.Duration((1 - u) / 1.2 * float64(time.Hour)))
	if d := got.RunsOutAt.Sub(want); d < -time.Minute || d > time.Minute || !got.RunsOutAt.Before(reset) {
		t.Errorf("runs out at %v, want about %v (before the reset %v)", got.RunsOutAt, want, reset)
	}
	if rw := p.Runway(""); !rw.RunsOutAt.IsZero() {
		t.Errorf("the pool runs out while b and c are idle: %+v", rw)
	}
	// A slow pace that outlasts the window forecasts nothing.
	if at := Forecast(0.5, 0.01, reset, c.Now()); !at.IsZero() {
		t.Errorf("slow pace forecast %v", at)
	}
}

func TestRateIgnoresAnEarlierWindow(t *testing.T) {
	now := t0.Add(time.Hour)
	old, cur := now.Add(-time.Minute), now.Add(5*time.Hour)
	s := []Sample{
		{Time: now.Add(-20 * time.Minute), Utilization: 0.9, ResetsAt: old},
		{Time: now.Add(-10 * time.Minute), Utilization: 0.02, ResetsAt: cur},
		{Time: now.Add(-5 * time.Minute), Utilization: 0.03, ResetsAt: cur},
		{Time: now, Utilization: 0.04, ResetsAt: cur},
	}
	r, ok := Rate(s, now, minSpan(KindSession))
	if !ok || math.Abs(r-0.12) > 1e-6 {
		t.Errorf("rate %v %v, want 0.12/h from the current window only", r, ok)
	}
}

// A request that ends before the others it ran alongside gets the rest of
// its share in one OnShare call, once the last of them has ended: one
// journal amendment per record, not one per pot it was in.
func TestLedgerLateShareArrivesOnceWhole(t *testing.T) {
	calls := map[any][]Share{}
	p, err := New(Options{Now: testkit.NewClock(t0).Now, OnShare: func(ref any, s Share) {
		calls[ref] = append(calls[ref], s)
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.SetAccounts(three())
	reset := t0.Add(3 * time.Hour)
	p.Observe("a", 200, fiveHour(0.10, reset))
	x, y := p.Begin("a"), p.Begin("a")
	p.Observe("a", 200, fiveHour(0.12, reset)) // x and y: 0.02
	z := p.Begin("a")
	p.Observe("a", 200, fiveHour(0.15, reset)) // x, y and z: 0.03
	p.Observe("a", 200, fiveHour(0.18, reset)) // x, y and z: 0.03
	if s := p.End(x, 100, "x"); s.Windows != nil {
		t.Fatalf("x settled while y and z ran: %+v", s)
	}
	// y's end settles the first change, x's part of it included: x's
	// share is still not whole (z runs), so nothing is given yet.
	if s := p.End(y, 100, "y"); !near(s.Windows["5h"], 0.01) {
		t.Errorf("y's own share at its end %+v, want 5h 0.01", s)
	}
	if len(calls) != 0 {
		t.Fatalf("late shares before z ended: %+v", calls)
	}
	if s := p.End(z, 100, "z"); !near(s.Windows["5h"], 0.02) || !s.Estimate {
		t.Errorf("z's share %+v, want 5h 0.02, estimate", s)
	}
	for ref, want := range map[any]float64{"x": 0.01 + 0.02, "y": 0.02} {
		if got := calls[ref]; len(got) != 1 || !near(got[0].Windows["5h"], want) || !got[0].Estimate {
			t.Errorf("%v's late shares %+v, want one of 5h %v, estimate", ref, got, want)
		}
	}
}
