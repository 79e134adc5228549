package pool

import "time"

// EarliestReset is the earliest moment one of the accounts in among (by
// id; nil: all) frees up for model (a model-scoped bench counts only for its
// family, as in Pick), with that account's id; zero when none of them is
// limited. Pick's LimitedError counts every pooled account, which suits a
// client that may use any; a client key scoped to some accounts must be
// told when one of its own frees up, not when another does.
// among is a set, not a callback into the caller, so nothing of the
// caller's runs under the pool's lock.
func (p *Pool) EarliestReset(model string, among map[string]bool) (time.Time, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	family := Family(model)
	var earliest time.Time
	var id string
	for _, e := range p.order {
		if e.acct.Paused || e.acct.NeedsLogin || e.loginNeeded || (among != nil && !among[e.acct.ID]) {
			continue
		}
		if until := e.blockedUntil(family, now); !until.IsZero() && (earliest.IsZero() || until.Before(earliest)) {
			earliest, id = until, e.acct.ID
		}
	}
	return earliest, id
}
