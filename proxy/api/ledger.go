package api

import (
	"cmp"
	"slices"
	"time"
)

// DefaultQuotaWarnings are the warning thresholds when none is set.
const DefaultQuotaWarnings = "75,90"

// Warning kinds.
const (
	WarningThreshold = "threshold" // a window crossed a threshold
	WarningPace      = "pace"      // at this pace a window runs out well before its reset
	WarningPool      = "pool"      // at this pace every account is spent at once (Account "")
)

// Warning is one raised quota warning.
type Warning struct {
	AccountID   string    `json:"account_id"`
	Account     string    `json:"account"`
	Window      string    `json:"window"` // "5h", "7d", "7d_fable"
	Kind        string    `json:"kind"`   // WarningThreshold or WarningPace
	Threshold   float64   `json:"threshold,omitempty"`
	Utilization float64   `json:"utilization"`
	ResetsAt    time.Time `json:"resets_at,omitzero"`
	RunsOutAt   time.Time `json:"runs_out_at,omitzero"`
	Time        time.Time `json:"time"`
	Message     string    `json:"message"`
}

// Runway is when the pool runs out for a model family at this pace, and
// when the first account comes back.
type Runway struct {
	Family    string    `json:"family"` // "" for every model
	RunsOutAt time.Time `json:"runs_out_at"`
	Until     time.Time `json:"until,omitzero"`
}

// StatuslineView is one client session's footing in its account's 5-hour
// window and the pool's runway, for `sluice statusline`. Zero fields are
// unknown.
type StatuslineView struct {
	Account     string  `json:"account,omitempty"`     // the account serving the session
	Utilization float64 `json:"utilization,omitempty"` // its 5-hour window now
	HasWindow   bool    `json:"has_window,omitempty"`  // a 5-hour window is known
	// SessionShare is the session's share of that window in its current
	// period; HasShare is false where no header said (API keys).
	SessionShare float64   `json:"session_share,omitempty"`
	HasShare     bool      `json:"has_share,omitempty"`
	RunsOutAt    time.Time `json:"runs_out_at,omitzero"` // the pool, for the session's model family
}

// WindowOrder orders window keys as the faces list them: the 5-hour
// window first, then the week, then the rest by name.
func WindowOrder(a, b string) int {
	rank := func(k string) int {
		switch k {
		case "5h":
			return 0
		case "7d":
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
}

// WindowKeys returns the keys of a window share in WindowOrder.
func WindowKeys(share map[string]float64) []string {
	keys := make([]string, 0, len(share))
	for k := range share {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, WindowOrder)
	return keys
}
