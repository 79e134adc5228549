package tray

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Level is what the tray icon shows, worst first.
type Level int

// The icon levels.
const (
	LevelOff        Level = iota // the proxy does not listen
	LevelOn                      // listening, every account usable
	LevelSomeLimit               // listening, some account cannot take requests
	LevelAllLimited              // listening, no account can take requests
	LevelError                   // the last start or stop failed
)

// Icon is the tray icon for a level.
func (l Level) Icon() fyne.Resource {
	switch l {
	case LevelOn:
		return assets.TrayOn
	case LevelSomeLimit:
		return assets.TraySomeLimited
	case LevelAllLimited:
		return assets.TrayAllLimited
	case LevelError:
		return assets.TrayError
	}
	return assets.TrayOff
}

// String names the level for the tooltip.
func (l Level) String() string {
	switch l {
	case LevelOn:
		return "on"
	case LevelSomeLimit:
		return "on, some accounts limited"
	case LevelAllLimited:
		return "on, every account limited"
	case LevelError:
		return "error"
	}
	return "off"
}

// accountLine is one account as the menu shows it.
type accountLine struct {
	name, window, tail string // window: "5h 72 %", or "" when none is known; tail: "resets 1 h 12 m", "back at 17:00", "paused"
	pace               string // "runs out 15:40" when the pace says the window is spent before it resets
}

// text is the menu line: "personal · 5h 72 % · resets 1 h 12 m", with
// "· runs out 15:40" when, at this pace, the window is spent first.
func (a accountLine) text() string {
	t := a.name
	for _, p := range []string{a.window, a.tail, a.pace} {
		if p != "" {
			t += " · " + p
		}
	}
	return t
}

// state is what the tray shows; the menu is rebuilt only when it changes,
// because systray tears down and re-exports the whole menu on each rebuild.
type state struct {
	running  bool
	addr     string
	startErr string // why the proxy could not start, from the engine
	failed   bool   // the last start or stop failed, or the engine could not be read
	lost     bool   // the engine could not be read
	accounts []accountLine
	usable   int
	limited  int    // held back by a limit or a lost login; a paused account is neither
	upstream string // why the Anthropic API cannot be reached; "" while it can
}

func (s state) equal(o state) bool {
	if s.running != o.running || s.addr != o.addr || s.startErr != o.startErr || s.failed != o.failed || s.lost != o.lost || s.upstream != o.upstream ||
		s.usable != o.usable || s.limited != o.limited || len(s.accounts) != len(o.accounts) {
		return false
	}
	for i := range s.accounts {
		if s.accounts[i] != o.accounts[i] {
			return false
		}
	}
	return true
}

// level picks the icon for s.
func (s state) level() Level {
	switch {
	case s.failed, s.startErr != "" && !s.running, s.running && s.upstream != "":
		return LevelError
	case !s.running:
		return LevelOff
	case s.limited > 0 && s.usable == 0:
		return LevelAllLimited
	case s.limited > 0:
		return LevelSomeLimit
	}
	return LevelOn
}

// tooltip is the hover text: the proxy's state and address (or why it is
// off), then the accounts. The address follows "on" only: "some accounts
// limited at 127.0.0.1:8788" read as if the address were limited.
func (s state) tooltip() string {
	switch {
	case s.lost:
		return "Sluice: cannot reach the engine"
	case s.startErr != "" && !s.running:
		return "Sluice: the proxy could not start: " + s.startErr
	case s.running && s.upstream != "":
		return "Sluice: " + s.upstream
	}
	t := "Sluice: proxy off"
	if s.running {
		t = "Sluice: proxy on at " + s.addr
	}
	if s.failed {
		t += " (the last command failed)"
	}
	if len(s.accounts) == 0 {
		return t + ", no accounts yet"
	}
	t += fmt.Sprintf(", %d of %d accounts usable", s.usable, len(s.accounts))
	if s.limited > 0 {
		t += fmt.Sprintf(", %d limited", s.limited)
	}
	return t
}

