package pool

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// TestConcurrentUse hammers one pool from many goroutines; run under -race.
// Besides data races it checks that Pick only fails with its documented
// errors, never returns a paused account, and that every account serves again
// once all resets have passed (no state left wedged by interleavings).
func TestConcurrentUse(t *testing.T) {
	c := testkit.NewClock(t0)
	var changes atomic.Int64
	p, err := New(Options{Now: c.Now, OnChange: func(string) { changes.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	accts := make([]Account, 8)
	for i := range accts {
		accts[i] = Account{ID: strconv.Itoa(i), Name: "acct" + strconv.Itoa(i), Priority: i, PlanGuard: i%2 == 0}
	}
	accts[7].Paused = true
	p.SetAccounts(accts)

	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				key := "sess" + strconv.Itoa((g*7+i)%40)
				a, err := p.Pick(key, "", map[string]bool{strconv.Itoa(i % 8): i%5 == 0})
				var le *LimitedError
				if err != nil {
					if !errors.As(err, &le) && !errors.Is(err, ErrNoAccounts) {
						bad.Add(1)
					}
					continue
				}
				if s, _ := p.Status(a.ID); s.Paused {
					bad.Add(1)
				}
				switch i % 10 {
				case 0:
					limit429(p, a.ID, c.Now().Add(time.Minute))
				case 1:
					p.Observe(a.ID, 529, nil)
				case 2:
					p.Observe(a.ID, 500, nil)
				case 3:
					p.ObserveStreamError(a.ID, "overloaded_error")
				case 4:
					p.ApplyUsage(a.ID, Limits{FiveHour: Window{Utilization: 0.5}})
				default:
					util(p, a.ID, float64(i%100)/100)
					p.AddUsage(a.ID, int64(i))
				}
				if i%50 == 0 {
					c.Advance(10 * time.Second)
					p.Snapshot()
				}
				if g == 0 && i%100 == 0 {
					p.SetAccounts(accts)
					p.Import(p.Export())
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d bad picks", bad.Load())
	}
	if changes.Load() == 0 {
		t.Error("OnChange never fired")
	}
	// After every reset has passed, everything usable serves again.
	c.Advance(24 * time.Hour)
	seen := map[string]bool{}
	for i := range 100 {
		a, err := p.Pick("k"+strconv.Itoa(i), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[a.ID] = true
	}
	if len(seen) != 7 {
		t.Errorf("after all resets, %d accounts serve: %v", len(seen), seen)
	}
}

func benchPool(b *testing.B, strategy string, n int) *Pool {
	b.Helper()
	p, err := New(Options{Strategy: strategy})
	if err != nil {
		b.Fatal(err)
	}
	accts := make([]Account, n)
	for i := range accts {
		accts[i] = Account{ID: fmt.Sprintf("acct-%02d", i), Name: fmt.Sprintf("Account %02d", i), Kind: "oauth", Priority: i % 3, PlanGuard: true}
	}
	p.SetAccounts(accts)
	// Give them distinct utilizations, as a running pool has.
	for i, a := range accts {
		p.Observe(a.ID, 200, http.Header{
			"Anthropic-Ratelimit-Unified-5h-Utilization": {strconv.FormatFloat(float64(i%7)/10, 'f', 2, 64)},
		})
	}
	return p
}

// sessionKeys are the keys benchmarks cycle through: many concurrent
// conversations, as a team sharing one Sluice would have.
func sessionKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("session-%016x", i*7919)
	}
	return keys
}

var benchCases = []struct {
	strategy string
	accounts int
	keys     int
}{
	{"session", 3, 1000},
	{"session", 20, 1000},
	{"priority", 3, 1},
	{"priority", 20, 1},
	{"round-robin", 20, 1},
	{"least-used", 20, 1},
}

func BenchmarkPick(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(fmt.Sprintf("%s/accounts=%d", bc.strategy, bc.accounts), func(b *testing.B) {
			p := benchPool(b, bc.strategy, bc.accounts)
			keys := sessionKeys(bc.keys)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := p.Pick(keys[i%len(keys)], "", nil); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkPickParallel(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(fmt.Sprintf("%s/accounts=%d", bc.strategy, bc.accounts), func(b *testing.B) {
			p := benchPool(b, bc.strategy, bc.accounts)
			keys := sessionKeys(bc.keys)
			var seed atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(1)) * 104729
				for pb.Next() {
					if _, err := p.Pick(keys[i%len(keys)], "", nil); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}

// BenchmarkObserve is the other per-request call: parsing a full header set.
func BenchmarkObserve(b *testing.B) {
	p := benchPool(b, "session", 3)
	h := overage(time.Now().Add(time.Hour))
	h.Set("anthropic-ratelimit-unified-overage-status", "rejected")
	b.ReportAllocs()
	for b.Loop() {
		p.Observe("acct-01", 200, h)
	}
}

// BenchmarkObserveAPIKey observes an API key's answers, whose per-minute
// headers change on every answer (remaining counts down), as in the load
// harness: the header cache never hits and each answer is merged.
func BenchmarkObserveAPIKey(b *testing.B) {
	p := benchPool(b, "session", 3)
	reset := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	hs := make([]http.Header, 64)
	for i := range hs {
		hs[i] = http.Header{}
		for _, tier := range []string{"requests", "tokens", "input-tokens", "output-tokens"} {
			hs[i].Set("anthropic-ratelimit-"+tier+"-limit", "4000000")
			hs[i].Set("anthropic-ratelimit-"+tier+"-remaining", strconv.Itoa(3999000-i*1000))
			hs[i].Set("anthropic-ratelimit-"+tier+"-reset", reset)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Observe("acct-01", 200, hs[i%len(hs)])
		i++
	}
}
