package pool

import (
	"fmt"
	"time"
)

// Strategy chooses among the accounts that can serve right now.
//
// Choose gets the usable candidates — never paused, limited, needing login
// or excluded — ordered by priority, then name, then id, and returns the
// index of the one to use (an index out of range means the first). It is
// called with the pool's lock held: it must be quick, must not call the Pool
// and must not keep cands, whose backing array is reused.
type Strategy interface {
	Choose(cands []Candidate, sessionKey string) int
}

// Candidate is what a Strategy knows of a usable account.
type Candidate struct {
	Account
	// Warning: Anthropic flagged the account as near a limit, or it is
	// drawing extra usage. Prefer others for new work.
	Warning bool
	// FiveHour is the 5-hour utilization (0..1), 0 once that window reset or
	// when unknown (API-key accounts).
	FiveHour float64
	// Binding is the highest utilization (0..1) over the live windows that
	// apply to the request's model: the window that stops the account first.
	Binding float64
	// WeeklyReset is the earliest reset of a weekly window that applies to
	// the request's model; zero when unknown.
	WeeklyReset                  time.Time
	WindowRequests, WindowTokens int64
	LastUsed                     time.Time
}

// Strategy names accepted by Options.Strategy.
const (
	StrategySession    = "session"
	StrategyPriority   = "priority"
	StrategyRoundRobin = "round-robin"
	StrategyLeastUsed  = "least-used"
	// StrategyDrainSoonest prefers the account whose weekly window resets
	// first (use it or lose it), session-affine.
	StrategyDrainSoonest = "drain-soonest"
)

func newStrategy(name string, ttl time.Duration, now func() time.Time) (Strategy, error) {
	switch name {
	case "", StrategySession:
		return newSessionStrategy(ttl, now), nil
	case StrategyPriority:
		return priorityStrategy{}, nil
	case StrategyRoundRobin:
		return subscriptionAffine(&roundRobinStrategy{}, ttl, now), nil
	case StrategyLeastUsed:
		return subscriptionAffine(leastUsedStrategy{}, ttl, now), nil
	case StrategyDrainSoonest:
		s := newSessionStrategy(ttl, now)
		s.prefer = drainSoonestBetter
		return s, nil
	}
	return nil, fmt.Errorf("pool: unknown strategy %q (valid: %s, %s, %s, %s, %s)", name,
		StrategySession, StrategyPriority, StrategyRoundRobin, StrategyLeastUsed, StrategyDrainSoonest)
}

// priorityStrategy takes the lowest priority number; the pool has already
// removed limited accounts, so it spills to the next only when one is limited.
type priorityStrategy struct{}

func (priorityStrategy) Choose([]Candidate, string) int { return 0 }

// roundRobinStrategy rotates through the candidates. When the usable set
// changes, the rotation continues from the same counter, which may repeat or
// skip one account once; exactness is not worth an id lookup per pick.
type roundRobinStrategy struct{ next uint64 }

func (s *roundRobinStrategy) Choose(cands []Candidate, _ string) int {
	i := int(s.next % uint64(len(cands)))
	s.next++
	return i
}

// leastUsedStrategy takes the lowest binding utilization (the fullest window
// that applies to the request's model, whichever it is); between equals (all
// API-key accounts, which report none) the fewest tokens counted locally in
// the window, then priority order.
type leastUsedStrategy struct{}

func (leastUsedStrategy) Choose(cands []Candidate, _ string) int {
	best := 0
	for i := 1; i < len(cands); i++ {
		c, b := &cands[i], &cands[best]
		if c.Binding < b.Binding || (c.Binding == b.Binding && c.WindowTokens < b.WindowTokens) {
			best = i
		}
	}
	return best
}

// maxPins bounds the session table. A client that sends a new key per
// request would otherwise grow it for SessionTTL; past the bound, affinity is
// forgotten (a cache miss), never correctness.
const maxPins = 1 << 16

// sessionStrategy pins a session key to one account so Anthropic's prompt
// cache, which is per account, stays warm.
//
// The pin is sliding: every request of the session extends it by the TTL,
// so a conversation in use never moves while its account can serve. It moves
// when its account is unusable (limited, paused, excluded after a failure)
// and then stays on the new account.
//
// A new session goes to, in order: an account without a warning; the one
// with the fewest pinned sessions (spreading conversations spreads load before
// any window fills); the lowest 5-hour utilization; priority order.
type sessionStrategy struct {
	// prefer, when set, replaces the "fewest pinned sessions, then lowest
	// utilization" rule for new sessions (drain-soonest): it reports whether
	// c is better than b.
	prefer    func(c, b *Candidate) bool
	ttl       time.Duration
	now       func() time.Time
	pins      map[string]pin
	active    map[string]int // account id -> live pins
	nextSweep time.Time
}

