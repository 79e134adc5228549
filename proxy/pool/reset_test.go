package pool

import (
	"net/http"
	"testing"
	"time"
)

// EarliestReset counts only the accounts asked about, and a model-scoped
// bench only for its own family.
func TestEarliestResetAmongSomeAccounts(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	limit429(p, "a", t0.Add(3*time.Hour))
	limit429(p, "b", t0.Add(10*time.Minute)) // the earliest of all
	p.ObserveFor("c", "claude-fable-5", http.StatusTooManyRequests, fableRejected(t0.Add(time.Hour)))
	notB := map[string]bool{"a": true, "c": true}

	if until, id := p.EarliestReset("claude-fable-5", nil); id != "b" || !until.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("all accounts, fable: %v from %q, want b's reset", until, id)
	}
	if until, id := p.EarliestReset("claude-fable-5", notB); id != "c" || !until.Equal(t0.Add(time.Hour)) {
		t.Errorf("a and c, fable: %v from %q, want c's Fable bench", until, id)
	}
	// c's bench is for Fable only: for Sonnet, a is the only one limited.
	if until, id := p.EarliestReset("claude-sonnet-4-5", notB); id != "a" || !until.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("a and c, sonnet: %v from %q, want a's reset", until, id)
	}
	if until, id := p.EarliestReset("claude-sonnet-4-5", map[string]bool{"c": true}); !until.IsZero() || id != "" {
		t.Errorf("c alone, sonnet: %v from %q, want none", until, id)
	}
}
