package proxy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// withinBudget reports whether id may be read at now: fewer than
// maxReadsPerHour reads in the hour before (a sliding window).
func (p *usagePoller) withinBudget(id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.recent(id, now)) < maxReadsPerHour
}

// recent drops id's reads older than an hour and returns the rest.
// Called with p.mu held.
func (p *usagePoller) recent(id string, now time.Time) []time.Time {
	rs := p.reads[id]
	i := 0
	for i < len(rs) && !rs[i].After(now.Add(-time.Hour)) {
		i++
	}
	if i > 0 {
		rs = slices.Clone(rs[i:])
		p.reads[id] = rs
	}
	return rs
}

// read counts a request to the usage endpoint for id, whatever its answer.
func (p *usagePoller) read(id string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reads == nil {
		p.reads = map[string][]time.Time{}
	}
	p.reads[id] = append(p.recent(id, now), now)
}

// ReadsLastHour is how many times each account's usage was read in the
// last hour (account id -> reads), for `sluice doctor`.
func (p *usagePoller) ReadsLastHour(now time.Time) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for id := range p.reads {
		if n := len(p.recent(id, now)); n > 0 {
			out[id] = n
		}
	}
	return out
}

// answered records a successful poll's digest: an unchanged answer backs
// the benched cadence off, a changed one resets it.
func (p *usagePoller) answered(id, digest string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.same == nil {
		p.same, p.seen = map[string]int{}, map[string]string{}
	}
	if old, ok := p.seen[id]; ok && old == digest {
		p.same[id]++
	} else {
		p.same[id] = 0
	}
	p.seen[id] = digest
}

// noteReset remembers when id's bench ends (zero: unknown).
func (p *usagePoller) noteReset(id string, end time.Time) {
	if end.IsZero() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reset == nil {
		p.reset = map[string]time.Time{}
	}
	p.reset[id] = end
}

// afterReset reports, once, that id's known bench end has passed since its
// last poll: the one read right after a reset.
func (p *usagePoller) afterReset(id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	end, ok := p.reset[id]
	if !ok || now.Before(end) {
		return false
	}
	delete(p.reset, id)
	return p.last[id].Before(end)
}

// polledBefore reports whether id was last polled before t.
func (p *usagePoller) polledBefore(id string, t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last[id].Before(t)
}

// benchEnd is the earliest end of st's benches (whole account or per
// family) after now; zero when none is known.
func benchEnd(st pool.Status, now time.Time) time.Time {
	var t time.Time
	if st.LimitedUntil.After(now) {
		t = st.LimitedUntil
	}
	for _, sc := range st.Scoped {
		if sc.Until.After(now) && (t.IsZero() || sc.Until.Before(t)) {
			t = sc.Until
		}
	}
	return t
}

// usageDigest sums up a usage answer's windows, to tell whether a poll
// learnt anything new.
func usageDigest(l pool.Limits) string {
	var b strings.Builder
	for _, w := range l.Windows {
		fmt.Fprintf(&b, "%s/%s=%.4f@%d;", w.Kind, w.Scope, w.Utilization, w.ResetsAt.Unix())
	}
	return b.String()
}

// unchanged is how many polls of id in a row returned the same answer.
func (p *usagePoller) unchanged(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.same[id]
}
