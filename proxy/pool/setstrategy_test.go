package pool

import (
	"testing"
	"time"
)

// SetSessionTTL keeps the pins and judges them by the new TTL: shortened
// below a session's idle time, the session picks afresh.
func TestSetSessionTTLKeepsPinsAndShortens(t *testing.T) {
	p, c := newPool(t, StrategySession, three())
	first := pick(t, p, "conv")
	pick(t, p, "other")            // another account now has a pin too
	p.SetSessionTTL(2 * time.Hour) // from the default 5h
	if pn := p.strategy.(*sessionStrategy).pins["conv"]; pn.id != first || !pn.expires.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after SetSessionTTL(2h) the pin is %+v, want %s until t0+2h", pn, first)
	}
	c.Advance(90 * time.Minute)
	if id := pick(t, p, "conv"); id != first {
		t.Fatalf("after SetSessionTTL(2h) the session moved from %s to %s within its window", first, id)
	}
	p.SetSessionTTL(10 * time.Minute)
	c.Advance(20 * time.Minute)
	pick(t, p, "sweep")
	if _, ok := p.strategy.(*sessionStrategy).pins["conv"]; ok {
		t.Error("a pin idle past the shortened TTL is still held")
	}
}

// SetStrategy swaps the strategy for the next pick and refuses unknown names
// without changing anything.
func TestSetStrategySwapsAndRefusesUnknown(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	if id := pick(t, p, ""); id != "a" {
		t.Fatalf("priority picked %s", id)
	}
	if err := p.SetStrategy("random", time.Hour); err == nil {
		t.Fatal("an unknown strategy was accepted")
	}
	if id := pick(t, p, ""); id != "a" {
		t.Fatalf("after a refused SetStrategy the pool picked %s", id)
	}
	if err := p.SetStrategy(StrategyRoundRobin, time.Hour); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 3 {
		seen[pick(t, p, "")] = true
	}
	if len(seen) != 3 {
		t.Fatalf("round-robin after the swap used %v", seen)
	}
}
