package app

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// kindWords names an account's kind for people.
func kindWords(kind api.Kind) string {
	switch kind {
	case api.KindOAuth:
		return "Claude subscription"
	case api.KindAPIKey:
		return "Console API key"
	}
	return string(kind)
}

// state shows an account's state with its reason and, for a limit, when it
// ends: the first thing a user wants to know about a limited account.
func state(a api.AccountView) string {
	s := string(a.State)
	if a.State == api.StateNeedsLogin {
		s = "needs sign-in"
	}
	if !a.LimitedUntil.IsZero() {
		s += " until " + a.LimitedUntil.Local().Format("15:04")
	}
	if a.Reason != "" {
		s += " (" + a.Reason + ")"
	}
	return s
}

// stateImportance colours the state line.
func stateImportance(a api.AccountView) widget.Importance {
	switch api.State(a.State) {
	case api.StateOK:
		return widget.SuccessImportance
	case api.StateWarning:
		return widget.WarningImportance
	case api.StateLimited, api.StateNeedsLogin:
		return widget.DangerImportance
	}
	return widget.MediumImportance
}

// tokens shows a token count compactly: 950, 12.3k, 4.1M.
func tokens(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// card shows one account in the Accounts tab. Its widgets are kept across
// updates, so a button is not replaced under the pointer at every event.
type card struct {
	a       api.AccountView
	name    *widget.Label
	kind    *widget.Label
	state   *widget.Label
	windows *fyne.Container // one row per usage window
	bars    map[string]*windowRow
	stats   *widget.Label
	// The buttons come into sight when Tab reaches them (focusButton).
	pause   *focusButton
	up      *focusButton
	down    *focusButton
	replace *focusButton // API-key accounts only
	again   *focusButton // sign in again
	rename  *focusButton
	remove  *focusButton
	clear   *focusButton // lifts a limit by hand
	obj     fyne.CanvasObject
}

// windowRow is one usage window's line: label, bar, figure and reset,
// and under it the pace line when the window is forecast to run out.
type windowRow struct {
	label, figure, reset *widget.Label
	pace                 *widget.Label
	paceRow              *fyne.Container // hidden without a forecast
	bar                  *bar
	obj                  fyne.CanvasObject
}

// resetWidth is the width of a window row's reset column: its longest
// text (resetsIn's "reset since the last answer") in a label, which a
// fixed 170 cut off at "answe".
func resetWidth() float32 {
	return widget.NewLabel(resetSinceAnswer).MinSize().Width
}

func newWindowRow(label string) *windowRow {
	r := &windowRow{label: widget.NewLabel(label), figure: widget.NewLabel(""), reset: widget.NewLabel(""),
		pace: widget.NewLabel(""), bar: newBar()}
	r.reset.Importance = widget.LowImportance
	r.pace.Importance = widget.WarningImportance
	line := container.NewBorder(nil, nil,
		container.NewGridWrap(fyne.NewSize(160, r.label.MinSize().Height), r.label),
		container.NewHBox(container.NewGridWrap(fyne.NewSize(56, r.figure.MinSize().Height), r.figure),
			container.NewGridWrap(fyne.NewSize(resetWidth(), r.reset.MinSize().Height), r.reset)),
		container.NewVBox(layout.NewSpacer(), r.bar.obj, layout.NewSpacer()))
	// The pace line sits under the bar, indented to it: it is about that
	// window. Hidden, it takes no room in the box.
	indent := canvas.NewRectangle(color.Transparent)
	indent.SetMinSize(fyne.NewSize(160, 0))
	r.paceRow = container.NewBorder(nil, nil, indent, nil, r.pace)
	r.paceRow.Hide()
	r.obj = container.NewVBox(line, r.paceRow)
	return r
}

// setPace shows a window's pace line, or hides the row when text is "".
func (r *windowRow) setPace(text string) {
	setText(r.pace, text)
	switch {
	case text == "" && r.paceRow.Visible():
		r.paceRow.Hide()
	case text != "" && !r.paceRow.Visible():
		r.paceRow.Show()
	}
}

func (v *view) newCard() *card {
	c := &card{
		name:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		kind:    widget.NewLabel(""),
		state:   widget.NewLabel(""),
		windows: container.NewVBox(),
		bars:    map[string]*windowRow{},
		stats:   widget.NewLabel(""),
	}
	c.kind.Importance = widget.LowImportance
	c.stats.Importance = widget.LowImportance
	c.pause = newFocusButton("Pause", theme.MediaPauseIcon(), func() { v.togglePause(c.a) }, v.cardInSight)
	c.up = newFocusButton("", theme.MoveUpIcon(), func() { v.move(c.a, -1) }, v.cardInSight)
	c.down = newFocusButton("", theme.MoveDownIcon(), func() { v.move(c.a, +1) }, v.cardInSight)
	c.rename = newFocusButton("Rename", nil, func() { v.showRename(c.a) }, v.cardInSight)
	c.replace = newFocusButton("Replace key", nil, func() { v.showReplaceKey(c.a) }, v.cardInSight)
	c.again = newFocusButton("Sign in again", nil, func() { v.login(c.a.Name, reauthMode(c.a), true) }, v.cardInSight)
	c.remove = newFocusButton("Remove", theme.DeleteIcon(), func() { v.confirmRemove(c.a) }, v.cardInSight)
	c.clear = newFocusButton("Clear limit", nil, func() {
		name := c.a.Name
		v.act("clear the limit of "+name, func(ctx context.Context) error { return v.eng.ClearLimit(ctx, name) })
	}, v.cardInSight)
	for _, b := range []*focusButton{c.pause, c.up, c.down, c.rename, c.replace, c.again, c.clear} {
		b.Importance = widget.LowImportance
	}
	c.remove.Importance = widget.DangerImportance // it deletes the keyring item
	head := container.NewHBox(c.name, c.kind, layout.NewSpacer(), c.state)
	actions := container.NewHBox(c.pause, c.up, c.down, c.rename, c.replace, c.again, c.clear, layout.NewSpacer(), c.remove)
	c.obj = widget.NewCard("", "", container.NewVBox(head, c.windows, c.stats, actions))
	return c
}

// update shows a in the card. UI goroutine only.
func (c *card) update(a api.AccountView, first, last bool, now time.Time) {
	c.a = a
	c.name.SetText(a.Name)
	c.kind.SetText(kindWords(a.Kind))
	c.state.SetText(state(a))
	c.state.Importance = stateImportance(a)
	c.state.Refresh()
	var rows []fyne.CanvasObject
	for _, w := range cardWindows(a) {
		r := c.bars[w.Label]
		if r == nil {
			r = newWindowRow(w.Label)
			c.bars[w.Label] = r
		}
		win := shownWindow(a, w.Window, now)
		setText(r.figure, win.Percent())
		setText(r.reset, resetsIn(w.ResetsAt, now))
		r.bar.set(win)
		// A limited account spends nothing until its limit ends: a
		// forecast from the burst that led there would only be noise.
		pace := ""
		if !a.Limited() {
			pace = paceLine(w, now)
		}
		r.setPace(pace)
		rows = append(rows, r.obj)
	}
	c.windows.Objects = rows
	c.windows.Refresh()
	setText(c.stats, statsLine(a))
	if a.Paused {
		c.pause.SetText("Resume")
		c.pause.SetIcon(theme.MediaPlayIcon())
	} else {
		c.pause.SetText("Pause")
		c.pause.SetIcon(theme.MediaPauseIcon())
	}
	enable(c.up, !first)
	enable(c.down, !last)
	c.replace.Hidden = a.Kind != api.KindAPIKey
	c.replace.Refresh()
	// An API-key account is fixed by replacing its key; signing in again
	// is for subscription logins.
	c.again.Hidden = a.Kind == api.KindAPIKey
	c.again.Refresh()
	// Clearing a limit by hand is for when the user knows it is over (a
	// reset the engine has not seen yet).
	c.clear.Hidden = a.State != api.StateLimited && len(a.ScopedLimits) == 0
	c.clear.Refresh()
}

// setText sets l's text only when it changed: SetText redraws even when
// the text is the same, and cards are updated on every event.
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

func enable(b fyne.Disableable, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// runwayLabel is the line above the cards that says when, at this pace,
// the whole pool runs out; hidden while it does not.
func (v *view) runwayLabel() fyne.CanvasObject {
	v.runway = widget.NewLabel("")
	v.runway.Importance = widget.WarningImportance
	v.runway.Wrapping = fyne.TextWrapWord
	v.runway.Hide()
	return v.runway
}

// showAccounts lays the cards out for v.rows, reusing each account's card,
// with the pool's runway above them. UI goroutine only.
func (v *view) showAccounts() {
	now := time.Now()
	if v.runway != nil {
		line := runwayLine(v.runways, now)
		setText(v.runway, line)
		if line == "" {
			v.runway.Hide()
		} else {
			v.runway.Show()
		}
	}
	keep := map[string]*card{}
	objs := make([]fyne.CanvasObject, 0, len(v.rows))
	for i, a := range v.rows {
		c := v.cards[a.ID]
		if c == nil {
			c = v.newCard()
		}
		c.update(a, i == 0, i == len(v.rows)-1, now)
		keep[a.ID] = c
		objs = append(objs, c.obj)
	}
	v.cards = keep
	v.cardList.Objects = objs
	v.cardList.Refresh()
	if len(v.rows) > 0 {
		v.empty.Hide()
	} else {
		v.empty.Show()
	}
}
