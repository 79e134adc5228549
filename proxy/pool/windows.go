package pool

import (
	"slices"
	"strings"
	"time"
)

// Window kinds. A header or usage name that is neither keeps its own name as
// its kind, so a window Anthropic adds tomorrow is still shown and honoured.
const (
	KindSession = "session" // the 5-hour window ("5h", "five_hour", kind "session")
	KindWeekly  = "weekly"  // the 7-day windows ("7d", "7d_<scope>", "weekly_all", "weekly_scoped")
)

// Severity values the usage endpoint sends in limits[]; others are kept as sent.
const (
	SeverityNormal  = "normal"
	SeverityWarning = "warning"
)

// Window is one of an account's usage windows, as the headers or the usage
// endpoint name it. Nothing assumes any particular window exists: plans
// without a 5-hour window simply have none in the list.
type Window struct {
	// Name is the window's name as first seen: "5h", "7d", "7d_oi" from the
	// headers; "5h", "7d", "7d_<scope>" for the usage endpoint's flat keys
	// and limits[] entries.
	Name string `json:"name,omitempty"`
	// Kind is KindSession, KindWeekly or, for a name this package does not
	// know, the name itself.
	Kind string `json:"kind,omitempty"`
	// Scope is the model family the window limits ("opus", "fable", ...),
	// or "" for an account-wide window.
	Scope       string    `json:"scope,omitempty"`
	Status      string    `json:"status,omitempty"`   // allowed, allowed_warning, rejected ("" from the usage endpoint)
	Severity    string    `json:"severity,omitempty"` // normal, warning, ... (usage endpoint limits[] only)
	Active      bool      `json:"is_active,omitempty"`
	Utilization float64   `json:"utilization"` // 0..1; above 1 only while extra usage is drawn
	ResetsAt    time.Time `json:"resets_at,omitzero"`
}

// key identifies a window across sources: the headers' "7d_oi" and the usage
// endpoint's weekly_scoped Fable entry are the same window.
func (w Window) key() string { return w.Kind + "/" + w.Scope }

// AppliesTo reports whether the window limits requests for the model family
// (see Family); account-wide windows apply to every request.
func (w Window) AppliesTo(family string) bool { return w.Scope == "" || w.Scope == family }

// live reports whether the window has not reset yet (or its reset is unknown).
func (w Window) live(now time.Time) bool { return w.ResetsAt.IsZero() || w.ResetsAt.After(now) }

// util is the utilization, 0 once the window reset.
func (w Window) util(now time.Time) float64 {
	if !w.live(now) {
		return 0
	}
	return w.Utilization
}

// rejected reports whether the window says no request passes until it resets.
func (w Window) rejected(now time.Time) bool { return w.Status == statusReject && w.live(now) }

// scopeAliases maps header suffixes of model-scoped weekly windows to model
// families: "o"/"s" are the short forms seen for Opus and Sonnet. "oi"
// (anthropic-ratelimit-unified-7d_oi-*) is deliberately absent: peers read
// it as a Fable-only week or as "overage included", so it stays a scope of
// its own, and a rejection on it benches the family of the request that was
// refused (benchRefused) and the family the usage endpoint names.
var scopeAliases = map[string]string{"o": "opus", "s": "sonnet"}

// windowMeta derives kind and scope from a header or usage window name.
func windowMeta(name string) (kind, scope string) {
	switch name {
	case "5h", "five_hour", "session":
		return KindSession, ""
	case "7d", "seven_day", "weekly", "weekly_all":
		return KindWeekly, ""
	}
	for _, p := range []string{"7d_", "seven_day_", "7d"} {
		if rest, ok := strings.CutPrefix(name, p); ok && rest != "" {
			if a, ok := scopeAliases[rest]; ok {
				return KindWeekly, a
			}
			return KindWeekly, Family(rest)
		}
	}
	return name, ""
}

