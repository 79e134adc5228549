package pool

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The cached parse answers exactly what a fresh parse would, step by step
// through a sequence that repeats headers, changes one value, carries a
// Retry-After, reaches a reset while a parse is being reused, and moves the
// clock back before a reset a later parse had dropped. Resets carry
// milliseconds, so each guard decides a step.
func TestParseHeadersCachedEqualsFreshParse(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	reset := t0.Add(1500 * time.Millisecond)
	far := t0.Add(maxResetAhead + 10*time.Second) // never believable in these steps
	base := func(util string) http.Header {
		return hdr("anthropic-ratelimit-unified-status", "allowed",
			"anthropic-ratelimit-unified-5h-utilization", util,
			"anthropic-ratelimit-unified-5h-reset", unixMilli(reset),
			"anthropic-ratelimit-unified-7d-reset", unixMilli(far),
			"anthropic-ratelimit-requests-limit", "50",
			"anthropic-ratelimit-requests-reset", reset.Format(time.RFC3339Nano),
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
		{600 * time.Millisecond, base("0.7")},  // parsed here, reusable until the reset at 1.5 s
		{1550 * time.Millisecond, base("0.7")}, // the resets have passed: reuse would keep them
		{1700 * time.Millisecond, base("0.7")}, // parsed at 1.55 s without them: reused
		{1000 * time.Millisecond, base("0.7")}, // the clock went back before the reset
		{5 * time.Second, base("0.7")},
	}
	for i, s := range steps {
		now := t0.Add(s.at)
		got, gotMask, _, _ := p.parseHeadersCached("a", s.h, now)
		want, wantMask := parseHeaders(s.h, now)
		if g, w := fmt.Sprintf("%d %+v", gotMask, got), fmt.Sprintf("%d %+v", wantMask, want); g != w {
			t.Errorf("step %d (t0+%v): cached\n%s\nfresh\n%s", i, s.at, g, w)
		}
	}
	// Another account's answers neither use nor spoil a's parse.
	other := hdr("anthropic-ratelimit-unified-status", "rejected")
	if l, _, _, _ := p.parseHeadersCached("b", other, t0.Add(5*time.Second)); l.Status != "rejected" {
		t.Errorf("account b: status %q, want rejected", l.Status)
	}
	if l, _, _, _ := p.parseHeadersCached("a", base("0.6"), t0.Add(5*time.Second+time.Millisecond)); l.Status != "allowed" {
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

// A reset more than maxResetAhead away is dropped by the parse; once it
// comes within range, a reused parse may miss it for at most
// headerCacheLife, never longer.
func TestParseHeadersCachedPicksUpAFarResetWithinItsLife(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	far := t0.Add(maxResetAhead + 300*time.Millisecond)
	h := hdr("anthropic-ratelimit-unified-status", "allowed", "anthropic-ratelimit-unified-7d-reset", unixMilli(far))
	if l, _, _, _ := p.parseHeadersCached("a", h, t0); !l.SevenDay.ResetsAt.IsZero() {
		t.Fatalf("a reset past %v was believed: %v", maxResetAhead, l.SevenDay.ResetsAt)
	}
	after := t0.Add(headerCacheLife + time.Millisecond)
	if l, _, _, _ := p.parseHeadersCached("a", h, after); l.SevenDay.ResetsAt.IsZero() || l.SevenDay.ResetsAt.Sub(far).Abs() > time.Millisecond {
		t.Errorf("one cache life later the reset in range is still missing: %v", l.SevenDay.ResetsAt)
	}
}

// unixMilli is t as Unix seconds with milliseconds, as a reset header may be.
func unixMilli(t time.Time) string { return fmt.Sprintf("%d.%03d", t.Unix(), t.Nanosecond()/1e6) }

// Observing the same limit headers again skips the merge (no new copy of
// the windows) yet leaves exactly the limits a merge would: step by step,
// the account's limits equal its previous limits merged with a fresh
// parse, including after a usage poll changed them between two answers
// with the same headers (the merge must run again then).
func TestObserveSkipsMergingUnchangedHeaders(t *testing.T) {
	p, c := newPool(t, "", three())
	h := hdr("anthropic-ratelimit-unified-status", "allowed",
		"anthropic-ratelimit-unified-5h-utilization", "0.4",
		"anthropic-ratelimit-unified-5h-reset", unix(t0.Add(time.Hour)),
		"anthropic-ratelimit-unified-7d-utilization", "0.2",
		"anthropic-ratelimit-unified-7d-reset", unix(t0.Add(50*time.Hour)))
	poll := Limits{Windows: []Window{{Name: "5h", Kind: KindSession, Utilization: 0.9, ResetsAt: t0.Add(time.Hour)}}}
	steps := []struct {
		h      http.Header
		poll   bool // ApplyUsage(poll) before the answer
		copies bool // the merge must run: a new copy of the windows
	}{
		{h, false, true},
		{h, false, false}, // unchanged: skipped
		{h, false, false},
		{h, true, true}, // the poll set the limits in between
		{h, false, false},
		{hdr("anthropic-ratelimit-unified-5h-utilization", "0.5"), false, true},
		{h, false, true},
	}
	for i, s := range steps {
		c.Advance(100 * time.Millisecond)
		if s.poll {
			p.ApplyUsage("a", poll)
		}
		p.mu.Lock()
		before := p.byID["a"].limits
		p.mu.Unlock()
		l, mask := parseHeaders(s.h, c.Now())
		want := before.merge(l, mask)
		p.Observe("a", 200, s.h)
		p.mu.Lock()
		got := p.byID["a"].limits
		p.mu.Unlock()
		if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
			t.Errorf("step %d: limits\n%s\nwant (a merge)\n%s", i, g, w)
		}
		copied := len(before.Windows) == 0 || &got.Windows[0] != &before.Windows[0]
		if copied != s.copies {
			t.Errorf("step %d: windows copied %v, want %v", i, copied, s.copies)
		}
	}
}
