package pool

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

// pollOf is a usage-endpoint answer in the fake's legacy shape (percent):
// the 5-hour window, the week (resetting three days after), and the
// weekly Sonnet window, which only the poll reports.
func pollOf(t *testing.T, five, week, sonnet float64, reset time.Time) Limits {
	t.Helper()
	at := func(r time.Time) string { return r.UTC().Format(time.RFC3339) }
	body := fmt.Sprintf(`{"five_hour":{"utilization":%g,"resets_at":%q},"seven_day":{"utilization":%g,"resets_at":%q},`+
		`"seven_day_opus":null,"seven_day_sonnet":{"utilization":%g,"resets_at":%q}}`,
		five*100, at(reset), week*100, at(reset.Add(72*time.Hour)), sonnet*100, at(reset))
	l, err := ParseUsage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// answerOf is a response's limit headers as the fake sends them: the
// 5-hour window and the week, no Sonnet window.
func answerOf(five, week float64, reset time.Time) http.Header {
	return hdr("anthropic-ratelimit-unified-status", "allowed",
		"anthropic-ratelimit-unified-5h-utilization", fmt.Sprint(five),
		"anthropic-ratelimit-unified-5h-reset", unix(reset),
		"anthropic-ratelimit-unified-7d-utilization", fmt.Sprint(week),
		"anthropic-ratelimit-unified-7d-reset", unix(reset.Add(72*time.Hour)))
}

func paceOf(t *testing.T, p *Pool, key string) WindowPace {
	t.Helper()
	for _, wp := range p.Pace("a") {
		if wp.Key == key {
			return wp
		}
	}
	t.Fatalf("no window %s in %+v", key, p.Pace("a"))
	return WindowPace{}
}

// The screenshots' account "personal": the poll shows the weekly Sonnet
// window open at 0 %, requests go through (their headers name the 5-hour
// window and the week, not Sonnet), and the next poll shows Sonnet at
// 5 %, used by another client in between. One jump seen a minute later
// is no pace: the card must not say Sonnet runs out within minutes (it
// said "runs out" at the very moment of the capture).
func TestPaceIgnoresAWindowAPollRevealsUsed(t *testing.T) {
	p, c, _ := ledgerPool(t)
	reset := t0.Add(2*time.Hour + 14*time.Minute)
	p.ApplyUsage("a", pollOf(t, 0.42, 0.105, 0, reset))
	five := 0.42
	for i := range 4 {
		if i > 0 {
			c.Advance(22 * time.Second)
		}
		five += 0.003
		p.Observe("a", http.StatusOK, answerOf(five, five/4, reset))
	}
	// The answers did not name Sonnet: its ring holds the poll alone,
	// not the poll's figure stamped again at each answer's time.
	if n := p.byID["a"].pace["7d_sonnet"].n; n != 1 {
		t.Errorf("Sonnet has %d samples after one poll and four answers without it, want 1", n)
	}
	c.Advance(10 * time.Second)
	p.ApplyUsage("a", pollOf(t, five, five/4, 0.0525, reset))
	if wp := paceOf(t, p, "7d_sonnet"); !wp.RunsOutAt.IsZero() || wp.PerHour != 0 {
		t.Errorf("Sonnet forecast from one jump: %.2f/h, runs out %v (now %v)", wp.PerHour, wp.RunsOutAt, c.Now())
	}
	if wp := paceOf(t, p, "5h"); wp.RunsOutAt.IsZero() {
		t.Errorf("the 5-hour window's steady rise forecasts nothing: %+v", wp)
	}
}

// The screenshots' account "team": polled at start, a few requests, then
// a 429 whose headers report the 5-hour window full and the week at 25 %
// (from 17.75 % a second before). The week did not burn 7 % a second: no
// forecast for it, and no runway from it.
func TestPaceIgnoresAJumpToTheLimit(t *testing.T) {
	p, c, _ := ledgerPool(t)
	p.SetAccounts(three()[1:2]) // a alone: the runway is its own
	reset := t0.Add(3*time.Hour + 14*time.Minute)
	p.ApplyUsage("a", pollOf(t, 0.71, 0.1775, 0.08875, reset))
	c.Advance(70 * time.Second)
	for range 3 {
		p.Observe("a", http.StatusOK, answerOf(0.71, 0.1775, reset))
		c.Advance(time.Second)
	}
	h := answerOf(1, 0.25, reset)
	h.Set("anthropic-ratelimit-unified-status", "rejected")
	h.Set("anthropic-ratelimit-unified-5h-status", "rejected")
	p.Observe("a", http.StatusTooManyRequests, h)
	if wp := paceOf(t, p, "7d"); !wp.RunsOutAt.IsZero() {
		t.Errorf("week forecast from one jump: %.2f/h, runs out %v (now %v)", wp.PerHour, wp.RunsOutAt, c.Now())
	}
	if rw := p.Runway(""); !rw.RunsOutAt.IsZero() && rw.RunsOutAt.After(c.Now()) {
		t.Errorf("runway from one jump: %+v", rw)
	}
}

// A window only the poll reports, rising 2 % every five minutes for 25
// minutes (more than a weekly window's least span): a pace of 0.24 an
// hour, spent in 3 hours, well before its weekly reset.
func TestPacePollOnlyWindowRisingSteadily(t *testing.T) {
	p, c, _ := ledgerPool(t)
	reset := t0.Add(72 * time.Hour)
	u := 0.10
	for i := range 6 {
		if i > 0 {
			c.Advance(5 * time.Minute)
			u += 0.02
		}
		p.ApplyUsage("a", pollOf(t, 0.2, 0.1, u, reset))
	}
	wp := paceOf(t, p, "7d_sonnet")
	if math.Abs(wp.PerHour-0.24) > 0.001 {
		t.Fatalf("rate %v/h, want 0.24", wp.PerHour)
	}
	want := c.Now().Add(time.Duration((1 - u) / 0.24 * float64(time.Hour)))
	if d := wp.RunsOutAt.Sub(want); d < -time.Minute || d > time.Minute {
		t.Errorf("runs out %v, want about %v", wp.RunsOutAt, want)
	}
}

// A weekly window seen rising for a few minutes is not forecast: the same
// samples say something of a 5-hour window, nothing yet of a week ("Weekly
// 11 % runs out 08:55" came from a few minutes of a burst). Once the week
// has risen steadily for its least span (20 minutes), it is forecast too.
func TestWeeklyPaceNeedsALongerSpan(t *testing.T) {
	p, c, _ := ledgerPool(t)
	reset := t0.Add(4 * time.Hour)
	five, week := 0.20, 0.10
	observe := func() {
		p.Observe("a", http.StatusOK, answerOf(five, week, reset))
	}
	observe()
	for range 4 { // four minutes of a burst: 2 % of each window a minute
		c.Advance(time.Minute)
		five, week = five+0.02, week+0.02
		observe()
	}
	if wp := paceOf(t, p, "5h"); wp.RunsOutAt.IsZero() {
		t.Fatalf("the 5-hour window's four steady minutes forecast nothing: %+v", wp)
	}
	if wp := paceOf(t, p, "7d"); !wp.RunsOutAt.IsZero() || wp.PerHour != 0 {
		t.Errorf("the week forecast from four minutes: %.2f/h, runs out %v (now %v)", wp.PerHour, wp.RunsOutAt, c.Now())
	}
	for c.Now().Sub(t0) < 20*time.Minute {
		c.Advance(time.Minute)
		five, week = five+0.001, week+0.001
		observe()
	}
	if wp := paceOf(t, p, "7d"); wp.PerHour <= 0 {
		t.Errorf("the week, rising for 20 minutes, has no pace: %+v", wp)
	}
}

func TestMinSpanGrowsWithTheWindow(t *testing.T) {
	for kind, want := range map[string]time.Duration{
		KindSession: time.Minute,
		KindWeekly:  maxMinSpan,
		"7d_oi":     maxMinSpan, // an unknown kind counts as a week
	} {
		if got := minSpan(kind); got != want {
			t.Errorf("minSpan(%q) = %v, want %v", kind, got, want)
		}
	}
}

func TestSteady(t *testing.T) {
	at := func(us ...float64) []Sample {
		var s []Sample
		for i, u := range us {
			s = append(s, Sample{Time: t0.Add(time.Duration(i) * time.Minute), Utilization: u})
		}
		return s
	}
	for _, tc := range []struct {
		us   []float64
		want bool
	}{
		{[]float64{0.1, 0.1, 0.1}, true},         // nothing spent
		{[]float64{0.2, 0.1}, true},              // fell: a rate <= 0
		{[]float64{0.1, 0.2, 0.3}, true},         // two equal steps
		{[]float64{0.1, 0.11, 0.12, 0.13}, true}, // many small steps
		{[]float64{0, 0, 0, 0.05}, false},        // one jump after flats
		{[]float64{0.1, 0.3}, false},             // one step
		{[]float64{0.1, 0.101, 0.3}, false},      // a jump with a crumb before it
		{[]float64{0.44, 0.44, 0.443, 0.447}, true},
		{[]float64{0.426, 0.429, 0.432, 0.444}, true}, // a burst in one bucket
		{[]float64{0.10, 0.11, 0.12, 0.30}, false},    // a reveal after a pace
	} {
		if got := steady(at(tc.us...)); got != tc.want {
			t.Errorf("steady(%v) = %v, want %v", tc.us, got, tc.want)
		}
	}
}
