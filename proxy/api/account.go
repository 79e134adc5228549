// Package api holds what the faces of Sluice (the window, the tray, the
// CLI) see of the engine: account views with typed states and kinds,
// windows, settings, status, client keys, journal queries, events and the
// Snapshot the window and tray draw. The engine (package proxy) fills
// these; the control API carries them across its socket as JSON. It holds
// data and the rules read off it (Usable, Limited), never engine logic.
package api

import (
	"fmt"
	"math"
	"time"
)

// State is an account's routing state as the faces show it.
type State string

// The states, as the pool reports them plus "paused".
const (
	StateOK         State = "ok"
	StateWarning    State = "warning" // allowed with a warning, or drawing extra usage
	StateLimited    State = "limited"
	StateNeedsLogin State = "needs-login"
	StatePaused     State = "paused"
)

// Usable reports whether an account in state s takes requests now. It is
// the one definition the tray, the window, the CLI and the engine's Status
// share.
func (s State) Usable() bool { return s == StateOK || s == StateWarning }

// Limited reports whether an account in state s is held back by the
// upstream: a limit or a lost login. A paused account is not limited: the
// user chose it, and nothing is wrong.
func (s State) Limited() bool { return s == StateLimited || s == StateNeedsLogin }

// Kind is how an account authenticates.
type Kind string

// The account kinds.
const (
	KindOAuth  Kind = "oauth"   // a Claude subscription signed in through the browser
	KindAPIKey Kind = "api-key" // a Console API key
)

// Usable reports whether the account takes requests now.
func (a AccountView) Usable() bool { return a.State.Usable() }

// Limited reports whether the account is held back by a limit or a lost
// login (not by a pause).
func (a AccountView) Limited() bool { return a.State.Limited() }

// Current is w as of now: a window whose reset has passed started afresh
// (the pool lifts its bench then too), so what the last answer said of it
// shows as 0%, not as the stale figure.
func (w Window) Current(now time.Time) Window {
	if !w.ResetsAt.IsZero() && !w.ResetsAt.After(now) && (w.Status != "" || w.Utilization != 0) {
		w.Utilization, w.Status = 0, "allowed"
	}
	return w
}

// Known reports whether the engine has heard about w (a status, or some
// use); an unknown window shows a dash rather than a false 0%.
func (w Window) Known() bool { return w.Status != "" || w.Utilization != 0 }

// Percent shows a window's utilization, or a dash when it is not Known.
func (w Window) Percent() string {
	if !w.Known() {
		return "–"
	}
	return fmt.Sprintf("%d%%", int(math.Round(w.Utilization*100)))
}

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
	Kind     Kind   `json:"kind"`
	Priority int    `json:"priority"`
	Paused   bool   `json:"paused"`
	// PlanGuard: a request that would draw extra usage fails over instead
	// (SetPlanGuard; on by default for subscription accounts).
	PlanGuard    bool      `json:"plan_guard"`
	CreatedAt    time.Time `json:"created_at"`
	State        State     `json:"state"`
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
	// Upstream is set for a compatible upstream account (KindUpstream).
	Upstream *UpstreamView `json:"upstream,omitempty"`
}
