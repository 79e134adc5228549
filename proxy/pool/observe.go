package pool

import (
	"net/http"
	"time"
)

// Verdict tells the proxy what to do with an upstream answer it has not yet
// relayed.
type Verdict int

const (
	// Success: relay the response.
	Success Verdict = iota
	// Failover: the account is benched (limited) or needs login; replay the
	// request on the next account now, excluding this one.
	Failover
	// Retry: a transient upstream fault (5xx, network); retry with backoff.
	// The account is avoided for a short while, so Pick prefers another.
	Retry
	// Pass: a client error; relay it as is, another account would say the same.
	Pass
)

// String names the verdict for logs.
func (v Verdict) String() string {
	switch v {
	case Success:
		return "success"
	case Failover:
		return "failover"
	case Retry:
		return "retry"
	case Pass:
		return "pass"
	}
	return "unknown"
}

// avoidFor is how long an account that answered 5xx or failed on the network
// yields to others. It is a preference, not a bench: with nothing else
// usable it still serves, because a single-account user must not see a
// rate-limit error for a server hiccup.
const avoidFor = 15 * time.Second

// maxLevel caps the backoff exponent; 2^20 s is far past any MaxBackoff.
const maxLevel = 20

// Observe records an upstream response's status and headers for accountID
// and says what to do with it. The rules, first match wins:
//
//   - 401: the credential is refused; the account needs login until
//     SetAccounts reports it logged in again or ClearNeedsLogin. Failover.
//   - 403: refused for this request; nothing is recorded. Failover.
//   - 429 with no rate-limit header and x-should-retry: true: transient;
//     nothing is benched and the request is retried once on the same
//     account (Retry, without avoiding it). A second such 429 within
//     transientFor falls to the next rule.
//   - 429 with no limit header at all: a short-lived throttle; bench for
//     MinBackoff without growing the backoff. Failover.
//   - 429 (or a non-2xx with unified status "rejected") where only
//     model-scoped windows say rejected (e.g. 7d_oi): bench the account for
//     the refused request's model family, and for each family a window
//     names (see benchRefused), until each window's reset (else
//     retry-after, else backoff). Failover.
//   - 429, 529, or a non-2xx with unified status "rejected" and no overage
//     allowed (else the rejection was not why it failed): quarantine until
//     the first known of: the exhausted plan window's reset (Limits.planReset),
//     now+retry-after, the latest reset of an exhausted API-key tier; else
//     exponential backoff (MinBackoff·2^n, jittered, capped at MaxBackoff).
//     Failover.
//   - 5xx except 501: avoid the account briefly. Retry.
//   - 2xx: clear quarantine, backoff and login state; an API-key tier the
//     answer shows exhausted (remaining 0) benches until its reset. Success.
//   - anything else: Pass.
//
// Plan guard, whatever the status: with Account.PlanGuard, when the headers
// show the next request would draw extra usage (Limits.drawingOverage), the
// account is benched until the plan window's reset (backoff when none is
// known). The response at hand already went through, so its verdict stands.
//
// Resets in the past or more than 8 days ahead are ignored (ParseHeaders),
// so they fall through to the next rule. A new quarantine never shortens a
// longer one already in force.
func (p *Pool) Observe(accountID string, status int, h http.Header) Verdict {
	return p.ObserveFor(accountID, "", status, h)
}

