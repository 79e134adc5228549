package proxy

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/pool"
)

// Quota warnings: before an account's window is spent, the engine raises a
// warning (an EventWarning, and a line in `sluice status`) when a window
// crosses a threshold (default 75 % and 90 %), and a predictive one when
// its pace says it will be spent more than PaceWarnLead before it resets.
// Each fires once per window and reset. api.Settings.QuotaWarnings sets the
// thresholds or turns warnings off.

// PaceWarnLead is how much earlier than its reset a window must be
// forecast to run out for a predictive warning.
const PaceWarnLead = 30 * time.Minute

// warnEvery bounds how often one account's windows are checked: every
// response with limit headers changes them, and a check fits a pace.
const warnEvery = 2 * time.Second

// ParseQuotaWarnings reads the QuotaWarnings setting (api.ParseQuotaWarnings).
func ParseQuotaWarnings(v string) ([]float64, error) { return api.ParseQuotaWarnings(v) }

// warner keeps the raised warnings and which have fired.
type warner struct {
	mu      sync.Mutex
	checked map[string]time.Time // account id -> last check
	fired   map[string]bool      // account/window/reset/kind/threshold
	active  []api.Warning
}

// check raises the warnings accountID's windows call for now; it returns
// the new ones. Called from the pool's OnChange hook.
func (s *Service) checkWarnings(accountID string) []api.Warning {
	now := s.now()
	w := &s.warn
	w.mu.Lock()
	if now.Sub(w.checked[accountID]) < warnEvery {
		w.mu.Unlock()
		return nil
	}
	if w.checked == nil {
		w.checked, w.fired = map[string]time.Time{}, map[string]bool{}
	}
	w.checked[accountID] = now
	w.mu.Unlock()
	th, err := ParseQuotaWarnings(s.Settings().QuotaWarnings)
	if err != nil || th == nil {
		return nil
	}
	st, ok := s.pool.Status(accountID)
	if !ok {
		return nil
	}
	raised := warningsFor(accountID, st.Name, s.pool.Pace(accountID), th, now)
	if r := s.pool.Runway(""); !r.RunsOutAt.IsZero() {
		raised = append(raised, poolWarning(r, now))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Warnings of windows that have since reset are over.
	w.active = slices.DeleteFunc(w.active, func(x api.Warning) bool { return !x.ResetsAt.IsZero() && !x.ResetsAt.After(now) })
	var fresh []api.Warning
	for _, x := range raised {
		k := fmt.Sprintf("%s/%s/%d/%s/%g", x.AccountID, x.Window, x.ResetsAt.Unix(), x.Kind, x.Threshold)
		if w.fired[k] {
			continue
		}
		w.fired[k] = true
		fresh = append(fresh, x)
		w.active = append(w.active, x)
	}
	return fresh
}

// warningsFor are the warnings an account's window paces call for: for
// each window, the highest threshold it has reached, and the pace warning.
// Pure, for tests.
func warningsFor(accountID, name string, paces []pool.WindowPace, thresholds []float64, now time.Time) []api.Warning {
	var out []api.Warning
	for _, p := range paces {
		base := api.Warning{AccountID: accountID, Account: name, Window: p.Key, Utilization: p.Utilization,
			ResetsAt: p.ResetsAt, RunsOutAt: p.RunsOutAt, Time: now}
		for i := len(thresholds) - 1; i >= 0; i-- {
			if p.Utilization >= thresholds[i] {
				x := base
				x.Kind, x.Threshold = api.WarningThreshold, thresholds[i]
				x.Message = fmt.Sprintf("%s: %s window at %.0f %%%s", name, p.Key, p.Utilization*100, resetText(p.ResetsAt))
				out = append(out, x)
				break
			}
		}
		if !p.RunsOutAt.IsZero() && p.Utilization < 1 && (p.ResetsAt.IsZero() || p.ResetsAt.Sub(p.RunsOutAt) > PaceWarnLead) {
			x := base
			x.Kind = api.WarningPace
			x.Message = fmt.Sprintf("%s: at this pace the %s window runs out at %s", name, p.Key, p.RunsOutAt.Local().Format("15:04"))
			if !p.ResetsAt.IsZero() {
				x.Message += fmt.Sprintf(", %s before it resets at %s", minutes(p.ResetsAt.Sub(p.RunsOutAt)), p.ResetsAt.Local().Format("15:04"))
			}
			out = append(out, x)
		}
	}
	return out
}

// poolWarning is the warning that, at this pace, no account will take
// requests from r.RunsOutAt until r.Until, with what would help. One per
// run-out moment and first reset, like the accounts' warnings.
func poolWarning(r pool.Runway, now time.Time) api.Warning {
	msg := "At this pace every account is spent at " + r.RunsOutAt.Local().Format("15:04")
	if !r.Until.IsZero() {
		msg += ", until " + r.Until.Local().Format("15:04")
	}
	msg += ". Another account, or a Console API key (sluice accounts add-key), would keep requests going."
	return api.Warning{Kind: api.WarningPool, Window: r.Family, ResetsAt: r.Until, RunsOutAt: r.RunsOutAt.Truncate(time.Minute), Time: now, Message: msg}
}

// minutes is a lead time as a warning says it: "50 min", "2 h 10 min",
// "3 d 1 h".
func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m >= 24*60:
		return fmt.Sprintf("%d d %d h", m/(24*60), m%(24*60)/60)
	case m >= 60:
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	return fmt.Sprintf("%d min", m)
}

func resetText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ", resets " + t.Local().Format("15:04")
}

// Warnings returns the quota warnings in force (their window has not
// reset), oldest first.
func (s *Service) Warnings() []api.Warning {
	s.warn.mu.Lock()
	defer s.warn.mu.Unlock()
	now := s.now()
	var out []api.Warning
	for _, x := range s.warn.active {
		if x.ResetsAt.IsZero() || x.ResetsAt.After(now) {
			out = append(out, x)
		}
	}
	return out
}
