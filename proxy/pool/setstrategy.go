package pool

import "time"

// SetStrategy replaces the selection strategy (a name accepted by
// Options.Strategy) and the session TTL while the pool serves: Pick calls
// the strategy under the pool's lock, so the swap happens between two
// picks and no pick sees half of it. Sessions pinned by the old strategy
// are forgotten: each picks its account afresh on its next request (one
// prompt-cache miss), which is what a change of strategy asks for. A
// Custom strategy is replaced too. An unknown name changes nothing.
func (p *Pool) SetStrategy(name string, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = 5 * time.Hour
	}
	s, err := newStrategy(name, ttl, p.now)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.strategy = s
	p.mu.Unlock()
	return nil
}

// SetSessionTTL changes how long a session stays pinned after its last
// request, keeping the pins the strategy has, each now expiring the new TTL
// after its session's last request. Strategies without pins (priority, a
// Custom one) ignore it.
func (p *Pool) SetSessionTTL(ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch s := p.strategy.(type) {
	case *sessionStrategy:
		s.retune(ttl)
	case *affineStrategy:
		s.pins.retune(ttl)
	}
}

// retune moves every pin's expiry by the change of TTL (a pin expires TTL
// after its last use) and sweeps on the next pick.
func (s *sessionStrategy) retune(ttl time.Duration) {
	shift := ttl - s.ttl
	for k, pn := range s.pins {
		pn.expires = pn.expires.Add(shift)
		s.pins[k] = pn
	}
	s.ttl = ttl
	s.nextSweep = time.Time{}
}

// StrategyNames lists the names SetStrategy and Options.Strategy accept,
// in the order a settings screen offers them.
func StrategyNames() []string {
	return []string{StrategySession, StrategyPriority, StrategyRoundRobin, StrategyLeastUsed, StrategyDrainSoonest}
}