// ObserveFor is Observe for an answer to a request for model, so a
// rejection on a model-scoped window benches the family that was refused.
func (p *Pool) ObserveFor(accountID, model string, status int, h http.Header) Verdict {
	now := p.now()
	l, mask, sum, reused := p.parseHeadersCached(accountID, h, now)
	verdict := verdictFor(status, l)
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil {
		p.mu.Unlock()
		return verdict
	}
	changed := mask != 0
	if changed {
		p.setLimits(e, p.merged(e, l, mask, sum, reused), l.Windows, now)
		e.mergedSum = sum
	}
	switch {
	case status == http.StatusUnauthorized:
		e.loginNeeded, e.loginReason = true, "upstream refused the credential ("+http.StatusText(status)+")"
		changed = true
	case status == http.StatusForbidden:
		// Often about the request (a model or beta the organisation may not
		// use), not the credential: try the next account, bench nothing.
	case status == http.StatusTooManyRequests && mask&^hasRetry == 0 && shouldRetry(h) && !e.transient.After(now):
		// Anthropic says to retry and names no limit: a blip, not a
		// bench. Once: a second one soon after is treated as a throttle.
		e.transient = now.Add(transientFor)
		verdict = Retry
	case status == http.StatusTooManyRequests && mask == 0:
		p.bench(e, now.Add(p.minB), "rate limited (no reset given)")
		changed = true
	case verdict == Failover && len(l.scopedRejected()) > 0 && !l.planExhausted():
		// Only a model-scoped window refused: bench the refused family
		// (and any the window names), keep the account for other models.
		for _, w := range l.scopedRejected() {
			until := w.ResetsAt
			if until.IsZero() && l.RetryAfter > 0 {
				until = now.Add(l.RetryAfter)
			}
			if until.IsZero() {
				until = now.Add(p.backoff(e.backoff))
			}
			p.benchRefused(e, w, Family(model), until, w.label()+" limit reached")
		}
		changed = true
	case verdict == Failover:
		p.quarantine(e, &l, now, rejectReason(status, &l))
		changed = true
	case verdict == Retry:
		e.avoid = now.Add(avoidFor)
	case verdict == Success:
		changed = changed || !e.until.IsZero() || e.loginNeeded
		e.until, e.reason, e.backoff, e.avoid = time.Time{}, "", 0, time.Time{}
		e.loginNeeded, e.loginReason = false, ""
		e.benchKey = ""
		// An API key whose token bucket this answer emptied would only
		// get 429s until the bucket refills: rest it until then.
		if t := l.tierReset(); t.After(now) {
			reason := "API rate limit bucket empty"
			if w, ok := l.exhaustedTier(); ok {
				reason = w.label() + " limit reached"
			}
			p.bench(e, t, reason)
		}
		// A scoped window the answer shows open again frees the
		// families it benched.
		for _, w := range l.Windows {
			if w.Scope == "" || w.Status == statusReject || w.Utilization >= 1 {
				continue
			}
			for fam, b := range e.scoped {
				if w.key() == b.Key {
					delete(e.scoped, fam)
					changed = true
				}
			}
		}
	}
	if mask != 0 && e.acct.PlanGuard && e.limits.drawingOverage() {
		p.quarantine(e, &e.limits, now, guardReason)
		e.guardUntil = e.until
	}
	p.mu.Unlock()
	if changed {
		p.changed(accountID)
	}
	return verdict
}

func verdictFor(status int, l Limits) Verdict {
	switch {
	case status >= 200 && status < 300:
		return Success
	case status == http.StatusUnauthorized || status == http.StatusForbidden,
		status == http.StatusTooManyRequests, status == 529,
		l.Status == statusReject && !l.overageAllowed():
		return Failover
	case status >= 500 && status != http.StatusNotImplemented:
		return Retry
	}
	return Pass
}

func rejectReason(status int, l *Limits) string {
	switch {
	case status == 529:
		return "overloaded"
	case l.planExhausted():
		for _, w := range l.Windows {
			if w.Scope == "" && w.Status == statusReject && !isMinuteKind(w.Kind) {
				return w.label() + " limit reached"
			}
		}
		switch {
		case l.RepresentativeClaim != "":
			return "limit reached (" + l.RepresentativeClaim + ")"
		}
	}
	// An API key's 429 names the per-minute bucket that ran out.
	if w, ok := l.exhaustedTier(); ok {
		return w.label() + " limit reached"
	}
	return "rate limited"
}

// ObserveNetworkError records that a request to accountID failed before any
// response. The account is avoided briefly. Always Retry.
func (p *Pool) ObserveNetworkError(accountID string) Verdict {
	now := p.now()
	p.mu.Lock()
	if e := p.byID[accountID]; e != nil {
		e.avoid = now.Add(avoidFor)
	}
	p.mu.Unlock()
	return Retry
}

