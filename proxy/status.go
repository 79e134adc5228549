package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// Status is the engine at a glance: what `sluice status` prints.
type Status struct {
	ProxyRunning bool   `json:"proxy_running"`
	Addr         string `json:"addr"` // where the proxy listens, or will
	Accounts     int    `json:"accounts"`
	Usable       int    `json:"usable_accounts"`
	// Unusable lists the accounts a request cannot go to now (limited,
	// needing a login, paused), with when they come back if known.
	Unusable []UnusableAccount `json:"unusable,omitempty"`
	// RequestsToday and CostTodayMicros sum the journal since local midnight.
	RequestsToday   int64 `json:"requests_today"`
	CostTodayMicros int64 `json:"cost_today_micros"` // millionths of a US dollar
	// Runway says, per model family ("" for any model), when at the
	// current pace every account that can serve it is spent; only the
	// families forecast to run out are listed.
	Runway []Runway `json:"runway,omitempty"`
	// Warnings are the quota warnings in force (warnings.go).
	Warnings []Warning `json:"warnings,omitempty"`
}

// Runway is when the pool runs out for a model family at this pace, and
// when the first account comes back.
type Runway struct {
	Family    string    `json:"family"` // "" for every model
	RunsOutAt time.Time `json:"runs_out_at"`
	Until     time.Time `json:"until,omitzero"`
}

// UnusableAccount is an account left out of routing, and why.
type UnusableAccount struct {
	Name   string    `json:"name"`
	State  string    `json:"state"` // limited, needs-login, paused
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// Status reports the proxy's state, the accounts' usability and today's
// traffic from the journal.
func (s *Service) Status(ctx context.Context) (Status, error) {
	views, err := s.Accounts(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{ProxyRunning: s.ProxyRunning(), Addr: s.Addr(), Accounts: len(views)}
	for _, v := range views {
		switch pool.State(v.State) {
		case pool.StateOK, pool.StateWarning:
			st.Usable++
		default:
			st.Unusable = append(st.Unusable, UnusableAccount{Name: v.Name, State: v.State, Until: v.LimitedUntil, Reason: v.Reason})
		}
	}
	st.Runway, st.Warnings = s.runway(views), s.Warnings()
	now := s.now()
	y, m, d := now.Date()
	// From the records, not the rollups: those hold UTC days, and local
	// midnight is rarely UTC midnight.
	tot, err := s.db.RecordTotals(ctx, time.Date(y, m, d, 0, 0, 0, 0, now.Location()))
	if err != nil {
		return Status{}, fmt.Errorf("today's totals: %w", err)
	}
	st.RequestsToday, st.CostTodayMicros = tot.Requests, tot.CostMicros
	return st, nil
}
