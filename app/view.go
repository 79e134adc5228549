package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/tray"
)

// AddAccountHint is the line under the accounts, for those who add accounts
// from a terminal (scripts, headless machines); the window has its button.
const AddAccountHint = "From a terminal: sluice accounts login NAME, or add-key NAME for an API key"

// WindowSize is the main window's size at start: the sign-in dialog with
// its pasted-code box fits in it (TestDialogsFitTheWindow).
var WindowSize = fyne.NewSize(900, 640)

// snapshot is what the window shows, read from the engine off the UI
// goroutine and applied on it.
type snapshot struct {
	running  bool
	addr     string
	accounts []api.AccountView
	runway   []api.Runway // when the pool runs out at this pace
	err      error        // reading the accounts failed
	// firstSecret is the key made on first start, until it is dismissed.
	firstSecret string
	proxy       api.ProxySettings // strategy, retries... (proxysettings.go)
	journal     api.Settings      // retention and capture (settings.go)
	keyring     string
	lost        bool   // the engine could not be read at all
	startErr    string // why the proxy's last start failed (Snapshot.StartError)
	seq         uint64 // the read's place in order (view.reads)
}

// view is the main window's content. Its widgets are touched only on the UI
// goroutine: reads from the engine happen elsewhere and reach it through do.
type view struct {
	eng Engine
	do  func(func()) // runs a function on the UI goroutine: fyne.Do
	win fyne.Window  // the parent of the view's dialogs
	// openBrowser opens a sign-in URL; nil shows it only.
	openBrowser func(url string) error
	// notify sends a desktop notification; nil sends none.
	notify   func(title, body string)
	notes    *owner.Notifier
	timeout  time.Duration
	debounce time.Duration

	status  *widget.Label
	toggle  *widget.Button
	add     *widget.Button // opens the Add account dialog
	copy    *widget.Button // copies the connection settings
	setup   *widget.Button // writes Claude Code's settings
	problem *widget.Label  // the last failure, hidden when there is none
	empty   fyne.CanvasObject
	// shellLines shows the connection settings in the empty state.
	shellLines *widget.Label
	noKey      *widget.Label // says how to get a key when none is known
	// token is a client key's secret the window knows (the first key's,
	// or one created here), for the connection settings; "" when none.
	token     string
	first     *fyne.Container // the first key's banner
	top       *fyne.Container // status, problems, banners: above the tabs
	root      *fyne.Container // top and tabs
	firstLine *widget.Label
	cardList  *fyne.Container
	cardsBox  *container.Scroll // cardList's; its buttons scroll it (cardInSight)
	cards     map[string]*card  // by account id
	rows      []api.AccountView // what the cards show
	runways   []api.Runway      // the pool's runway (runwayLine)
	runway    *widget.Label     // shows it above the cards
	relogin   *fyne.Container   // a row per account that needs a new sign-in
	stale     []string          // the names relogin shows
	readErr   error             // the last re-read failed
	setErr    error             // the last start or stop failed
	setWant   bool              // what the failed start or stop wanted
	addr      string
	running   bool   // the proxy listens at addr, as last read
	startErr  string // why its last start failed, "" if it did not
	logs      *logsTab
	usage     *usageTab
	settings  *settingsTab
	tabs      *container.AppTabs
	dialogs   []dialog.Dialog // open dialogs, topmost last: Esc closes it
	// enterKeeps are open confirmations whose confirm button is not the
	// usual answer ("Undo" after a set-up): Enter dismisses them.
	enterKeeps map[dialog.Dialog]bool

	busy atomic.Bool // a start or stop is in flight
	// reads numbers the engine reads as they start; applied is the newest
	// one shown. A slow read that started before a newer one finished
	// (one taken during a port change) must not put the old state back.
	reads   atomic.Uint64
	applied uint64
	// keys are the window's keyboard shortcuts (keyboard.go).
	keys map[desktop.CustomShortcut]func()
}

func newView(eng Engine, do func(func())) *view {
	v := &view{
		eng:      eng,
		do:       do,
		timeout:  15 * time.Second,
		debounce: 300 * time.Millisecond,
		status:   widget.NewLabel("Proxy: …"),
		problem:  widget.NewLabel(""),
		cards:    map[string]*card{},
		cardList: container.NewVBox(),
		notes:    owner.NewNotifier(),
	}
	v.status.TextStyle.Bold = true
	v.problem.Importance = widget.DangerImportance
	v.problem.Wrapping = fyne.TextWrapWord
	v.problem.Hide()
	v.toggle = widget.NewButton(tray.LabelTurnOn, nil)
	v.toggle.Disable() // until the first snapshot says which way it goes
	v.add = widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), v.showAddAccount)
	v.copy = widget.NewButtonWithIcon(tray.LabelCopy, theme.ContentCopyIcon(), nil)
	v.copy.OnTapped = func() {
		v.copySettings()
		if v.token != "" { // else it said how to get a key
			v.flashCopied(v.copy)
		}
	}
	v.setup = widget.NewButtonWithIcon("Set up Claude Code", theme.DocumentSaveIcon(), v.setUpClaudeCode)
	v.relogin = container.NewVBox()
	v.empty = v.emptyState()
	v.logs = newLogsTab(eng, do, v.newEntry)
	v.usage = newUsageTab(eng, do)
	v.settings = newSettingsTab(v)
	v.firstKeyBanner()
	return v
}

