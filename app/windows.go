package app

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// limitWindow is one usage window of an account, named for the user.
type limitWindow struct {
	Label string
	api.Window
}

// windowsOf lists the windows the engine knows for a, in the engine's
// order: the 5-hour session window, the weekly one, then per-model weekly
// caps and whatever else the API names. An account the engine has heard
// nothing about yet shows empty 5-hour and weekly bars; a weekly-only plan
// shows no 5-hour bar.
func windowsOf(a api.AccountView) []limitWindow {
	if len(a.Windows) == 0 {
		return []limitWindow{{"5-hour", api.Window{}}, {"Weekly", api.Window{}}}
	}
	out := make([]limitWindow, 0, len(a.Windows))
	for _, w := range a.Windows {
		out = append(out, limitWindow{windowLabel(w), w})
	}
	return out
}

// windowLabel names a window for people: "5-hour", "Weekly", "Weekly Opus".
func windowLabel(w api.Window) string {
	scope := ""
	if w.Scope != "" {
		scope = " " + strings.ToUpper(w.Scope[:1]) + w.Scope[1:]
	}
	switch w.Kind {
	case "session":
		return "5-hour" + scope
	case "weekly":
		return "Weekly" + scope
	}
	if w.Name != "" {
		return w.Name + scope
	}
	return w.Kind + scope
}

// known reports whether the engine has heard about a window, as
// Window.Known decides it.
func known(w api.Window) bool { return w.Known() }

// shownWindow is w as a's card draws it at now. A window past its reset
// is empty (Window.Current). One that reads as unheard of but has a reset
// time was heard of and reopened early: 0 %, not a dash. A spent or
// refused window on an account that is not limited is a limit the user
// cleared by hand (the limit reset before the engine heard): also 0 %, not
// a red 100 % bar beside "ok"; the next answer brings the real figure.
func shownWindow(a api.AccountView, w api.Window, now time.Time) api.Window {
	w = w.Current(now)
	switch {
	case !w.Known() && !w.ResetsAt.IsZero():
		w.Status = "allowed"
	case (w.Status == "rejected" || w.Utilization >= 1) && !a.State.Limited() && a.State != api.StatePaused && len(a.ScopedLimits) == 0:
		w.Utilization, w.Status = 0, "allowed"
	}
	return w
}

// resetSinceAnswer is resetsIn's text for a window whose reset has passed
// since the last answer said its figure; the longest it says.
const resetSinceAnswer = "reset since the last answer"

// resetsIn says when a window resets: "resets in 2 h 14 m".
func resetsIn(at, now time.Time) string {
	if at.IsZero() {
		return ""
	}
	d := at.Sub(now)
	switch {
	case d <= 0:
		return resetSinceAnswer
	case d < time.Minute:
		return "resets in < 1 m"
	}
	d = d.Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("resets in %d m", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("resets in %d h %d m", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("resets in %d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}

// level is how close a window is to its limit, which picks its colour.
type level int

const (
	levelUnknown level = iota
	levelLow
	levelHigh // 70% or a warning from the API
	levelFull // 90%, or refused
)

func levelOf(w api.Window) level {
	switch {
	case !known(w):
		return levelUnknown
	case w.Status == "rejected" || w.Utilization >= 0.9:
		return levelFull
	case w.Status == "allowed_warning" || w.Utilization >= 0.7:
		return levelHigh
	}
	return levelLow
}

func (l level) color() color.Color {
	switch l {
	case levelLow:
		return theme.Color(theme.ColorNameSuccess)
	case levelHigh:
		return theme.Color(theme.ColorNameWarning)
	case levelFull:
		return theme.Color(theme.ColorNameError)
	}
	return theme.Color(theme.ColorNameDisabled)
}

// bar is a horizontal meter drawn with canvas rectangles: a track and a
// fill whose width is the fraction and whose colour is the level.
type bar struct {
	track, fill *canvas.Rectangle
	frac        float32
	obj         *fyne.Container
}

func newBar() *bar {
	b := &bar{
		track: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		fill:  canvas.NewRectangle(theme.Color(theme.ColorNameDisabled)),
	}
	b.track.CornerRadius, b.fill.CornerRadius = 3, 3
	b.obj = container.New(b, b.track, b.fill)
	return b
}

// set shows w. UI goroutine only.
func (b *bar) set(w api.Window) {
	frac, fill := float32(min(max(w.Utilization, 0), 1)), levelOf(w).color()
	if frac == b.frac && fill == b.fill.FillColor {
		return // unchanged: no repaint
	}
	b.frac, b.fill.FillColor = frac, fill
	b.obj.Refresh()
	b.Layout(b.obj.Objects, b.obj.Size())
}

// Layout is the bar's fyne.Layout: the track fills, the fill takes frac.
func (b *bar) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Resize(size)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[1].Resize(fyne.NewSize(size.Width*b.frac, size.Height))
	objs[1].Move(fyne.NewPos(0, 0))
}

// MinSize is the bar's fyne.Layout minimum.
func (b *bar) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(160, 10) }

// paceLine is what a window's pace forecasts, for its card: "at this
// pace: runs out 15:40, 50 min before reset", or "" when the window is not
// forecast to run out before it resets (the engine sets RunsOutAt only
// then), or already spent (its bar says so). An API key's per-minute buckets have no forecast: their bars show
// the pressure of the current minute.
func paceLine(w limitWindow, now time.Time) string {
	if _, minute := minuteLabels[w.Kind]; minute {
		return ""
	}
	if w.RunsOutAt.IsZero() || w.ResetsAt.IsZero() || !w.ResetsAt.After(now) || !w.RunsOutAt.Before(w.ResetsAt) ||
		w.Status == "rejected" || w.Utilization >= 1 {
		return ""
	}
	at := w.RunsOutAt
	if at.Before(now) {
		at = now
	}
	return fmt.Sprintf("at this pace: runs out %s, %s before reset", clockAt(at, now), span(w.ResetsAt.Sub(at)))
}

// clockAt is t on the local clock, with the weekday when it is not today.
func clockAt(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}

// span is a duration in words, to the minute: "50 min", "2 h 10 min", "3 d 4 h".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case d < time.Minute:
		return "< 1 min"
	case d < time.Hour:
		return fmt.Sprintf("%d min", m)
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d d %d h", h/24, h%24)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// runwayLine says when, at this pace, the pool is spent for each model
// family the engine forecasts it for, and what would help; "" when it is
// not forecast to run out.
func runwayLine(rws []api.Runway, now time.Time) string {
	var lines []string
	for _, r := range rws {
		if r.RunsOutAt.IsZero() {
			continue
		}
		who := "every account"
		if r.Family != "" {
			who += " that serves " + strings.ToUpper(r.Family[:1]) + r.Family[1:]
		}
		line := "At this pace " + who + " is spent at " + clockAt(r.RunsOutAt, now)
		if !r.RunsOutAt.After(now) {
			line = capitalize(who) + " is spent now"
		}
		if !r.Until.IsZero() {
			line += ", until " + clockAt(r.Until, now) + " when the first resets"
		}
		lines = append(lines, line+".")
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\nAnother account, or a Console API key (no 5-hour window), would keep requests going."
}