// ObserveStreamError records an SSE "event: error" that arrived after bytes
// reached the client, so this request cannot fail over; later ones should go
// elsewhere. rate_limit_error benches the account with exponential backoff
// (no headers say for how long; the next attempt after it learns the real
// reset); overloaded_error benches it for MinBackoff. Other types are ignored.
func (p *Pool) ObserveStreamError(accountID string, errType string) {
	now := p.now()
	p.mu.Lock()
	e := p.byID[accountID]
	switch {
	case e == nil:
	case errType == "rate_limit_error":
		p.quarantine(e, &Limits{}, now, "rate limited mid-stream")
	case errType == "overloaded_error":
		p.bench(e, now.Add(p.minB), "overloaded mid-stream")
	default:
		e = nil
	}
	p.mu.Unlock()
	if e != nil {
		p.changed(accountID)
	}
}

// ClearNeedsLogin forgets a 401/403 seen on accountID, after the proxy
// refreshed or replaced its credential.
func (p *Pool) ClearNeedsLogin(accountID string) {
	p.mu.Lock()
	e := p.byID[accountID]
	changed := e != nil && e.loginNeeded
	if changed {
		e.loginNeeded, e.loginReason = false, ""
	}
	p.mu.Unlock()
	if changed {
		p.changed(accountID)
	}
}

// quarantine benches e until the best-known reset in l, else with backoff.
// Called with the lock held.
func (p *Pool) quarantine(e *entry, l *Limits, now time.Time, reason string) {
	until := l.planReset()
	if k := l.bindingKey(); k != "" && until.After(e.until) {
		w, _ := l.findKey(k)
		p.bench(e, until, reason)
		e.benchKey, e.benchUtil = k, w.Utilization
		return
	}
	if until.IsZero() && l.RetryAfter > 0 {
		until = now.Add(l.RetryAfter)
	}
	if until.IsZero() {
		until = l.tierReset()
	}
	if until.IsZero() {
		until = now.Add(p.backoff(e.backoff))
		e.backoff = min(e.backoff+1, maxLevel)
	}
	p.bench(e, until, reason)
}

// bench sets the quarantine, never shortening a longer one in force: a
// late 429 from a request admitted earlier must not undo a known reset.
func (p *Pool) bench(e *entry, until time.Time, reason string) {
	if until.After(e.until) {
		e.until, e.reason, e.benchKey = until, reason, ""
	}
}

// backoff is MinBackoff·2^level capped at MaxBackoff, with "equal jitter"
// (half fixed, half random) so accounts benched together do not all return
// in the same instant, while the delay still grows with every level.
func (p *Pool) backoff(level int) time.Duration {
	d := p.maxB
	if level < maxLevel {
		d = min(p.minB<<level, p.maxB)
	}
	half := d / 2
	return half + time.Duration(p.rand()*float64(d-half))
}

// setLimits stores l and moves the 5-hour counter window to Anthropic's, if
// given; seen are the windows this observation named (the pace records
// only those). Called with the lock held.
func (p *Pool) setLimits(e *entry, l Limits, seen []Window, now time.Time) {
	e.mergedSum = 0 // the caller sets it when l is a merge of headers
	e.roll(now)
	if r := l.FiveHour.ResetsAt; r.After(now) {
		e.winEnd = r
	}
	e.ledgerSee(l, now)
	e.paceSee(l, seen, now)
	e.limits = l
}

// merged is e's limits with the headers' l (mask) merged in. Merging the
// very parse that made e's limits again changes nothing but the time of
// the update (merge is idempotent), so when the headers are unchanged
// since (sum, reused) and nothing else set e's limits in between, the
// merge and its copy of the windows are skipped.
func (p *Pool) merged(e *entry, l Limits, mask int, sum uint64, reused bool) Limits {
	if !reused || sum == 0 || e.mergedSum != sum {
		return e.limits.merge(l, mask)
	}
	m := e.limits
	m.RetryAfter = l.RetryAfter // per response, as merge does
	m.UpdatedAt = l.UpdatedAt
	return m
}
