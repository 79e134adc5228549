package pool

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Families are the model families Anthropic scopes weekly windows to, as of
// 2026-12-01 (Claude Code's /usage and the usage endpoint's limits[]
// weekly_scoped.scope.model). A header scope suffix that is none of them
// ("7d_oi") names no family: which family it covers is learnt from the
// refused request and from the usage endpoint.
var Families = []string{"opus", "sonnet", "haiku", "fable"}

// transientFor is how long after a retried transient 429 another one on
// the same account is taken as a throttle instead.
const transientFor = time.Minute

// shouldRetry reports Anthropic's x-should-retry: true.
func shouldRetry(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get("X-Should-Retry")), "true")
}

// benchRefused benches e after window w refused a request of family:
// that family, the family w names (when it names one), and the family the
// usage endpoint says w covers, matched by reset time (the endpoint's
// limits[] weekly_scoped.scope.model is the authority; the header suffix is
// not). Called with the lock held.
func (p *Pool) benchRefused(e *entry, w Window, family string, until time.Time, reason string) {
	p.benchFamily(e, family, w, until, reason)
	if slices.Contains(Families, w.Scope) {
		p.benchFamily(e, w.Scope, w, until, reason)
	}
	if w.ResetsAt.IsZero() {
		return
	}
	for _, u := range e.limits.Windows {
		if u.Kind == KindWeekly && u.Scope != w.Scope && slices.Contains(Families, u.Scope) &&
			!u.ResetsAt.IsZero() && absDur(u.ResetsAt.Sub(w.ResetsAt)) < time.Minute {
			p.benchFamily(e, u.Scope, w, until, reason)
		}
	}
}

// ObserveRefusedFamily records a 429 whose body says this account may not
// use model's family now (credits_required: usage credits are needed for
// the model; org_level_disabled: the organisation disabled it). Only that
// family is benched: the account serves every other model. The bench lasts
// until the retry-after, else the family's weekly reset, else an hour.
// Failover.
func (p *Pool) ObserveRefusedFamily(accountID, model string, h http.Header, why string) Verdict {
	now := p.now()
	l, mask := parseHeaders(h, now)
	fam := Family(model)
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil || fam == "" {
		p.mu.Unlock()
		return Failover
	}
	if mask != 0 {
		p.setLimits(e, e.limits.merge(l, mask), l.Windows, now)
	}
	until := time.Time{}
	if l.RetryAfter > 0 {
		until = now.Add(l.RetryAfter)
	} else if t := e.limits.weeklyReset(fam, now); !t.IsZero() {
		until = t
	} else {
		until = now.Add(time.Hour)
	}
	p.benchFamily(e, fam, Window{}, until, why)
	p.mu.Unlock()
	p.changed(accountID)
	return Failover
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