// content lays the view out: status and toggle on top, the tabs below.
func (v *view) content() fyne.CanvasObject {
	v.top = container.NewVBox(
		container.NewHBox(v.status, layout.NewSpacer(), v.copy, v.setup, v.add, v.toggle),
		v.problem,
		v.first,
		v.relogin,
	)
	v.cardsBox = container.NewVScroll(clearOfScrollBar(v.cardList))
	hint := widget.NewLabel(AddAccountHint)
	hint.TextStyle.Italic = true
	hint.Importance = widget.LowImportance
	accounts := container.NewBorder(v.runwayLabel(), hint, nil, nil,
		container.NewStack(v.cardsBox, v.empty))
	v.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Accounts", theme.AccountIcon(), accounts),
		container.NewTabItemWithIcon("Logs", theme.ListIcon(), v.logs.content()),
		container.NewTabItemWithIcon("Usage", theme.GridIcon(), v.usage.content()),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), v.settings.content()),
	)
	// The top first: Tab walks the objects in their order, and
	// container.NewBorder puts the centre first, so the first Tab presses
	// went through the account cards (below the fold with a few accounts)
	// before reaching the buttons a user sees first.
	v.root = container.New(layout.NewBorderLayout(v.top, nil, nil, nil), v.top, v.tabs)
	return v.root
}

// selectTab shows the tab named name in any case ("logs"); an unknown
// name leaves the selection alone. UI goroutine only.
func (v *view) selectTab(name string) {
	for i, item := range v.tabs.Items {
		if strings.EqualFold(item.Text, name) {
			v.tabs.SelectIndex(i)
			return
		}
	}
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
// gathered per debounce interval and applied by kind from what they carry
// (events.go): request events refresh the logs and the usage, account
// events the cards, settings events the settings, a proxy event the
// status. Only a resync, or an event that came without what it changed,
// reads the engine's state (one Snapshot).
func (v *view) watch(events <-chan api.Event) {
	v.reload()
	var due <-chan time.Time
	var burst pending
	// The countdowns ("resets in 2 h 14 m") are minutes: redrawn once a
	// minute, and only the labels whose text changed (setText), so an idle
	// window repaints nothing in between.
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	for {
		select {
		case <-minute.C:
			v.do(v.showAccounts)
		case e, ok := <-events:
			if !ok {
				return
			}
			burst.add(e)
			if due == nil {
				due = time.After(v.debounce)
			}
		case <-due:
			due = nil
			if p := burst; p.resync {
				v.reload()
				if len(p.warnings) > 0 { // what a Snapshot does not hold
					v.do(func() { v.applyEvents(pending{warnings: p.warnings}) })
				}
			} else {
				v.do(func() {
					if !v.applyEvents(p) {
						go v.reload()
					}
				})
			}
			burst = pending{}
		}
	}
}

// reload reads the engine on the calling goroutine and applies the result on
// the UI goroutine.
func (v *view) reload() {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	s := snapshot{seq: v.reads.Add(1)}
	snap, err := v.eng.Snapshot(ctx)
	if err != nil {
		s.err, s.lost = fmt.Errorf("read accounts: %w", err), errors.Is(err, api.ErrUnreachable)
		v.do(func() { v.apply(s) })
		return
	}
	s.running, s.addr, s.accounts, s.keyring, s.runway = snap.ProxyRunning, snap.Addr, snap.Accounts, snap.Keyring, snap.Runway
	s.startErr = snap.StartError
	var errs []error
	if _, secret, ok, err := v.eng.FirstKey(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read the first key: %w", err))
	} else if ok {
		s.firstSecret = secret
	}
	if s.proxy, err = v.eng.ProxySettings(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read the proxy settings: %w", err))
	}
	if s.journal, err = v.eng.Settings(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read the settings: %w", err))
	}
	s.err = errors.Join(errs...)
	v.do(func() { v.apply(s) })
}

// apply shows s. UI goroutine only.
func (v *view) apply(s snapshot) {
	if s.seq < v.applied {
		return // a newer read was shown already
	}
	v.applied = s.seq
	if s.lost {
		// Say so where the proxy's state shows, and keep the rest as it
		// was: every action would fail until the engine is back.
		v.status.SetText("Cannot reach Sluice's engine")
		v.toggle.Disable()
		v.readErr = s.err
		v.showProblems()
		return
	}
	v.settings.keyring, v.settings.journal, v.settings.proxy = s.keyring, s.journal, s.proxy
	if !v.settings.shown || s.addr != v.addr {
		v.settings.show(s.addr)
	}
	v.settings.px.seen(s.accounts)
	v.settings.px.update(s.proxy) // changed from the CLI or another window
	v.addr = s.addr               // the settings show it already
	v.showFirstKey(s.firstSecret)
	v.readErr = s.err
	v.showProxy(s.running, s.addr, s.startErr)
	v.logs.follow()
	v.usage.refresh()
	if s.err != nil {
		return // keep showing the accounts we had
	}
	v.logs.setAccounts(s.accounts)
	v.notes.Accounts(s.accounts, v.send)
	v.rows, v.runways = s.accounts, s.runway
	v.showStale()
	v.showAccounts()
}

// showProxy shows the proxy's state: the status line, the toggle, the
// connection settings and the problems line. UI goroutine only.
func (v *view) showProxy(running bool, addr, startErr string) {
	if addr != v.addr && v.settings.shown {
		v.settings.show(addr)
	}
	v.addr, v.running, v.startErr = addr, running, startErr
	v.showConnect()
	if running {
		v.notes.Reset("start-failed")
	}
	v.status.SetText(StatusText(running, addr))
	if !running && startErr != "" {
		v.status.SetText("Proxy off: it could not start")
	}
	if running {
		v.toggle.SetText(tray.LabelTurnOff)
	} else {
		v.toggle.SetText(tray.LabelTurnOn)
	}
	v.toggle.OnTapped = func() { v.set(!running) }
	if !v.busy.Load() {
		v.toggle.Enable()
	}
	// A failed start is over once the proxy runs (started later, from
	// here, the tray or the CLI); a failed stop once it is off.
	if v.setErr != nil && running == v.setWant && !v.busy.Load() {
		v.setErr = nil
	}
	v.showProblems()
}

// send shows a desktop notification, if the app gave a way to.
func (v *view) send(title, body string) {
	if v.notify != nil {
		v.notify(title, body)
	}
}

// showProblems shows the current failures, or hides the line when there
// are none. UI goroutine only.
func (v *view) showProblems() {
	var lines []string
	switch {
	case v.setErr != nil:
		line := v.setErr.Error()
		if v.setWant {
			line = cmp.Or(startProblem(v.setErr, v.addr), line)
		}
		lines = append(lines, line)
	case !v.running && v.startErr != "":
		lines = append(lines, cmp.Or(startProblem(errors.New(v.startErr), v.addr), "The proxy could not start: "+v.startErr))
	}
	if v.readErr != nil {
		lines = append(lines, v.readErr.Error())
	}
	if len(lines) == 0 {
		v.problem.Hide()
		return
	}
	v.problem.SetText(strings.Join(lines, "\n"))
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
		v.do(func() { v.setErr, v.setWant = err, on })
		if err != nil && on {
			v.notes.Once("start-failed", func() { v.send("Sluice: the proxy could not start", capitalize(err.Error())) })
		}
		v.busy.Store(false)
		v.reload()
	}()
}