// Family is the model family of a model name or display name: the first
// word of letters other than "claude", lower-cased ("claude-opus-4-1" ->
// "opus", "claude-3-5-sonnet-20241022" -> "sonnet", "Fable 5" -> "fable").
// Empty for an empty or all-digit name.
func Family(model string) string {
	for _, f := range strings.FieldsFunc(strings.ToLower(model), func(r rune) bool { return r < 'a' || r > 'z' }) {
		if f != "claude" {
			return f
		}
	}
	return ""
}

// upsert returns ws with w in place of the window of the same key (keeping
// the first-seen name), or appended. ws is never modified: Limits values are
// shared by snapshots.
func upsert(ws []Window, w Window) []Window {
	return upsertAll(ws, []Window{w})
}

// upsertAll is upsert of each of news in turn, copying ws once: every
// answer's headers carry several windows, and a copy per window was the
// largest allocation of Observe (load harness allocs profile).
func upsertAll(ws, news []Window) []Window {
	out := make([]Window, len(ws), len(ws)+len(news))
	copy(out, ws)
next:
	for _, w := range news {
		for i := range out {
			if out[i].Kind == w.Kind && out[i].Scope == w.Scope { // the same key()
				if out[i].Name != "" {
					w.Name = out[i].Name
				}
				out[i] = w
				continue next
			}
		}
		out = append(out, w)
	}
	return out
}

// Find returns the window of kind and scope, if known.
func (l *Limits) Find(kind, scope string) (Window, bool) {
	for _, w := range l.Windows {
		if w.Kind == kind && w.Scope == scope {
			return w, true
		}
	}
	return Window{}, false
}

// findKey returns the window with key k.
func (l *Limits) findKey(k string) (Window, bool) {
	for _, w := range l.Windows {
		if w.key() == k {
			return w, true
		}
	}
	return Window{}, false
}

// derive fills the classic fields (FiveHour, SevenDay, SevenDayOpus,
// SevenDaySonnet) from Windows, for callers that show the classic four.
func (l *Limits) derive() {
	l.FiveHour, _ = l.Find(KindSession, "")
	l.SevenDay, _ = l.Find(KindWeekly, "")
	l.SevenDayOpus, _ = l.Find(KindWeekly, "opus")
	l.SevenDaySonnet, _ = l.Find(KindWeekly, "sonnet")
}

// normalize adds to Windows the classic fields a caller (or an older saved
// state) set without a matching window, then derives the classic fields.
func (l *Limits) normalize() {
	add := func(w Window, name string) {
		if w == (Window{}) {
			return
		}
		w.Name = cmpOr(w.Name, name)
		w.Kind, w.Scope = windowMeta(name)
		if _, ok := l.Find(w.Kind, w.Scope); !ok {
			l.Windows = append(slices.Clip(l.Windows), w)
		}
	}
	add(l.FiveHour, "5h")
	add(l.SevenDay, "7d")
	add(l.SevenDayOpus, "7d_opus")
	add(l.SevenDaySonnet, "7d_sonnet")
	l.derive()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// binding is the highest live utilization over the windows that apply to
// family: the window that will stop the account first.
func (l *Limits) binding(family string, now time.Time) float64 {
	var u float64
	for _, w := range l.Windows {
		if w.AppliesTo(family) {
			u = max(u, w.util(now))
		}
	}
	return u
}

// weeklyReset is the earliest future reset of a weekly window that applies
// to family, zero when none is known.
func (l *Limits) weeklyReset(family string, now time.Time) time.Time {
	var t time.Time
	for _, w := range l.Windows {
		if w.Kind == KindWeekly && w.AppliesTo(family) && w.ResetsAt.After(now) && (t.IsZero() || w.ResetsAt.Before(t)) {
			t = w.ResetsAt
		}
	}
	return t
}

// label names a window for people: "5-hour", "7-day", "7-day fable".
func (w Window) label() string {
	switch {
	case w.Kind == KindSession && w.Scope == "":
		return "5-hour"
	case w.Kind == KindWeekly && w.Scope == "":
		return "7-day"
	case w.Kind == KindWeekly:
		return "7-day " + w.Scope
	case isMinuteKind(w.Kind):
		return minuteLabel(w.Kind)
	}
	return cmpOr(w.Name, w.Kind)
}
