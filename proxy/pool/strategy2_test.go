package pool

import (
	"fmt"
	"testing"
	"time"
)

// weekly gives id a 7-day window at u resetting at reset, plus optionally a
// Fable-scoped one at fable.
func weekly(p *Pool, id string, u float64, reset time.Time, fable float64) {
	p.Observe(id, 200, hdr(
		"anthropic-ratelimit-unified-status", "allowed",
		"anthropic-ratelimit-unified-7d-status", "allowed",
		"anthropic-ratelimit-unified-7d-utilization", fmt.Sprint(u),
		"anthropic-ratelimit-unified-7d-reset", unix(reset),
		"anthropic-ratelimit-unified-7d_fable-status", "allowed",
		"anthropic-ratelimit-unified-7d_fable-utilization", fmt.Sprint(fable),
		"anthropic-ratelimit-unified-7d_fable-reset", unix(reset),
	))
}

func TestLeastUsedRanksByBindingWindow(t *testing.T) {
	p, _ := newPool(t, StrategyLeastUsed, three())
	in := t0.Add(48 * time.Hour)
	util(p, "a", 0.1) // a: 5h 10% ...
	weekly(p, "a", 0.9, in, 0)
	weekly(p, "b", 0.5, in, 0.95) // b: Fable nearly spent
	weekly(p, "c", 0.6, in, 0)
	// a's fullest window is its week (90%), not its 5 hours.
	if a, _ := p.Pick("", "claude-sonnet-4-5", nil); a.ID != "b" {
		t.Errorf("sonnet: picked %s, want b (binding 50%%)", a.ID)
	}
	// For Fable, b's scoped window binds at 95%.
	if a, _ := p.Pick("", "claude-fable-5", nil); a.ID != "c" {
		t.Errorf("fable: picked %s, want c (binding 60%%)", a.ID)
	}
}

func TestDrainSoonestPrefersEarliestWeeklyReset(t *testing.T) {
	p, _ := newPool(t, StrategyDrainSoonest, three())
	weekly(p, "a", 0.2, t0.Add(100*time.Hour), 0)
	weekly(p, "b", 0.7, t0.Add(20*time.Hour), 0) // fuller, but its week ends first
	weekly(p, "c", 0.1, t0.Add(60*time.Hour), 0)
	if got := pick(t, p, "s1"); got != "b" {
		t.Errorf("picked %s, want b (week resets first)", got)
	}
	// Still session-affine: once pinned, a session stays even when another
	// account's week would end sooner.
	weekly(p, "c", 0.1, t0.Add(10*time.Hour), 0)
	if got := pick(t, p, "s1"); got != "b" {
		t.Errorf("session moved to %s", got)
	}
	if got := pick(t, p, "s2"); got != "c" {
		t.Errorf("new session went to %s, want c", got)
	}
}

func TestSpreadingNeverSplitsASessionOverSubscriptions(t *testing.T) {
	for _, strategy := range []string{StrategyRoundRobin, StrategyLeastUsed} {
		t.Run(strategy, func(t *testing.T) {
			accts := append(three(),
				Account{ID: "k1", Name: "Key1", Kind: "api-key", Priority: 4},
				Account{ID: "k2", Name: "Key2", Kind: "api-key", Priority: 5})
			p, _ := newPool(t, strategy, accts)
			seen := map[string]map[string]bool{}
			for i := range 60 {
				key := fmt.Sprint("s", i%6)
				id := pick(t, p, key)
				p.AddUsage(id, int64(100+i)) // moves least-used between the keys
				if seen[key] == nil {
					seen[key] = map[string]bool{}
				}
				seen[key][id] = true
			}
			for key, ids := range seen {
				subs := 0
				for id := range ids {
					if id == "a" || id == "b" || id == "c" {
						subs++
					}
				}
				if subs > 1 {
					t.Errorf("session %s spread over %d subscription accounts: %v", key, subs, ids)
				}
			}
		})
	}
}

func TestRoundRobinStillSpreadsAPIKeys(t *testing.T) {
	p, _ := newPool(t, StrategyRoundRobin, []Account{
		{ID: "k1", Name: "Key1", Kind: "api-key"}, {ID: "k2", Name: "Key2", Kind: "api-key"},
	})
	got := map[string]int{}
	for range 4 {
		got[pick(t, p, "one-session")]++
	}
	if got["k1"] != 2 || got["k2"] != 2 {
		t.Errorf("picks %v, want API keys spread per request", got)
	}
}
