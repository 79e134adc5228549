package pool

import (
	"slices"
	"time"
)

// guardReason is the reason of a bench the plan guard set from the limit
// headers or the usage endpoint.
const guardReason = "plan limit reached; further requests would use extra usage (plan guard)"

// liftGuard lifts the benches the plan guard set on e, when the guard is
// turned off: the user chose to allow extra usage, so the account serves
// at once rather than at the plan window's reset days later. A bench
// something else extended since (a real 429) stays. Called with the lock
// held.
func (e *entry) liftGuard() {
	if !e.guardUntil.IsZero() && e.until.Equal(e.guardUntil) {
		e.until, e.reason, e.benchKey, e.benchUtil, e.backoff = time.Time{}, "", "", 0, 0
	}
	e.guardUntil = time.Time{}
	for fam, b := range e.scoped {
		if b.Guard {
			delete(e.scoped, fam)
		}
	}
}

// GuardBench reports whether the plan guard set accountID's current bench
// (whole account), so a refusal can say so and how to allow extra usage.
func (p *Pool) GuardBench(accountID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byID[accountID]
	return e != nil && !e.guardUntil.IsZero() && e.until.Equal(e.guardUntil) && e.until.After(p.now())
}

// Block is an account that cannot serve a model family now, and until when.
type Block struct {
	AccountID, Name string
	Until           time.Time
	Reason          string
	// Guard: the plan guard set the bench; turning it off for the account
	// (allowing extra usage) lifts it.
	Guard bool
}

// Blocked lists the accounts (among those in among; nil: all) that cannot
// serve a request for model now, earliest reset first. Paused accounts and
// those waiting for a login are left out: they are not limited.
func (p *Pool) Blocked(model string, among map[string]bool) []Block {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	family := Family(model)
	var out []Block
	for _, e := range p.order {
		if e.acct.Paused || e.acct.NeedsLogin || e.loginNeeded || (among != nil && !among[e.acct.ID]) {
			continue
		}
		until := e.blockedUntil(family, now)
		if until.IsZero() {
			continue
		}
		b := Block{AccountID: e.acct.ID, Name: e.acct.Name, Until: until, Reason: e.reason}
		if sb, ok := e.scoped[family]; ok && sb.Until.Equal(until) {
			b.Reason, b.Guard = sb.Reason, sb.Guard
		} else if !e.guardUntil.IsZero() && e.until.Equal(e.guardUntil) && until.Equal(e.until) {
			b.Guard = true
		}
		out = append(out, b)
	}
	slices.SortStableFunc(out, func(a, b Block) int { return a.Until.Compare(b.Until) })
	return out
}
