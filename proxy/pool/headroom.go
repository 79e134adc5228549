package pool

import (
	"fmt"
	"time"
)

// SetHeadroom makes accountID stop serving requests once a window of kind
// (KindSession, KindWeekly, or another window kind) reaches percent
// utilization, until that window resets: room kept for the user's own use of
// the subscription. A percent of 0 (or 100 and above) removes the cap. It
// reports whether the account is a member.
func (p *Pool) SetHeadroom(accountID, kind string, percent float64) (bool, error) {
	if kind == "" {
		return false, fmt.Errorf("pool: headroom needs a window kind")
	}
	if percent < 0 {
		return false, fmt.Errorf("pool: headroom %v%% is negative", percent)
	}
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil {
		e = p.pending[accountID]
	}
	if e != nil {
		if percent == 0 || percent >= 100 {
			delete(e.headroom, kind)
		} else {
			if e.headroom == nil {
				e.headroom = make(map[string]float64)
			}
			e.headroom[kind] = percent / 100
		}
	}
	member := p.byID[accountID] != nil
	p.mu.Unlock()
	if member {
		p.changed(accountID)
	}
	return member, nil
}

// headroomUntil is the latest reset among the live windows applying to
// family whose utilization reached the cap for their kind; zero when none
// did. A capped window with no known reset blocks for an hour at a time (the
// next header or poll tells more).
func (e *entry) headroomUntil(family string, now time.Time) time.Time {
	var t time.Time
	for _, w := range e.limits.Windows {
		limit, ok := e.headroom[w.Kind]
		if !ok || !w.AppliesTo(family) || w.util(now) < limit {
			continue
		}
		r := w.ResetsAt
		if r.IsZero() {
			r = now.Add(time.Hour)
		}
		if r.After(t) {
			t = r
		}
	}
	return t
}
