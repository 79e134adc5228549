package pool

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// usageWindow is one window of the OAuth usage endpoint's body: a legacy
// flat key (five_hour, seven_day, seven_day_<model>) or an entry of limits[].
// Pointers tell "null" from zero; every field is decoded on its own, so a
// field of an unexpected type is dropped, not fatal.
type usageWindow struct {
	Utilization *float64        `json:"utilization"`
	Percent     *float64        `json:"percent"`
	ResetsAt    json.RawMessage `json:"resets_at"`
	Kind        string          `json:"kind"`
	Severity    string          `json:"severity"`
	IsActive    bool            `json:"is_active"`
	Scope       *struct {
		Model *struct {
			ID          *string `json:"id"`
			DisplayName *string `json:"display_name"`
		} `json:"model"`
		Surface *string `json:"surface"`
	} `json:"scope"`
}

// Spend is the usage endpoint's spend block (extra usage this month).
type Spend struct {
	Percent  float64 `json:"percent,omitempty"` // 0..1 of the spend limit
	Severity string  `json:"severity,omitempty"`
}

// ParseUsage decodes the body of GET /api/oauth/usage, in both shapes users
// report: the legacy flat keys (five_hour, seven_day, seven_day_opus,
// seven_day_sonnet, seven_day_<other>; any may be null) and the limits[]
// array (kind session / weekly_all / weekly_scoped with scope.model,
// severity, is_active, percent or utilization, resets_at), plus the spend
// block. A limits[] entry wins over the flat key of the same window. Flat
// utilization and "percent" are percentages (0..100); a limits[]
// "utilization" of at most 1 is taken as a fraction already. Unknown keys
// and malformed fields are ignored; only a body that is not a JSON object is
// an error. UpdatedAt is left for ApplyUsage to stamp.
func ParseUsage(body []byte) (Limits, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Limits{}, errors.New("pool: usage body is not a JSON object")
	}
	if raw == nil {
		return Limits{}, errors.New("pool: usage body is null")
	}
	var l Limits
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if name != "five_hour" && name != "seven_day" && !strings.HasPrefix(name, "seven_day_") {
			continue
		}
		var u usageWindow
		if json.Unmarshal(raw[name], &u) != nil || (u.Utilization == nil && len(u.ResetsAt) == 0) {
			continue // null or not a window
		}
		w := usageToWindow(u, percentOf(u.Utilization))
		w.Kind, w.Scope = windowMeta(name)
		w.Name = flatName(name)
		l.Windows = upsert(l.Windows, w)
	}
	var entries []json.RawMessage
	if json.Unmarshal(raw["limits"], &entries) == nil {
		for _, msg := range entries {
			var u usageWindow
			if json.Unmarshal(msg, &u) != nil || u.Kind == "" {
				continue
			}
			frac := percentOf(u.Percent)
			if u.Percent == nil {
				frac = fractionOf(u.Utilization)
			}
			w := usageToWindow(u, frac)
			w.Kind, w.Scope = windowMeta(u.Kind)
			if u.Kind == "weekly_scoped" || w.Scope == "" {
				w.Scope = scopeFamily(u)
			}
			if w.Scope != "" && w.Kind == "weekly_scoped" {
				w.Kind = KindWeekly
			}
			w.Name = limitName(w)
			if old, ok := l.Find(w.Kind, w.Scope); ok && w.ResetsAt.IsZero() {
				w.ResetsAt = old.ResetsAt
			}
			l.Windows = upsert(l.Windows, w)
		}
	}
	var sp struct {
		Percent  *float64 `json:"percent"`
		Severity string   `json:"severity"`
	}
	if json.Unmarshal(raw["spend"], &sp) == nil {
		l.Spend = Spend{Percent: percentOf(sp.Percent), Severity: sp.Severity}
	}
	l.derive()
	return l, nil
}

func usageToWindow(u usageWindow, frac float64) Window {
	w := Window{Utilization: frac, Severity: u.Severity, Active: u.IsActive}
	var s string
	if json.Unmarshal(u.ResetsAt, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			w.ResetsAt = t.UTC()
		}
	}
	return w
}

// percentOf reads a percentage as a fraction; null, negative and
// non-finite values are 0.
func percentOf(p *float64) float64 {
	if p == nil || !(*p > 0) || math.IsInf(*p, 0) {
		return 0
	}
	return *p / 100
}

