package pool

import (
	"testing"
	"time"
)

func TestExportImportRoundtrip(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	reset := t0.Add(3 * time.Hour)
	limit429(p, "a", reset)
	p.Observe("b", 529, nil)
	p.Observe("b", 529, nil) // backoff level 2
	p.AddUsage("c", 1234)
	p.Observe("c", 200, hdr("anthropic-ratelimit-unified-7d_oi-utilization", "0.27"))
	saved := p.Export()
	if len(saved) != 3 {
		t.Fatalf("exported %d accounts", len(saved))
	}

	for _, order := range []string{"import first", "accounts first"} {
		t.Run(order, func(t *testing.T) {
			q, _ := newPool(t, "priority", nil)
			if order == "import first" {
				q.Import(saved)
				q.SetAccounts(three())
			} else {
				q.SetAccounts(three())
				q.Import(saved)
			}
			sa, _ := q.Status("a")
			if sa.State != StateLimited || !sa.LimitedUntil.Equal(reset) || sa.Reason != "5-hour limit reached" {
				t.Errorf("a: %+v", sa)
			}
			if sa.Limits.FiveHour.Utilization != 1 {
				t.Errorf("a limits lost: %+v", sa.Limits)
			}
			if id := pick(t, q, ""); id != "c" {
				t.Errorf("picked %s, want c (a limited, b backing off)", id)
			}
			// Backoff level survived: the next backoff is the third step.
			sb, _ := q.Status("b")
			q.Observe("b", 529, nil)
			sb2, _ := q.Status("b")
			if d := sb2.LimitedUntil.Sub(t0); d < 2*time.Second || d > 4*time.Second {
				t.Errorf("b backoff after import %v (was until %v)", d, sb.LimitedUntil)
			}
			sc, _ := q.Status("c")
			if sc.WindowTokens != 1234 || sc.Limits.SevenDayOpus.Utilization != 0 || len(sc.Limits.Windows) != 1 || sc.Limits.Windows[0].Utilization != 0.27 {
				t.Errorf("c: %+v", sc)
			}
		})
	}
}

func TestImportToleratesGarbage(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	p.Import(map[string][]byte{
		"a":  []byte(`{"until":`),
		"b":  []byte(`"just a string"`),
		"c":  []byte(`{"until":"` + t0.Add(40*24*time.Hour).Format(time.RFC3339) + `","reason":"x","backoff":9999}`),
		"":   []byte(`{}`),
		"zz": nil,
	})
	for _, s := range p.Snapshot() {
		if s.State != StateOK {
			t.Errorf("%s: %v until %v", s.ID, s.State, s.LimitedUntil)
		}
	}
	// The absurd backoff level was clamped, not trusted.
	p.Observe("c", 529, nil)
	if s, _ := p.Status("c"); s.LimitedUntil.Sub(t0) > 30*time.Minute {
		t.Errorf("backoff %v beyond the cap", s.LimitedUntil.Sub(t0))
	}
	if id := pick(t, p, ""); id != "a" {
		t.Errorf("picked %s", id)
	}
}
