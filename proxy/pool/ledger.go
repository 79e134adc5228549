package pool

import "time"

// The quota ledger: which requests spent how much of each window.
//
// The rule. Every observation of an account's windows (a response's
// rate-limit headers, or the usage poll) is compared with the account's
// previous one. For each window the change is the new utilization minus
// the previous one; when the window's reset moved forward (or the previous
// one had passed), the window started afresh and the change is the new
// utilization itself; a fall without a reset counts as no change. The
// change is divided among the requests in flight on the account at that
// moment (begun with Begin and not yet ended with End: from just before
// the request is sent upstream until its usage is known), in proportion to
// their tokens; when none of them used a token it is divided equally. A
// share is known once every request it is divided among has ended, so a
// request that ends while another is still running receives its part of
// their common change later (Options.OnShare): in one call, the sum of all
// its late parts, once the last request it ran alongside has ended. A
// change seen while nothing
// is in flight (use of the account outside Sluice, seen by the poll) is
// attributed to no one; the first observation of a window has no previous
// one and attributes nothing. Per-minute buckets (API keys) are not
// windows of a plan and are never attributed.

// Share is the fraction of each window (0..1; keys WindowKey) a request
// spent. Estimate is set when the change was divided among concurrent
// requests, so the split rests on their tokens rather than on one
// observation each.
type Share struct {
	Windows  map[string]float64
	Estimate bool
}

// add counts o into s.
func (s *Share) add(o map[string]float64, estimate bool) {
	s.addPart(o, 1, estimate)
}

// addPart counts the fraction f of delta into s, in place: settling a pot
// among n requests used to build a map per member and hand each late one
// to OnShare by itself, ~n-1 maps and journal amendments per request at n
// in flight (BENCHMARKS.md, quota ledger).
func (s *Share) addPart(delta map[string]float64, f float64, estimate bool) {
	if len(delta) == 0 {
		return
	}
	if s.Windows == nil {
		s.Windows = make(map[string]float64, len(delta))
	}
	for k, d := range delta {
		s.Windows[k] += d * f
	}
	s.Estimate = s.Estimate || estimate
}

// Charge is one request in flight on an account, from Begin to End.
type Charge struct {
	account string
	pots    []*pot
	ended   bool
	tokens  int64
	ref     any   // the caller's identity for late shares (End)
	share   Share // settled while the request ran to its End
	late    Share // settled after its End, not yet given to OnShare
	pending int   // its pots still open after its End
}

// pot is one observation's change, divided among the requests that were in
// flight when it arrived once they have all ended.
type pot struct {
	delta   map[string]float64
	members []*Charge
	open    int // members not yet ended
}

// WindowKey names a window in ledger shares and pace forecasts: "5h", "7d",
// "7d_<family>" for the known kinds whatever the source called them, else
// the window's own name.
func WindowKey(w Window) string {
	switch {
	case w.Kind == KindSession && w.Scope == "":
		return "5h"
	case w.Kind == KindWeekly && w.Scope == "":
		return "7d"
	case w.Kind == KindWeekly:
		return "7d_" + w.Scope
	}
	return cmpOr(w.Name, w.Kind)
}

// resetSlack absorbs jitter in a window's reset between two observations
// (the headers round to the second, the poll to the minute): only a reset
// that moved further forward starts a new window.
const resetSlack = 5 * time.Minute

// windowDelta is the change of window w since prev, by the ledger's rule,
// and whether there was a previous observation to compare with.
func windowDelta(prev, w Window, now time.Time) (float64, bool) {
	switch {
	case prev.Kind == "":
		return 0, false
	case !prev.ResetsAt.IsZero() && !prev.ResetsAt.After(now),
		!prev.ResetsAt.IsZero() && w.ResetsAt.After(prev.ResetsAt.Add(resetSlack)):
		return max(w.Utilization, 0), true // a new window: from 0
	}
	return max(w.Utilization-prev.Utilization, 0), true
}

// Begin starts a charge for a request about to be sent to accountID; the
// caller must End it (even when the attempt fails) once its tokens are
// known. Unknown accounts get a charge that attributes nothing.
func (p *Pool) Begin(accountID string) *Charge {
	c := &Charge{account: accountID}
	p.mu.Lock()
	if e := p.byID[accountID]; e != nil {
		e.inflight = append(e.inflight, c)
	}
	p.mu.Unlock()
	return c
}

// End ends c with the tokens its request used and returns the share
// settled so far. ref identifies the request to Options.OnShare for the
// parts that settle later (when requests it ran alongside end). Ending a
// nil or ended charge returns nothing.
func (p *Pool) End(c *Charge, tokens int64, ref any) Share {
	if c == nil {
		return Share{}
	}
	var late []lateShare
	p.mu.Lock()
	if c.ended {
		p.mu.Unlock()
		return Share{}
	}
	c.ended, c.tokens, c.ref = true, max(tokens, 0), ref
	if e := p.byID[c.account]; e != nil {
		e.dropInflight(c)
	}
	for _, pt := range c.pots {
		pt.open--
		if pt.open == 0 {
			late = pt.settle(c, late)
		} else {
			c.pending++
		}
	}
	c.pots = nil
	share := c.share
	p.mu.Unlock()
	if p.onShare != nil {
		for _, l := range late {
			p.onShare(l.ref, l.share)
		}
	}
	return share
}

type lateShare struct {
	ref   any
	share Share
}

// settle divides the pot among its members, now all ended: the part of
// last (ending now) goes to its own share, the others' to their late
// share, which is appended to late once the member's last open pot has
// settled.
func (pt *pot) settle(last *Charge, late []lateShare) []lateShare {
	var total int64
	for _, m := range pt.members {
		total += m.tokens
	}
	estimate := len(pt.members) > 1
	for _, m := range pt.members {
		f := 1 / float64(len(pt.members))
		if total > 0 {
			f = float64(m.tokens) / float64(total)
		}
		if m == last {
			if f != 0 {
				m.share.addPart(pt.delta, f, estimate)
			}
			continue
		}
		if f != 0 {
			m.late.addPart(pt.delta, f, estimate)
		}
		if m.pending--; m.pending == 0 && m.late.Windows != nil {
			late = append(late, lateShare{ref: m.ref, share: m.late})
			m.late = Share{}
		}
	}
	pt.members = nil // settled: keep no request alive through it
	return late
}

// dropInflight removes c from the account's requests in flight.
func (e *entry) dropInflight(c *Charge) {
	for i, x := range e.inflight {
		if x == c {
			last := len(e.inflight) - 1
			e.inflight[i] = e.inflight[last]
			e.inflight[last] = nil
			e.inflight = e.inflight[:last]
			return
		}
	}
}

// ledgerSee divides the change from e.limits to l among the requests in
// flight on e (the rule above). Called with the lock held, before l is
// stored.
func (e *entry) ledgerSee(l Limits, now time.Time) {
	if len(e.inflight) == 0 {
		return
	}
	var delta map[string]float64
	for _, w := range l.Windows {
		if isMinuteKind(w.Kind) {
			continue
		}
		prev, _ := e.limits.findKey(w.key())
		d, ok := windowDelta(prev, w, now)
		if !ok || d <= 0 {
			continue
		}
		if delta == nil {
			delta = make(map[string]float64, 2)
		}
		delta[WindowKey(w)] = d
	}
	if delta == nil {
		return
	}
	pt := &pot{delta: delta, members: append([]*Charge(nil), e.inflight...), open: len(e.inflight)}
	for _, c := range e.inflight {
		c.pots = append(c.pots, pt)
	}
}
