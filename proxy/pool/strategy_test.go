package pool

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// three is the usual test pool: a (priority 1), b (2), c (3).
func three() []Account {
	return []Account{
		{ID: "c", Name: "Carol", Kind: "oauth", Priority: 3},
		{ID: "a", Name: "Alice", Kind: "oauth", Priority: 1},
		{ID: "b", Name: "Bob", Kind: "oauth", Priority: 2},
	}
}

func newPool(t testing.TB, strategy string, accts []Account) (*Pool, *testkit.Clock) {
	t.Helper()
	c := testkit.NewClock(t0)
	p, err := New(Options{Strategy: strategy, Now: c.Now, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	p.SetAccounts(accts)
	return p, c
}

func pick(t *testing.T, p *Pool, key string, exclude ...string) string {
	t.Helper()
	ex := map[string]bool{}
	for _, id := range exclude {
		ex[id] = true
	}
	a, err := p.Pick(key, "", ex)
	if err != nil {
		t.Fatalf("Pick(%q): %v", key, err)
	}
	return a.ID
}

// limit429 is a 429 with a rejected 5-hour window resetting at reset.
func limit429(p *Pool, id string, reset time.Time) Verdict {
	return p.Observe(id, http.StatusTooManyRequests, hdr(
		"anthropic-ratelimit-unified-status", "rejected",
		"anthropic-ratelimit-unified-reset", unix(reset),
		"anthropic-ratelimit-unified-5h-status", "rejected",
		"anthropic-ratelimit-unified-5h-utilization", "1",
		"anthropic-ratelimit-unified-5h-reset", unix(reset),
	))
}

func util(p *Pool, id string, u float64) {
	p.Observe(id, 200, hdr("anthropic-ratelimit-unified-status", "allowed",
		"anthropic-ratelimit-unified-5h-utilization", fmt.Sprint(u),
		"anthropic-ratelimit-unified-5h-reset", unix(t0.Add(4*time.Hour))))
}

func TestNewUnknownStrategy(t *testing.T) {
	_, err := New(Options{Strategy: "random"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{"session", "priority", "round-robin", "least-used"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not list %s", err, s)
		}
	}
}

func TestStrategies(t *testing.T) {
	tests := []struct {
		strategy string
		setup    func(p *Pool)
		keys     []string // one pick per key
		want     []string
	}{
		{"priority", nil, []string{"", "", "x"}, []string{"a", "a", "a"}},
		{"priority", func(p *Pool) { limit429(p, "a", t0.Add(time.Hour)) }, []string{"", ""}, []string{"b", "b"}},
		{"round-robin", nil, []string{"", "", "", "", "k"}, []string{"a", "b", "c", "a", "b"}},
		{"least-used", func(p *Pool) { util(p, "a", 0.7); util(p, "b", 0.2); util(p, "c", 0.5) }, []string{"", "s"}, []string{"b", "b"}},
		{"least-used", func(p *Pool) { util(p, "a", 0.3); util(p, "b", 0.3); util(p, "c", 0.3) }, []string{""}, []string{"a"}},
		{"least-used", func(p *Pool) { // equal utilization: local token counts decide
			p.AddUsage("a", 500)
			p.AddUsage("b", 100)
			p.AddUsage("c", 300)
		}, []string{""}, []string{"b"}},
		// session: new sessions spread (fewest pins first), then stick
		{"session", nil, []string{"s1", "s2", "s3", "s4", "s1", "s2", "s3"}, []string{"a", "b", "c", "a", "a", "b", "c"}},
		// session: utilization breaks ties between equally loaded accounts
		{"session", func(p *Pool) { util(p, "a", 0.9); util(p, "b", 0.1); util(p, "c", 0.5) }, []string{"s1", "s2", "s3"}, []string{"b", "c", "a"}},
		// session: accounts with a warning get new sessions last
		{"session", func(p *Pool) {
			p.Observe("a", 200, hdr("anthropic-ratelimit-unified-status", "allowed_warning"))
		}, []string{"s1", "s2", "s3"}, []string{"b", "c", "b"}},
		// session: an empty key is never pinned
		{"session", nil, []string{"", "", ""}, []string{"a", "a", "a"}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.strategy, i), func(t *testing.T) {
			p, _ := newPool(t, tt.strategy, three())
			if tt.setup != nil {
				tt.setup(p)
			}
			var got []string
			for _, k := range tt.keys {
				got = append(got, pick(t, p, k))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("picks %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPickSkips(t *testing.T) {
	tests := []struct {
		name    string
		accts   []Account
		exclude []string
		want    string
		wantErr error
	}{
		{"exclude", three(), []string{"a"}, "b", nil},
		{"exclude two", three(), []string{"a", "b"}, "c", nil},
		{"paused", []Account{{ID: "a", Priority: 1, Paused: true}, {ID: "b", Priority: 2}}, nil, "b", nil},
		{"needs login", []Account{{ID: "a", Priority: 1, NeedsLogin: true}, {ID: "b", Priority: 2}}, nil, "b", nil},
		{"no accounts", nil, nil, "", ErrNoAccounts},
		{"all excluded", three(), []string{"a", "b", "c"}, "", ErrNoAccounts},
		{"all paused or logged out", []Account{{ID: "a", Paused: true}, {ID: "b", NeedsLogin: true}}, nil, "", ErrNoAccounts},
	}
	for _, strategy := range []string{"session", "priority", "round-robin", "least-used"} {
		for _, tt := range tests {
			t.Run(strategy+"/"+tt.name, func(t *testing.T) {
				p, _ := newPool(t, strategy, tt.accts)
				ex := map[string]bool{}
				for _, id := range tt.exclude {
					ex[id] = true
				}
				a, err := p.Pick("sess", "", ex)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if a.ID != tt.want {
					t.Errorf("picked %q, want %q", a.ID, tt.want)
				}
			})
		}
	}
}

func TestLimitedSkippedUntilReset(t *testing.T) {
	for _, strategy := range []string{"session", "priority", "round-robin", "least-used"} {
		t.Run(strategy, func(t *testing.T) {
			p, c := newPool(t, strategy, three())
			reset := t0.Add(time.Hour)
			if v := limit429(p, "a", reset); v != Failover {
				t.Fatalf("verdict %v", v)
			}
			for range 6 {
				if id := pick(t, p, ""); id == "a" {
					t.Fatal("picked the limited account")
				}
			}
			if s, _ := p.Status("a"); s.State != StateLimited || !s.LimitedUntil.Equal(reset) {
				t.Fatalf("status %+v", s)
			}
			c.Advance(time.Hour) // exactly at the reset
			seen := false
			for range 6 {
				seen = seen || pick(t, p, "") == "a"
			}
			if !seen {
				t.Error("account not chosen again after its reset")
			}
			if s, _ := p.Status("a"); s.State != StateOK {
				t.Errorf("state after reset %v", s.State)
			}
		})
	}
}

func TestAllLimited(t *testing.T) {
	p, c := newPool(t, "session", append(three(), Account{ID: "d", Priority: 4, Paused: true}))
	limit429(p, "a", t0.Add(3*time.Hour))
	limit429(p, "b", t0.Add(40*time.Minute))
	limit429(p, "c", t0.Add(2*time.Hour))
	_, err := p.Pick("s", "", nil)
	var le *LimitedError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	if !le.Until.Equal(t0.Add(40*time.Minute)) || le.AccountID != "b" {
		t.Errorf("until %v (%s), want +40m (b)", le.Until, le.AccountID)
	}
	// One limited and the rest excluded: still limited, not "no accounts".
	c.Advance(time.Hour)
	limit429(p, "b", t0.Add(2*time.Hour))
	if _, err := p.Pick("s", "", map[string]bool{"c": true}); !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	c.Advance(2 * time.Hour)
	if id := pick(t, p, "s"); id == "d" {
		t.Errorf("picked paused account")
	}
}

func TestSessionAffinity(t *testing.T) {
	p, _ := newPool(t, "session", three())
	first := pick(t, p, "conv-1")
	other := pick(t, p, "conv-2")
	if other == first {
		t.Fatalf("second session landed on the same account %s", first)
	}
	// Its account filling up does not move a live session: the prompt cache
	// there is worth more than a lower utilization elsewhere.
	util(p, first, 0.95)
	for i := range 20 {
		if id := pick(t, p, "conv-1"); id != first {
			t.Fatalf("pick %d moved conv-1 from %s to %s", i, first, id)
		}
		if id := pick(t, p, "conv-2"); id != other {
			t.Fatalf("pick %d moved conv-2 from %s to %s", i, other, id)
		}
	}
}

func TestSessionMovesWhenLimitedAndStays(t *testing.T) {
	p, c := newPool(t, "session", three())
	first := pick(t, p, "conv")
	limit429(p, first, t0.Add(time.Hour))
	moved := pick(t, p, "conv")
	if moved == first {
		t.Fatal("session stayed on a limited account")
	}
	c.Advance(2 * time.Hour) // the first account is usable again: stay warm where we are
	if id := pick(t, p, "conv"); id != moved {
		t.Errorf("session went back to %s; want it to stay on %s", id, moved)
	}
	// Failover exclusion moves it too.
	if id := pick(t, p, "conv", moved); id == moved {
		t.Error("excluded account chosen")
	}
}

func TestSessionTTLSliding(t *testing.T) {
	c := testkit.NewClock(t0)
	p, _ := New(Options{SessionTTL: time.Hour, Now: c.Now})
	p.SetAccounts(three())
	first := pick(t, p, "conv")
	for range 5 { // used every 50 minutes: the pin slides and never expires
		c.Advance(50 * time.Minute)
		if id := pick(t, p, "conv"); id != first {
			t.Fatalf("session moved to %s while in use", id)
		}
	}
	// Idle past the TTL: the pin is gone, so the session counts as new and
	// no longer weighs on its old account.
	pick(t, p, "other") // lands on a different account (first is loaded)
	c.Advance(2 * time.Hour)
	s := p.strategy.(*sessionStrategy)
	pick(t, p, "trigger-sweep")
	if _, ok := s.pins["conv"]; ok {
		t.Error("expired pin not swept")
	}
	if s.active[first] > 1 {
		t.Errorf("active[%s] = %d after expiry", first, s.active[first])
	}
}

func TestSetAccountsKeepsState(t *testing.T) {
	p, _ := newPool(t, "priority", three())
	limit429(p, "a", t0.Add(time.Hour))
	p.SetAccounts([]Account{{ID: "a", Name: "Alice", Priority: 1}, {ID: "c", Name: "Carol", Priority: 3}})
	if id := pick(t, p, ""); id != "c" {
		t.Errorf("picked %s, want c (a still limited, b removed)", id)
	}
	if _, ok := p.Status("b"); ok {
		t.Error("removed account still has a status")
	}
	p.SetAccounts([]Account{{ID: "a", Priority: 1}, {ID: "c", Priority: 3}, {ID: "b", Priority: 0}})
	if id := pick(t, p, ""); id != "b" {
		t.Errorf("picked %s, want re-added b with priority 0", id)
	}
	snap := p.Snapshot()
	var ids []string
	for _, s := range snap {
		ids = append(ids, s.ID)
	}
	if fmt.Sprint(ids) != "[b a c]" {
		t.Errorf("snapshot order %v", ids)
	}
}

func TestSnapshotOrderTiesByName(t *testing.T) {
	p, _ := newPool(t, "priority", []Account{
		{ID: "3", Name: "Zed", Priority: 1}, {ID: "2", Name: "Amy", Priority: 1}, {ID: "1", Name: "Max", Priority: 0},
	})
	var names []string
	for _, s := range p.Snapshot() {
		names = append(names, s.Name)
	}
	if fmt.Sprint(names) != "[Max Amy Zed]" {
		t.Errorf("%v", names)
	}
	if id := pick(t, p, ""); id != "1" {
		t.Errorf("picked %s", id)
	}
}

// firstLast is a custom strategy: always the last candidate.
type firstLast struct{}

func (firstLast) Choose(c []Candidate, _ string) int { return len(c) - 1 }

func TestCustomStrategy(t *testing.T) {
	p, _ := New(Options{Custom: firstLast{}, Now: func() time.Time { return t0 }})
	p.SetAccounts(three())
	if a, _ := p.Pick("", "", nil); a.ID != "c" {
		t.Errorf("picked %s", a.ID)
	}
}

// A request that failed over from limited accounts (they are in its
// exclude set) must still learn when the first one frees up.
func TestExcludedLimitedAccountsGiveLimitedError(t *testing.T) {
	p, _ := newPool(t, StrategyPriority, three())
	resets := map[string]time.Time{"a": t0.Add(3 * time.Hour), "b": t0.Add(time.Hour), "c": t0.Add(2 * time.Hour)}
	for id, r := range resets {
		limit429(p, id, r)
	}
	_, err := p.Pick("k", "", map[string]bool{"a": true, "b": true, "c": true})
	var le *LimitedError
	if !errors.As(err, &le) || !le.Until.Equal(resets["b"]) || le.AccountID != "b" {
		t.Fatalf("Pick with all limited accounts excluded: %v", err)
	}
	// Excluded for another reason (not limited): no usable account.
	q, _ := newPool(t, StrategyPriority, three())
	if _, err := q.Pick("k", "", map[string]bool{"a": true, "b": true, "c": true}); !errors.Is(err, ErrNoAccounts) {
		t.Fatalf("all excluded, none limited: %v", err)
	}
}