// fractionOf reads a limits[] utilization: a fraction when at most 1, else a
// percentage (both shapes are reported).
func fractionOf(p *float64) float64 {
	if p != nil && *p > 0 && *p <= 1 {
		return *p
	}
	return percentOf(p)
}

// scopeFamily is the model family a limits[] entry is scoped to: from the
// model's display name, else its id, else the surface; "" when unscoped.
func scopeFamily(u usageWindow) string {
	if u.Scope == nil {
		return ""
	}
	if m := u.Scope.Model; m != nil {
		for _, v := range []*string{m.DisplayName, m.ID} {
			if v != nil && Family(*v) != "" {
				return Family(*v)
			}
		}
	}
	if u.Scope.Surface != nil {
		return Family(*u.Scope.Surface)
	}
	return ""
}

// flatName is the header-style name of a legacy flat key.
func flatName(key string) string {
	switch key {
	case "five_hour":
		return "5h"
	case "seven_day":
		return "7d"
	}
	return "7d_" + strings.TrimPrefix(key, "seven_day_")
}

// limitName is the header-style name of a limits[] window.
func limitName(w Window) string {
	switch {
	case w.Kind == KindSession && w.Scope == "":
		return "5h"
	case w.Kind == KindWeekly && w.Scope == "":
		return "7d"
	case w.Kind == KindWeekly:
		return "7d_" + w.Scope
	case w.Scope != "":
		return w.Kind + ":" + w.Scope
	}
	return w.Kind
}

// ApplyUsage folds a usage-endpoint poll into accountID's limits: every
// window it names replaces ours (others are kept); a window's status (which
// the endpoint does not report) is kept while its reset is unchanged and it
// has not visibly reopened. Resets in the past or beyond 8 days are dropped
// as in ParseHeaders.
//
// A bench set by a window's rejection is lifted at once when the poll shows
// that window reopened (liftReopened): banked and promotional resets end
// windows early, and the poll costs no quota.
//
// With PlanGuard, an account-wide window at 100% or more benches the account
// until it resets (any further request would be paid as extra usage or
// refused); a model-scoped one benches that model family only.
func (p *Pool) ApplyUsage(accountID string, l Limits) {
	now := p.now()
	l.normalize()
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil {
		p.mu.Unlock()
		return
	}
	cur := e.limits
	for _, w := range l.Windows {
		old, _ := cur.Find(w.Kind, w.Scope)
		cur.Windows = upsert(cur.Windows, usageMerge(old, w, now))
	}
	if l.Spend != (Spend{}) {
		cur.Spend = l.Spend
	}
	if l.Extra != nil {
		cur.Extra = maps.Clone(l.Extra) // ours now: the caller may reuse its map
	}
	cur.UpdatedAt = now
	cur.derive()
	p.setLimits(e, cur, l.Windows, now)
	p.liftReopened(e, now)
	if e.acct.PlanGuard {
		for _, w := range cur.Windows {
			if w.Utilization < 1 || w.ResetsAt.IsZero() {
				continue
			}
			if w.Scope == "" {
				p.benchWindow(e, w, guardReason)
				e.guardUntil = e.until
			} else {
				p.benchScope(e, w, w.ResetsAt, w.label()+" limit reached")
				if b, ok := e.scoped[w.Scope]; ok {
					b.Guard = true
					e.scoped[w.Scope] = b
				}
			}
		}
	}
	p.mu.Unlock()
	p.changed(accountID)
}

func usageMerge(old, n Window, now time.Time) Window {
	n.ResetsAt = validReset(n.ResetsAt, now)
	reopened := old.Status == statusReject && n.Utilization < 1
	if n.Status == "" && n.ResetsAt.Equal(old.ResetsAt) && !reopened {
		n.Status = old.Status
	}
	return n
}

// AddUsage counts one finished request of tokens against accountID's current
// 5-hour window. The window is Anthropic's when its headers gave one, else it
// starts with the first request counted and lasts 5 hours.
func (p *Pool) AddUsage(accountID string, tokens int64) {
	now := p.now()
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil {
		p.mu.Unlock()
		return
	}
	e.roll(now)
	if e.winEnd.IsZero() {
		e.winEnd = now.Add(5 * time.Hour)
		if r := e.limits.FiveHour.ResetsAt; r.After(now) { // no 5-hour window: 5h from now
			e.winEnd = r
		}
	}
	e.winReq++
	e.winTok += max(tokens, 0)
	p.mu.Unlock()
	p.changed(accountID)
}
