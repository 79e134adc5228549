package pool

import "time"

// headroomUntil is the latest reset among the live windows applying to
// family whose utilization reached the account's headroom cap for their
// kind (Account.Headroom); zero when none did. A capped window with no known
// reset blocks for an hour at a time (the next header or poll tells more).
func (e *entry) headroomUntil(family string, now time.Time) time.Time {
	if len(e.acct.Headroom) == 0 {
		return time.Time{}
	}
	var t time.Time
	for _, w := range e.limits.Windows {
		limit, ok := e.acct.Headroom[w.Kind]
		if !ok || limit <= 0 || !w.AppliesTo(family) || w.util(now) < limit {
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
