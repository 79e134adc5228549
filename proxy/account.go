package proxy

import "time"

// Window is one usage window of an account as the UI shows it.
type Window struct {
	Status      string    `json:"status,omitempty"` // allowed, allowed_warning, rejected
	Utilization float64   `json:"utilization"`      // 0..1
	ResetsAt    time.Time `json:"resets_at,omitzero"`
}

// AccountView is what the CLI and the window show of one account. It carries
// no secret.
type AccountView struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Kind           string    `json:"kind"` // "api-key" or "oauth"
	Priority       int       `json:"priority"`
	Paused         bool      `json:"paused"`
	CreatedAt      time.Time `json:"created_at"`
	State          string    `json:"state"` // ok, warning, limited, needs-login, paused
	LimitedUntil   time.Time `json:"limited_until,omitzero"`
	Reason         string    `json:"reason,omitempty"`
	FiveHour       Window    `json:"five_hour"`
	SevenDay       Window    `json:"seven_day"`
	SevenDayOpus   Window    `json:"seven_day_opus,omitzero"`
	SevenDaySonnet Window    `json:"seven_day_sonnet,omitzero"`
	WindowRequests int64     `json:"window_requests"`
	WindowTokens   int64     `json:"window_tokens"`
}
