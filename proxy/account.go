package proxy

import "time"

// Window is one usage window of an account as the UI shows it.
type Window struct {
	Name        string    `json:"name,omitempty"`     // "5h", "7d", "7d_oi", "7d_fable", ...
	Kind        string    `json:"kind,omitempty"`     // "session", "weekly", or the window's own name
	Scope       string    `json:"scope,omitempty"`    // model family ("opus", "fable"); "" account-wide
	Status      string    `json:"status,omitempty"`   // allowed, allowed_warning, rejected
	Severity    string    `json:"severity,omitempty"` // normal, warning, ... (usage endpoint)
	Utilization float64   `json:"utilization"`        // 0..1
	ResetsAt    time.Time `json:"resets_at,omitzero"`
	// PerHour is the window's recent burn rate (utilization per hour over
	// the last 30 minutes, weighted to the recent), 0 when unknown;
	// RunsOutAt is when, at this pace, the window is spent, set only when
	// that comes before its reset (pool.Pace).
	PerHour   float64   `json:"per_hour,omitempty"`
	RunsOutAt time.Time `json:"runs_out_at,omitzero"`
}

// ScopedLimit is a model family an account is benched for while it keeps
// serving other models.
type ScopedLimit struct {
	Family string    `json:"family"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`
}

// AccountView is what the CLI and the window show of one account. It carries
// no secret.
type AccountView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"` // "api-key" or "oauth"
	Priority int    `json:"priority"`
	Paused   bool   `json:"paused"`
	// PlanGuard: a request that would draw extra usage fails over instead
	// (SetPlanGuard; on by default for subscription accounts).
	PlanGuard    bool      `json:"plan_guard"`
	CreatedAt    time.Time `json:"created_at"`
	State        string    `json:"state"` // ok, warning, limited, needs-login, paused
	LimitedUntil time.Time `json:"limited_until,omitzero"`
	Reason       string    `json:"reason,omitempty"`
	// Windows is every window known for the account, account-wide and
	// model-scoped; a plan without a 5-hour window has none here.
	Windows []Window `json:"windows"`
	// ScopedLimits lists the model families the account is benched for.
	ScopedLimits []ScopedLimit `json:"scoped_limits,omitempty"`
	// Headroom is the stop-at percentage per window kind (SetHeadroom).
	Headroom map[string]float64 `json:"headroom,omitempty"`
	// FiveHour, SevenDay, SevenDayOpus and SevenDaySonnet are derived from
	// Windows (zero when the plan has no such window), kept for the views
	// that show the classic four.
	FiveHour       Window `json:"five_hour"`
	SevenDay       Window `json:"seven_day"`
	SevenDayOpus   Window `json:"seven_day_opus,omitzero"`
	SevenDaySonnet Window `json:"seven_day_sonnet,omitzero"`
	WindowRequests int64  `json:"window_requests"`
	WindowTokens   int64  `json:"window_tokens"`
}
