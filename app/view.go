package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/tray"
)

// AddAccountHint is the line under the accounts, for those who add accounts
// from a terminal (scripts, headless machines); the window has its button.
const AddAccountHint = "From a terminal: sluice accounts login NAME, or add-key NAME for an API key"

// snapshot is what the window shows, read from the engine off the UI
// goroutine and applied on it.
type snapshot struct {
	running  bool
	addr     string
	accounts []proxy.AccountView
	err      error // reading the accounts failed
}

// view is the main window's content. Its widgets are touched only on the UI
// goroutine: reads from the engine happen elsewhere and reach it through do.
type view struct {
	eng Engine
	do  func(func()) // runs a function on the UI goroutine: fyne.Do
	win fyne.Window  // the parent of the view's dialogs
	// openBrowser opens a sign-in URL; nil shows it only.
	openBrowser func(url string) error
	timeout     time.Duration
	debounce    time.Duration

	status  *widget.Label
	toggle  *widget.Button
	add     *widget.Button // opens the Add account dialog
	problem *widget.Label  // the last failure, hidden when there is none
	empty   *widget.Label
	table   *widget.Table
	rows    []proxy.AccountView // what the table shows
	relogin *fyne.Container     // a row per account that needs a new sign-in
	stale   []string            // the names relogin shows
	readErr error               // the last re-read failed
	setErr  error               // the last start or stop failed

	busy atomic.Bool // a start or stop is in flight
}

// columns of the accounts table.
var columns = []string{"Name", "Kind", "State", "5h", "7d"}

func newView(eng Engine, do func(func())) *view {
	v := &view{
		eng:      eng,
		do:       do,
		timeout:  15 * time.Second,
		debounce: 150 * time.Millisecond,
		status:   widget.NewLabel("Proxy: …"),
		problem:  widget.NewLabel(""),
		empty:    widget.NewLabel("No accounts yet."),
	}
	v.status.TextStyle.Bold = true
	v.problem.Importance = widget.DangerImportance
	v.problem.Wrapping = fyne.TextWrapWord
	v.problem.Hide()
	v.empty.Hide()
	v.toggle = widget.NewButton("Turn proxy on", nil)
	v.toggle.Disable() // until the first snapshot says which way it goes
	v.add = widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), v.showAddAccount)
	v.relogin = container.NewVBox()

	v.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(v.rows), len(columns) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(cell(v.rows[id.Row], id.Col))
		})
	v.table.ShowHeaderColumn = false
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		l.TextStyle.Bold = true
		l.SetText(columns[id.Col])
	}
	for col, w := range []float32{180, 80, 140, 60, 60} {
		v.table.SetColumnWidth(col, w)
	}
	return v
}

// content lays the view out: status and toggle on top, accounts in the
// middle, the hint at the bottom.
func (v *view) content() fyne.CanvasObject {
	top := container.NewVBox(
		container.NewHBox(v.status, layout.NewSpacer(), v.add, v.toggle),
		v.problem,
		v.relogin,
		widget.NewSeparator(),
	)
	hint := widget.NewLabel(AddAccountHint)
	hint.TextStyle.Italic = true
	return container.NewBorder(top, hint, nil, nil, container.NewStack(v.table, v.empty))
}

// cell formats one table cell.
func cell(a proxy.AccountView, col int) string {
	switch columns[col] {
	case "Name":
		return a.Name
	case "Kind":
		return a.Kind
	case "State":
		return state(a)
	case "5h":
		return percent(a.FiveHour)
	case "7d":
		return percent(a.SevenDay)
	}
	return ""
}

// state shows an account's state, with when a limit ends: the first thing a
// user wants to know about a limited account.
func state(a proxy.AccountView) string {
	if a.LimitedUntil.IsZero() {
		return a.State
	}
	return a.State + " until " + a.LimitedUntil.Local().Format("15:04")
}

// percent shows a window's utilization; a window the engine has not heard
// about yet (no status, nothing used) shows a dash rather than a false 0%.
func percent(w proxy.Window) string {
	if w.Status == "" && w.Utilization == 0 {
		return "–"
	}
	return fmt.Sprintf("%d%%", int(math.Round(w.Utilization*100)))
}

// StatusText is the window's status line: "Proxy on at ADDR" or "Proxy off".
func StatusText(running bool, addr string) string {
	if running {
		return "Proxy on at " + addr
	}
	return "Proxy off"
}

// watch keeps the view in step with the engine until the subscription ends.
// Events come in bursts (a busy proxy sends one per request), so they are
// coalesced into one re-read per debounce interval.
func (v *view) watch(events <-chan proxy.Event) {
	v.reload()
	var due <-chan time.Time
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
			if due == nil {
				due = time.After(v.debounce)
			}
		case <-due:
			due = nil
			v.reload()
		}
	}
}

// reload reads the engine on the calling goroutine and applies the result on
// the UI goroutine.
func (v *view) reload() {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	s := snapshot{running: v.eng.ProxyRunning(), addr: v.eng.Addr()}
	s.accounts, s.err = v.eng.Accounts(ctx)
	if s.err != nil {
		s.err = fmt.Errorf("read accounts: %w", s.err)
	}
	v.do(func() { v.apply(s) })
}

// apply shows s. UI goroutine only.
func (v *view) apply(s snapshot) {
	v.status.SetText(StatusText(s.running, s.addr))
	if s.running {
		v.toggle.SetText("Turn proxy off")
	} else {
		v.toggle.SetText("Turn proxy on")
	}
	v.toggle.OnTapped = func() { v.set(!s.running) }
	if !v.busy.Load() {
		v.toggle.Enable()
	}
	v.readErr = s.err
	v.showProblems()
	if s.err != nil {
		return // keep showing the accounts we had
	}
	v.rows = s.accounts
	v.showStale()
	v.empty.Hidden = len(v.rows) > 0
	v.empty.Refresh()
	v.table.Hidden = len(v.rows) == 0 // its header would overprint the note
	v.table.Refresh()
}

// showProblems shows the current failures, or hides the line when there
// are none. UI goroutine only.
func (v *view) showProblems() {
	err := errors.Join(v.setErr, v.readErr)
	if err == nil {
		v.problem.Hide()
		return
	}
	v.problem.SetText(err.Error())
	v.problem.Show()
}

// set starts or stops the proxy off the UI goroutine. The button does what
// its label said when it was drawn, not a blind toggle, and is disabled
// while a call is in flight so a double click cannot undo itself.
func (v *view) set(on bool) {
	if !v.busy.CompareAndSwap(false, true) {
		return
	}
	v.toggle.Disable()
	v.setErr = nil
	v.showProblems()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
		defer cancel()
		err := tray.Switch(ctx, v.eng, on)
		v.do(func() { v.setErr = err })
		v.busy.Store(false)
		v.reload()
	}()
}
