package pool

import (
	"net/http"
	"time"
)

// Signal is what an upstream error body says about an account's limits when
// its headers do not (the proxy classifies the body; the pool decides).
type Signal int

const (
	// SignalNone: the body says nothing about limits.
	SignalNone Signal = iota
	// SignalExtraUsage: this account's requests are now paid as extra
	// usage ("Third-party apps now draw from your extra usage, not your
	// plan limits").
	SignalExtraUsage
	// SignalExtraUsageRequest: this request would need extra usage ("Extra
	// usage is required for long context requests"); the account itself
	// is fine for other requests.
	SignalExtraUsageRequest
	// SignalPlanLimit: the plan is exhausted and so is extra usage
	// ("You're out of extra usage").
	SignalPlanLimit
	// SignalSpendLimit: an API key's workspace or monthly spend limit is
	// reached; it lasts until the user raises it or the month turns.
	SignalSpendLimit
)

// String names the signal for logs and the journal.
func (s Signal) String() string {
	switch s {
	case SignalExtraUsage:
		return "extra-usage"
	case SignalExtraUsageRequest:
		return "extra-usage-request"
	case SignalPlanLimit:
		return "plan-limit"
	case SignalSpendLimit:
		return "spend-limit"
	}
	return "none"
}

// signalFloor is the shortest bench for an extra-usage body signal.
const signalFloor = 5 * time.Minute

// ObserveSignal is Observe for an answer whose body carried sig. Headers
// are recorded as by Observe; then, first match wins:
//
//   - SignalSpendLimit: the account is benched until the month turns (UTC)
//     or ClearLimit. Failover.
//   - without PlanGuard: nothing is benched; the answer is the client's
//     (it chose to allow extra usage). Pass.
//   - SignalExtraUsageRequest: nothing is benched (other requests are
//     fine); this one tries the next account. Failover.
//   - SignalExtraUsage, SignalPlanLimit: the account is benched until its
//     plan window's reset, else with backoff. Failover.
//
// SignalNone is plain Observe.
func (p *Pool) ObserveSignal(accountID string, status int, h http.Header, sig Signal) Verdict {
	if sig == SignalNone {
		return p.Observe(accountID, status, h)
	}
	now := p.now()
	l, mask := parseHeaders(h, now)
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil {
		p.mu.Unlock()
		if sig == SignalSpendLimit {
			return Failover
		}
		return Pass
	}
	if mask != 0 {
		p.setLimits(e, e.limits.merge(l, mask), l.Windows, now)
	}
	verdict := Failover
	switch {
	case sig == SignalSpendLimit:
		y, m, _ := now.UTC().Date()
		until := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		if until.After(e.until) {
			e.until, e.reason, e.benchKey, e.spendLimited = until, "spend limit reached; raise it or clear the limit", "", true
		}
	case !e.acct.PlanGuard:
		verdict = Pass
	case sig == SignalExtraUsageRequest:
	default:
		reason := "requests would use extra usage (plan guard)"
		if sig == SignalPlanLimit {
			reason = "plan limit reached and extra usage spent"
		}
		p.quarantine(e, &e.limits, now, reason)
		// A policy answer does not go away in seconds: without a known
		// reset, do not ask again for a while (ClearLimit lifts it).
		p.bench(e, now.Add(signalFloor), reason)
		if sig == SignalExtraUsage {
			e.guardUntil = e.until // the guard's doing: off lifts it
		}
	}
	p.mu.Unlock()
	p.changed(accountID)
	return verdict
}
