package pool

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
)

// checkLimits fails when parsed limits hold what no caller can handle: a
// window without a kind, a non-finite or negative utilization, or a value
// that cannot be saved (Export marshals it).
func checkLimits(t *testing.T, l Limits) {
	t.Helper()
	for _, w := range l.Windows {
		if w.Kind == "" {
			t.Errorf("window without kind: %+v", w)
		}
		if math.IsNaN(w.Utilization) || math.IsInf(w.Utilization, 0) || w.Utilization < 0 {
			t.Errorf("utilization %v in %+v", w.Utilization, w)
		}
	}
	if _, err := json.Marshal(l); err != nil {
		t.Errorf("limits not savable: %v", err)
	}
}

func FuzzParseUsage(f *testing.F) {
	f.Add([]byte(limitsOnly(t0.Add(3600e9))))
	f.Add([]byte(`{"five_hour":{"utilization":42.5,"resets_at":"2026-03-01T14:00:00Z"},"seven_day":null,"seven_day_opus":{"utilization":"x"}}`))
	f.Add([]byte(`{"limits":[{"kind":"weekly_scoped","utilization":1e308,"scope":{"model":{"id":"claude-opus-4"}}},{"kind":""},7,null]}`))
	f.Add([]byte(`{"limits":{"kind":"session"},"spend":[1]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := ParseUsage(body)
		if err != nil {
			return
		}
		checkLimits(t, l)
		// A parsed poll must apply and pick cleanly.
		p, _ := newPool(t, StrategyLeastUsed, three())
		p.ApplyUsage("a", l)
		if _, err := p.Pick("s", "claude-fable-5", nil); err != nil && !strings.Contains(err.Error(), "pool:") {
			t.Errorf("pick: %v", err)
		}
	})
}

// FuzzObserveHeaders feeds header sets, one "name: value" per line.
func FuzzObserveHeaders(f *testing.F) {
	f.Add(429, "anthropic-ratelimit-unified-status: rejected\nanthropic-ratelimit-unified-7d_oi-status: rejected\nanthropic-ratelimit-unified-7d_oi-reset: 1772388000")
	f.Add(200, "anthropic-ratelimit-unified-5h-utilization: 0.5\nanthropic-ratelimit-unified-x-y-z-reset: 1e400\nretry-after: -1")
	f.Add(400, "anthropic-ratelimit-unified--status: rejected\nanthropic-ratelimit-unified-7d-utilization: NaN")
	f.Fuzz(func(t *testing.T, status int, raw string) {
		h := http.Header{}
		for _, line := range strings.Split(raw, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		l, _ := ParseHeaders(h, t0)
		checkLimits(t, l)
		p, _ := newPool(t, StrategyDrainSoonest, three())
		p.Observe("a", status, h)
		s, _ := p.Status("a")
		checkLimits(t, s.Limits)
		if s.State == StateLimited && s.LimitedUntil.Sub(t0) > maxResetAhead {
			t.Errorf("benched %v ahead", s.LimitedUntil.Sub(t0))
		}
		_, _ = p.Pick("s", "claude-opus-4-1", nil)
	})
}