// flashCopied says "Copied" on b for a moment: a copy is otherwise
// invisible. UI goroutine only.
func (v *view) flashCopied(b *widget.Button) {
	if b.Text == copiedText {
		return
	}
	label := b.Text
	b.SetText(copiedText)
	b.SetIcon(theme.ConfirmIcon())
	time.AfterFunc(copiedFor, func() {
		v.do(func() {
			b.SetText(label)
			b.SetIcon(theme.ContentCopyIcon())
		})
	})
}

// copiedText is a Copy button's label just after it copied.
const copiedText = "Copied"

// copiedFor is how long it says so.
var copiedFor = 2 * time.Second

// track makes Esc close d while it is the topmost open dialog.
func (v *view) track(d dialog.Dialog) {
	v.dialogs = append(v.dialogs, d)
	d.SetOnClosed(func() {
		delete(v.enterKeeps, d)
		for i, o := range v.dialogs {
			if o == d {
				v.dialogs = append(v.dialogs[:i], v.dialogs[i+1:]...)
				break
			}
		}
	})
}

// trackKeep tracks a confirmation whose confirm button is not the usual
// answer: Enter dismisses it rather than confirm it.
func (v *view) trackKeep(d *dialog.ConfirmDialog) {
	v.track(d)
	if v.enterKeeps == nil {
		v.enterKeeps = map[dialog.Dialog]bool{}
	}
	v.enterKeeps[d] = true
}

// typedKey is the window canvas's key handler: Esc dismisses the topmost
// dialog, as its Cancel would; Enter confirms a topmost confirmation, as
// its confirm button would, or dismisses one tracked with trackKeep. UI
// goroutine only.
func (v *view) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		v.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		if len(v.dialogs) == 0 {
			return
		}
		top := v.dialogs[len(v.dialogs)-1]
		if c, ok := top.(*dialog.ConfirmDialog); ok {
			if v.enterKeeps[top] {
				c.Dismiss()
			} else {
				c.Confirm()
			}
		}
	}
}

// escape dismisses the topmost dialog, if any, as its Cancel would: Esc
// on the canvas or in a dialog's field (escEntry). UI goroutine only.
func (v *view) escape() {
	if len(v.dialogs) == 0 {
		return
	}
	v.dialogs[len(v.dialogs)-1].Dismiss()
}
