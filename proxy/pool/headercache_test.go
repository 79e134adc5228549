package pool

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The cached parse answers exactly what a fresh parse would, step by step
// through a sequence that repeats headers, changes one value, reorders
// them, carries a Retry-After, crosses a reset, brings a far-ahead reset
// into range and moves the clock back.
func TestParseHeadersCachedEqualsFreshParse(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	reset := t0.Add(1500 * time.Millisecond)
	far := t0.Add(maxResetAhead + 500*time.Millisecond) // believable only after t0+0.5s
	base := func(util string) http.Header {
		return hdr("anthropic-ratelimit-unified-status", "allowed",
			"anthropic-ratelimit-unified-5h-utilization", util,
			"anthropic-ratelimit-unified-5h-reset", unix(reset),
			"anthropic-ratelimit-unified-7d-reset", unix(far),
			"anthropic-ratelimit-requests-limit", "50",
			"anthropic-ratelimit-requests-reset", reset.Format(time.RFC3339),
			"content-type", "application/json")
	}
	withRetry := base("0.5")
	withRetry.Set("Retry-After", "Mon, 02 Mar 2026 12:00:00 GMT")
	steps := []struct {
		at time.Duration
		h  http.Header
	}{
		{0, base("0.5")},
		{100 * time.Millisecond, base("0.5")}, // unchanged: reused
		{200 * time.Millisecond, base("0.6")}, // a value changed
		{300 * time.Millisecond, base("0.6")},
		{400 * time.Millisecond, withRetry},
		{450 * time.Millisecond, withRetry},
		{700 * time.Millisecond, base("0.6")}, // the far reset is now within maxResetAhead
		{1400 * time.Millisecond, base("0.6")},
		{1600 * time.Millisecond, base("0.6")}, // the 5h and requests resets have passed
		{1700 * time.Millisecond, base("0.6")},
		{1000 * time.Millisecond, base("0.6")}, // the clock went back
		{5 * time.Second, base("0.6")},
	}
	for i, s := range steps {
		now := t0.Add(s.at)
		got, gotMask := p.parseHeadersCached("a", s.h, now)
		want, wantMask := parseHeaders(s.h, now)
		if g, w := fmt.Sprintf("%d %+v", gotMask, got), fmt.Sprintf("%d %+v", wantMask, want); g != w {
			t.Errorf("step %d (t0+%v): cached\n%s\nfresh\n%s", i, s.at, g, w)
		}
	}
	// Another account's answers neither use nor spoil a's parse.
	other := hdr("anthropic-ratelimit-unified-status", "rejected")
	if l, _ := p.parseHeadersCached("b", other, t0.Add(5*time.Second)); l.Status != "rejected" {
		t.Errorf("account b: status %q, want rejected", l.Status)
	}
	if l, _ := p.parseHeadersCached("a", base("0.6"), t0.Add(5*time.Second+time.Millisecond)); l.Status != "allowed" {
		t.Errorf("account a after b: status %q, want allowed", l.Status)
	}
}

// The hash ignores the order of the headers and everything but the limit
// headers, and sees a change in any of their values.
func TestLimitHeadersSum(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := hdr("anthropic-ratelimit-unified-5h-utilization", "0.5", "anthropic-ratelimit-unified-7d-utilization", "0.1", "x-request-id", "1")
	b := hdr("x-request-id", "2", "anthropic-ratelimit-unified-7d-utilization", "0.1", "anthropic-ratelimit-unified-5h-utilization", "0.5")
	c := hdr("anthropic-ratelimit-unified-5h-utilization", "0.1", "anthropic-ratelimit-unified-7d-utilization", "0.5")
	sa, oka := limitHeadersSum(p.hdrSeed, a)
	sb, okb := limitHeadersSum(p.hdrSeed, b)
	sc, _ := limitHeadersSum(p.hdrSeed, c)
	if !oka || !okb || sa != sb {
		t.Errorf("same limit headers: %x/%v vs %x/%v", sa, oka, sb, okb)
	}
	if sa == sc {
		t.Errorf("swapped values hash alike: %x", sa)
	}
	if _, ok := limitHeadersSum(p.hdrSeed, hdr("retry-after", "5")); ok {
		t.Error("a Retry-After was cacheable")
	}
}

// Removing an account drops its cached parse, so the cache holds no more
// entries than there are accounts.
func TestSetAccountsDropsRemovedParses(t *testing.T) {
	p, err := New(Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	p.SetAccounts([]Account{{ID: "a", Name: "a"}, {ID: "b", Name: "b"}})
	h := hdr("anthropic-ratelimit-unified-status", "allowed")
	p.Observe("a", 200, h)
	p.Observe("b", 200, h)
	p.SetAccounts([]Account{{ID: "b", Name: "b"}})
	if _, ok := p.parsed.Load("a"); ok {
		t.Error("removed account a still has a cached parse")
	}
	if _, ok := p.parsed.Load("b"); !ok {
		t.Error("kept account b lost its cached parse")
	}
}