type pin struct {
	id      string
	expires time.Time
}

func newSessionStrategy(ttl time.Duration, now func() time.Time) *sessionStrategy {
	return &sessionStrategy{ttl: ttl, now: now, pins: make(map[string]pin), active: make(map[string]int)}
}

func (s *sessionStrategy) Choose(cands []Candidate, key string) int {
	if key == "" {
		return s.best(cands)
	}
	now := s.now()
	s.sweep(now)
	if old, ok := s.pins[key]; ok {
		if now.Before(old.expires) {
			for i := range cands {
				if cands[i].ID == old.id {
					s.pins[key] = pin{id: old.id, expires: now.Add(s.ttl)}
					return i
				}
			}
		}
		s.unpin(old.id)
	}
	i := s.best(cands)
	s.pins[key] = pin{id: cands[i].ID, expires: now.Add(s.ttl)}
	s.active[cands[i].ID]++
	return i
}

func (s *sessionStrategy) best(cands []Candidate) int {
	best, bestN := 0, s.active[cands[0].ID]
	for i := 1; i < len(cands); i++ {
		c, b := &cands[i], &cands[best]
		n := s.active[c.ID]
		if c.Warning != b.Warning {
			if !c.Warning {
				best, bestN = i, n
			}
			continue
		}
		if s.prefer != nil {
			if s.prefer(c, b) {
				best, bestN = i, n
			}
			continue
		}
		if n < bestN || (n == bestN && c.Binding < b.Binding) {
			best, bestN = i, n
		}
	}
	return best
}

func (s *sessionStrategy) unpin(id string) {
	if s.active[id] <= 1 {
		delete(s.active, id)
		return
	}
	s.active[id]--
}

// sweep drops expired pins at most once a minute (or TTL, if shorter), so
// the cost stays amortised O(1) per pick while the counts of active sessions
// stay close to true.
func (s *sessionStrategy) sweep(now time.Time) {
	if now.Before(s.nextSweep) && len(s.pins) < maxPins {
		return
	}
	s.nextSweep = now.Add(min(time.Minute, s.ttl))
	for k, pn := range s.pins {
		if !now.Before(pn.expires) {
			delete(s.pins, k)
			s.unpin(pn.id)
		}
	}
	if len(s.pins) >= maxPins {
		clear(s.pins)
		clear(s.active)
	}
}

// drainSoonestBetter prefers the account whose weekly window resets first
// (its remaining quota is lost at that reset); an account with no known
// weekly reset comes after those with one; then the lower binding
// utilization; then priority order.
func drainSoonestBetter(c, b *Candidate) bool {
	switch {
	case c.WeeklyReset.IsZero() != b.WeeklyReset.IsZero():
		return !c.WeeklyReset.IsZero()
	case !c.WeeklyReset.Equal(b.WeeklyReset):
		return c.WeeklyReset.Before(b.WeeklyReset)
	}
	return c.Binding < b.Binding
}

// affineStrategy spreads requests with a per-request strategy, but only over
// API-key accounts: a session that lands on a subscription (oauth) account
// stays pinned to it while it can serve. Spreading one person's session over
// several subscriptions is what gets accounts flagged, and it wastes the
// prompt cache.
type affineStrategy struct {
	spread Strategy
	pins   *sessionStrategy
}

func subscriptionAffine(spread Strategy, ttl time.Duration, now func() time.Time) Strategy {
	return &affineStrategy{spread: spread, pins: newSessionStrategy(ttl, now)}
}

func (s *affineStrategy) Choose(cands []Candidate, key string) int {
	if key == "" {
		return s.spread.Choose(cands, key)
	}
	now := s.pins.now()
	s.pins.sweep(now)
	if old, ok := s.pins.pins[key]; ok && now.Before(old.expires) {
		for i := range cands {
			if cands[i].ID == old.id {
				s.pins.pins[key] = pin{id: old.id, expires: now.Add(s.pins.ttl)}
				return i
			}
		}
	}
	i := s.spread.Choose(cands, key)
	if i < 0 || i >= len(cands) {
		i = 0
	}
	if old, ok := s.pins.pins[key]; ok {
		delete(s.pins.pins, key)
		s.pins.unpin(old.id)
	}
	if cands[i].Kind == kindOAuth {
		s.pins.pins[key] = pin{id: cands[i].ID, expires: now.Add(s.pins.ttl)}
		s.pins.active[cands[i].ID]++
	}
	return i
}

// kindOAuth is Account.Kind of subscription accounts.
const kindOAuth = "oauth"
