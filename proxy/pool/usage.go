package pool

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"time"
)

// usageWindow is one window of the OAuth usage endpoint's body. Pointers tell
// "null" from zero; the fields are decoded leniently (see window).
type usageWindow struct {
	Utilization *float64        `json:"utilization"`
	ResetsAt    json.RawMessage `json:"resets_at"`
}

// ParseUsage decodes the body of GET /api/oauth/usage. Utilization comes as
// a percentage (0..100) and is returned as a fraction (0..1). Null windows
// are zero; unknown keys are ignored; a reset that is not RFC 3339 is left
// zero rather than failing the whole poll. Only a body that is not a JSON
// object is an error. UpdatedAt is left for ApplyUsage to stamp.
func ParseUsage(body []byte) (Limits, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Limits{}, errors.New("pool: usage body is not a JSON object")
	}
	if raw == nil {
		return Limits{}, errors.New("pool: usage body is null")
	}
	return Limits{
		FiveHour:       window(raw["five_hour"]),
		SevenDay:       window(raw["seven_day"]),
		SevenDayOpus:   window(raw["seven_day_opus"]),
		SevenDaySonnet: window(raw["seven_day_sonnet"]),
	}, nil
}

func window(msg json.RawMessage) Window {
	var u usageWindow
	if len(msg) == 0 || json.Unmarshal(msg, &u) != nil {
		return Window{}
	}
	var w Window
	if u.Utilization != nil && *u.Utilization > 0 && !math.IsInf(*u.Utilization, 0) {
		w.Utilization = *u.Utilization / 100
	}
	var s string
	if json.Unmarshal(u.ResetsAt, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			w.ResetsAt = t.UTC()
		}
	}
	return w
}

// ApplyUsage folds a usage-endpoint poll into accountID's limits: the four
// windows' utilization and resets are replaced; a window's status (which the
// endpoint does not report) is kept while its reset is unchanged, since it
// still describes that window. Resets in the past or beyond 8 days are
// dropped as in ParseHeaders.
//
// With PlanGuard, a 5-hour or 7-day window at 100% or more benches the
// account until that window resets: any further request would be paid as
// extra usage or refused. The Opus/Sonnet windows do not bench the account,
// because the pool does not know which model a request wants.
func (p *Pool) ApplyUsage(accountID string, l Limits) {
	now := p.now()
	p.mu.Lock()
	e := p.byID[accountID]
	if e == nil {
		p.mu.Unlock()
		return
	}
	cur := e.limits
	cur.FiveHour = usageMerge(cur.FiveHour, l.FiveHour, now)
	cur.SevenDay = usageMerge(cur.SevenDay, l.SevenDay, now)
	cur.SevenDayOpus = usageMerge(cur.SevenDayOpus, l.SevenDayOpus, now)
	cur.SevenDaySonnet = usageMerge(cur.SevenDaySonnet, l.SevenDaySonnet, now)
	if l.Extra != nil {
		cur.Extra = maps.Clone(l.Extra) // ours now: the caller may reuse its map
	}
	cur.UpdatedAt = now
	p.setLimits(e, cur, now)
	if e.acct.PlanGuard {
		for _, w := range [...]Window{cur.FiveHour, cur.SevenDay} {
			if w.Utilization >= 1 && !w.ResetsAt.IsZero() {
				p.bench(e, w.ResetsAt, "plan limit reached; further requests would use extra usage")
			}
		}
	}
	p.mu.Unlock()
	p.changed(accountID)
}

func usageMerge(old, n Window, now time.Time) Window {
	n.ResetsAt = validReset(n.ResetsAt, now)
	if n.Status == "" && n.ResetsAt.Equal(old.ResetsAt) {
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
		if r := e.limits.FiveHour.ResetsAt; r.After(now) {
			e.winEnd = r
		}
	}
	e.winReq++
	e.winTok += max(tokens, 0)
	p.mu.Unlock()
	p.changed(accountID)
}
