package tray

import (
	"fmt"
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
	name, window, state string // window: "5h 42%", "rpm 4%", or "" when none is known
}

// state is what the tray shows; the menu is rebuilt only when it changes,
// because systray tears down and re-exports the whole menu on each rebuild.
type state struct {
	running  bool
	addr     string
	failed   bool // the last start or stop failed, or the engine could not be read
	lost     bool // the engine could not be read
	accounts []accountLine
	usable   int
	limited  int    // held back by a limit or a lost login; a paused account is neither
	upstream string // why the Anthropic API cannot be reached; "" while it can
}

func (s state) equal(o state) bool {
	if s.running != o.running || s.addr != o.addr || s.failed != o.failed || s.lost != o.lost || s.upstream != o.upstream ||
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
	case s.failed, s.running && s.upstream != "":
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

// tooltip is the hover text: state, port, usable/total.
func (s state) tooltip() string {
	if s.lost {
		return "Sluice: cannot reach the engine"
	}
	if s.running && s.upstream != "" {
		return "Sluice: " + s.upstream
	}
	t := "Sluice: proxy " + s.level().String()
	if s.running {
		t += " at " + s.addr
	}
	return t + fmt.Sprintf(", %d of %d accounts usable", s.usable, len(s.accounts))
}

// lines turns accounts into menu lines.
func lines(accts []api.AccountView, now time.Time) (out []accountLine, usable, limited int) {
	for _, a := range accts {
		if a.Usable() {
			usable++
		}
		if a.Limited() {
			limited++
		}
		st := string(a.State)
		if !a.LimitedUntil.IsZero() && a.LimitedUntil.After(now) {
			st += " until " + a.LimitedUntil.Local().Format("15:04")
		}
		out = append(out, accountLine{name: a.Name, window: windowFigure(a, now), state: st})
	}
	return out, usable, limited
}

// windowFigure is the window a menu line shows for an account: its 5-hour
// window when it has one, else its fullest known window (an API key's
// requests per minute, a weekly-only plan's week), else none.
func windowFigure(a api.AccountView, now time.Time) string {
	if p := a.FiveHour.Current(now).Percent(); p != "–" {
		return "5h " + p
	}
	var top api.Window
	for _, w := range a.Windows {
		if w = w.Current(now); w.Known() && w.Name != "" && (top.Name == "" || w.Utilization > top.Utilization) {
			top = w
		}
	}
	if top.Name == "" {
		return ""
	}
	return top.Name + " " + top.Percent()
}
