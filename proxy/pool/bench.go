package pool

import (
	"maps"
	"slices"
	"time"
)

// scopedBench benches an account for one model family only: a rejection on
// a model-scoped window (7d_oi, weekly_scoped) leaves every other model
// usable on that account.
type scopedBench struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`
	Key    string    `json:"key,omitempty"` // the window's key, for early lifting
	Util   float64   `json:"util,omitempty"`
	Guard  bool      `json:"guard,omitempty"` // set by the plan guard: turning it off lifts it
}

// ScopedLimit is a model family an account is benched for.
type ScopedLimit struct {
	Family string
	Until  time.Time
	Reason string
	Guard  bool // the plan guard set it
}

// benchWindow benches the whole account until w resets, remembering w so a
// poll that sees it reopen lifts the bench. Called with the lock held.
func (p *Pool) benchWindow(e *entry, w Window, reason string) {
	if w.ResetsAt.After(e.until) {
		e.until, e.reason = w.ResetsAt, reason
		e.benchKey, e.benchUtil = w.key(), w.Utilization
	}
}

// benchScope benches e for w's model family until until (never shortening a
// longer bench). Called with the lock held.
func (p *Pool) benchScope(e *entry, w Window, until time.Time, reason string) {
	p.benchFamily(e, w.Scope, w, until, reason)
}

// benchFamily benches e for family until until, remembering w (the window
// whose rejection caused it) so the window reopening lifts it. Called with
// the lock held.
func (p *Pool) benchFamily(e *entry, family string, w Window, until time.Time, reason string) {
	if family == "" {
		return
	}
	if e.scoped == nil {
		e.scoped = make(map[string]scopedBench)
	}
	if old, ok := e.scoped[family]; ok && !until.After(old.Until) {
		return
	}
	e.scoped[family] = scopedBench{Until: until, Reason: reason, Key: w.key(), Util: w.Utilization}
}

// scopedUntil is when e's bench for family ends (zero: none in force).
func (e *entry) scopedUntil(family string, now time.Time) time.Time {
	if b, ok := e.scoped[family]; ok && b.Until.After(now) {
		return b.Until
	}
	return time.Time{}
}

// reopened reports whether a fresh view w of a window that benched an
// account at utilization util until until shows it open again: below 100%
// and either lower than when benched, resetting earlier, or reported
// normal and not the binding limit.
func reopened(w Window, util float64, until time.Time) bool {
	if w.Utilization >= 1 || w.Status == statusReject {
		return false
	}
	return w.Utilization < util ||
		(!w.ResetsAt.IsZero() && w.ResetsAt.Before(until.Add(-time.Minute))) ||
		(w.Severity == SeverityNormal && !w.Active)
}

// liftReopened lifts the benches whose window e.limits now shows reopened.
// Called with the lock held, after the limits were updated.
func (p *Pool) liftReopened(e *entry, now time.Time) {
	if e.until.After(now) && e.benchKey != "" {
		for _, w := range e.limits.Windows {
			if w.key() == e.benchKey && reopened(w, e.benchUtil, e.until) {
				e.until, e.reason, e.backoff, e.benchKey = time.Time{}, "", 0, ""
				break
			}
		}
	}
	for fam, b := range e.scoped {
		if !b.Until.After(now) {
			delete(e.scoped, fam)
			continue
		}
		for _, w := range e.limits.Windows {
			if w.key() == b.Key && reopened(w, b.Util, b.Until) {
				delete(e.scoped, fam)
				break
			}
		}
	}
}

// ClearLimit lifts every bench of accountID (whole account and per model
// family) and forgets its backoff: the user knows the limit is gone (a
// spend limit raised, a reset the pool cannot see). It reports whether the
// account is a member.
func (p *Pool) ClearLimit(accountID string) bool {
	p.mu.Lock()
	e := p.byID[accountID]
	if e != nil {
		e.until, e.reason, e.backoff, e.benchKey, e.benchUtil = time.Time{}, "", 0, "", 0
		e.spendLimited = false
		clear(e.scoped)
	}
	p.mu.Unlock()
	if e != nil {
		p.changed(accountID)
	}
	return e != nil
}

// scopedStatus lists e's live per-family benches, sorted by family.
func (e *entry) scopedStatus(now time.Time) []ScopedLimit {
	var out []ScopedLimit
	for _, fam := range slices.Sorted(maps.Keys(e.scoped)) {
		if b := e.scoped[fam]; b.Until.After(now) {
			out = append(out, ScopedLimit{Family: fam, Until: b.Until, Reason: b.Reason, Guard: b.Guard})
		}
	}
	return out
}