// lines turns accounts into menu lines, each showing the window pick
// names (api.ParseTrayWindow's values; "" is closest).
func lines(accts []api.AccountView, now time.Time, pick string) (out []accountLine, usable, limited int) {
	for _, a := range accts {
		if a.Usable() {
			usable++
		}
		if a.Limited() {
			limited++
		}
		out = append(out, line(a, now, pick))
	}
	return out, usable, limited
}

// line is one account's menu line: its window's figure, then when it
// resets ("resets 1 h 12 m"), when the account is back if it is spent
// ("back at 17:00", local time), or why it takes no requests.
func line(a api.AccountView, now time.Time, pick string) accountLine {
	l := accountLine{name: a.Name}
	w, ok := chooseWindow(a, now, pick)
	if ok {
		l.window = w.Name + " " + strings.TrimSuffix(w.Percent(), "%") + " %"
	}
	spent := ok && (w.Utilization >= 1 || w.Status == "rejected")
	switch {
	case a.State == api.StateLimited && a.LimitedUntil.After(now):
		l.tail = "back " + at(a.LimitedUntil, now)
	case a.State == api.StateLimited:
		l.tail = "limited"
	case a.State == api.StateNeedsLogin:
		l.tail = "sign in again"
	case a.State == api.StatePaused:
		l.tail = "paused"
	case spent && w.ResetsAt.After(now):
		l.tail = "back " + at(w.ResetsAt, now)
	case ok && w.ResetsAt.After(now):
		l.tail = "resets " + countdown(w.ResetsAt.Sub(now))
		fallthrough
	case ok && a.Usable() && !spent:
		if w.RunsOutAt.After(now) && (w.ResetsAt.IsZero() || w.RunsOutAt.Before(w.ResetsAt)) {
			l.pace = "runs out " + strings.TrimPrefix(at(w.RunsOutAt, now), "at ")
		}
	case !ok:
		l.tail = string(a.State)
	}
	return l
}

// at is when t comes in the user's local time: "at 17:00" today, "Tue
// 17:00" on another day (a weekly window), so a time is never read as
// today's when it is days away.
func at(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return "at " + t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}

// countdown is d as the menu says it: "2 d 3 h", "1 h 12 m", "12 m",
// "< 1 m". Minutes are rounded up: "resets 0 m" would be wrong until it has.
func countdown(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	switch {
	case d < time.Minute:
		return "< 1 m"
	case m >= 24*60:
		return fmt.Sprintf("%d d %d h", m/(24*60), m%(24*60)/60)
	case m >= 60:
		return fmt.Sprintf("%d h %d m", m/60, m%60)
	}
	return fmt.Sprintf("%d m", m)
}

// chooseWindow is the window a menu line shows for an account, as of now:
// the one pick names (5h: the session window; 7d: the account-wide week;
// else a window's name, kind or model scope), or, for closest or when the
// account has no such window, the known window nearest its limit.
func chooseWindow(a api.AccountView, now time.Time, pick string) (api.Window, bool) {
	windows := a.Windows
	if len(windows) == 0 { // a view with only the classic pair filled in
		fh, sd := a.FiveHour, a.SevenDay
		fh.Name, fh.Kind = cmp.Or(fh.Name, "5h"), cmp.Or(fh.Kind, "session")
		sd.Name, sd.Kind = cmp.Or(sd.Name, "7d"), cmp.Or(sd.Kind, "weekly")
		windows = []api.Window{fh, sd}
	}
	if pick != "" && pick != api.TrayWindowClosest {
		for _, w := range windows {
			match := w.Name == pick || w.Kind == pick || w.Scope == pick
			switch pick {
			case "5h":
				match = match || w.Kind == "session"
			case "7d":
				match = match || w.Kind == "weekly" && w.Scope == ""
			}
			if w = w.Current(now); match && w.Known() && w.Name != "" {
				return w, true
			}
		}
	}
	var top api.Window
	found := false
	for _, w := range windows {
		if w = w.Current(now); w.Known() && w.Name != "" && (!found || w.Utilization > top.Utilization) {
			top, found = w, true
		}
	}
	return top, found
}
