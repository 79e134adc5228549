package pool

import (
	"encoding/json"
	"time"
)

// saved is the per-account state that must survive a restart: without it a
// restarted proxy would hammer an account Anthropic benched for hours, and
// the UI would show empty windows until the next request.
//
// A 401/403 is not saved: the vault refreshes credentials at start, and the
// next request finds out again at the cost of one failover.
type saved struct {
	Until    time.Time `json:"until,omitzero"`
	Reason   string    `json:"reason,omitempty"`
	Backoff  int       `json:"backoff,omitempty"`
	Limits   Limits    `json:"limits"`
	WinReq   int64     `json:"window_requests,omitempty"`
	WinTok   int64     `json:"window_tokens,omitempty"`
	WinEnd   time.Time `json:"window_end,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`

	BenchKey  string                 `json:"bench_key,omitempty"`
	BenchUtil float64                `json:"bench_util,omitempty"`
	Spend     bool                   `json:"spend_limited,omitempty"`
	Scoped    map[string]scopedBench `json:"scoped,omitempty"`
	// GuardUntil: the plan guard set the bench (turning it off lifts it).
	GuardUntil time.Time `json:"guard_until,omitzero"`
}

// maxSpendAhead bounds a spend-limit bench, which lasts until the month turns.
const maxSpendAhead = 32 * 24 * time.Hour

// Export returns each member's persistent state as JSON, by account id.
func (p *Pool) Export() map[string][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]byte, len(p.order))
	for _, e := range p.order {
		b, err := json.Marshal(saved{
			Until: e.until, Reason: e.reason, Backoff: e.backoff, Limits: e.limits,
			WinReq: e.winReq, WinTok: e.winTok, WinEnd: e.winEnd, LastUsed: e.lastUsed,
			BenchKey: e.benchKey, BenchUtil: e.benchUtil, Spend: e.spendLimited, Scoped: e.scoped,
			GuardUntil: e.guardUntil,
		})
		if err != nil { // only non-finite floats could do this; skip, never fail
			continue
		}
		out[e.acct.ID] = b
	}
	return out
}

// Import restores state written by Export, before or after SetAccounts: state
// of ids that are not members yet is held until they are. Undecodable
// entries are skipped; a quarantine more than 8 days ahead (a corrupt or
// foreign value) is dropped rather than benching an account for weeks.
func (p *Pool) Import(states map[string][]byte) {
	now := p.now()
	var touched []string
	p.mu.Lock()
	for id, b := range states {
		var s saved
		if id == "" || json.Unmarshal(b, &s) != nil {
			continue
		}
		if d := s.Until.Sub(now); d > maxResetAhead && (!s.Spend || d > maxSpendAhead) {
			s.Until, s.Reason, s.Spend = time.Time{}, "", false
		}
		for fam, b := range s.Scoped {
			if b.Until.Sub(now) > maxResetAhead || !b.Until.After(now) {
				delete(s.Scoped, fam)
			}
		}
		if s.WinEnd.Sub(now) > maxResetAhead {
			s.WinEnd, s.WinReq, s.WinTok = time.Time{}, 0, 0
		}
		e := p.byID[id]
		if e == nil {
			e = &entry{acct: Account{ID: id}}
			p.pending[id] = e
		} else {
			touched = append(touched, id)
		}
		e.until, e.reason = s.Until, s.Reason
		e.backoff = min(max(s.Backoff, 0), maxLevel)
		e.limits, e.mergedSum = s.Limits, 0
		e.limits.normalize() // state saved before windows were a list
		e.benchKey, e.benchUtil, e.spendLimited, e.scoped = s.BenchKey, s.BenchUtil, s.Spend, s.Scoped
		e.guardUntil = s.GuardUntil
		e.winReq, e.winTok, e.winEnd = max(s.WinReq, 0), max(s.WinTok, 0), s.WinEnd
		e.lastUsed = s.LastUsed
		e.roll(now)
	}
	p.mu.Unlock()
	for _, id := range touched {
		p.changed(id)
	}
}
