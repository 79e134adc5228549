// Package tray puts Sluice in the system tray: an icon that shows the proxy's
// state (off, on, some or all accounts limited, error), a left click that
// toggles it, and a menu with the toggle, the status, one line per account,
// "Copy connection settings", "Open Sluice" and "Quit".
//
// The tray is a thin client of the engine: it renders the engine's state and
// sends it commands; every decision lives behind the Engine interface.
package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Engine is what the tray needs of the engine: the control client, or
// control.Local in the process that owns the engine. Every call can fail.
type Engine interface {
	StartProxy(ctx context.Context) error
	StopProxy(ctx context.Context) error
	// Snapshot reads the proxy's state and address and the accounts, for
	// the icon, the tooltip and the account lines.
	Snapshot(ctx context.Context) (api.Snapshot, error)
	// Subscribe returns engine events and a function that ends the
	// subscription and closes the channel.
	Subscribe() (<-chan api.Event, func(), error)
}

// Host is the system tray the menu is built for: bareHost, on systray's
// own calls (RunBare). The menu is made of the types of Fyne's root
// package, which is pure Go and loads no driver.
type Host interface {
	SetSystemTrayMenu(menu *fyne.Menu)
	SetSystemTrayIcon(icon fyne.Resource)
	// SetCheckItem names the item of the next menu that is a check item,
	// shown with its box whether checked or not: an unchecked plain
	// "Proxy on" under "Proxy: off" would read as a contradiction.
	SetCheckItem(item *fyne.MenuItem)
}

// Options are what the tray calls back into the app for. All are optional.
// Menu actions run on a goroutine of their own per item, as systray
// delivers clicks.
type Options struct {
	// OpenWindow is called for "Open Sluice". Nil hides the item.
	OpenWindow func()
	// Quit is called for "Quit", after the tray has been closed: the app
	// stops the proxy, then quits (QuitBare). Nil hides the item.
	Quit func()
	// CopySettings is called for "Copy connection settings". Nil hides the
	// item.
	CopySettings func()
	// OnError receives a failed start or stop, on any goroutine. Nil logs it.
	OnError func(error)
	// OnSwitched is called, on any goroutine, after a start or stop asked
	// from the tray succeeded (the app notifies a stop: an accidental click
	// disconnects every client). Nil does nothing.
	OnSwitched func(on bool)
	// Timeout bounds one StartProxy or StopProxy call. Zero means 15s.
	Timeout time.Duration
	// Debounce coalesces bursts of account and settings events into one
	// menu rebuild. Zero means 1s: systray re-exports the whole menu on
	// each change. A proxy-state or upstream event shows at once; request
	// events change nothing the tray shows.
	Debounce time.Duration
	// Events, when set, is the process's one event subscription, fed by
	// its owner (app.RunOwner's loop), which checks its order and sends
	// api.EventResync where events were lost; the tray then does not
	// subscribe itself. It ends the tray's watch when closed.
	Events <-chan api.Event
	// OnRead, when set, gets each state of the engine the tray shows (a
	// Snapshot it read, or the last one with the events since applied),
	// on any goroutine: the owner's notifier follows the tray's state.
	OnRead func(api.Snapshot)
}

// Labels of the menu items. The tray's end-to-end test and the app's window
// share them so that what a user reads is asserted in one place.
const (
	// LabelProxy is the check item that toggles the proxy (checked: on).
	LabelProxy = "Proxy on"
	LabelCopy  = "Copy connection settings"
	LabelOpen  = "Open Sluice"
	LabelQuit  = "Quit"
	// LabelTurnOn and LabelTurnOff are the window's toggle button.
	LabelTurnOn  = "Turn proxy on"
	LabelTurnOff = "Turn proxy off"
)

// StatusLine is the status item's text: "Proxy: on at ADDR" or "Proxy: off".
func StatusLine(running bool, addr string) string {
	if running {
		return "Proxy: on at " + addr
	}
	return "Proxy: off"
}

// Tray is an installed tray icon and menu. Its methods may be called from any
// goroutine.
type Tray struct {
	host Host
	eng  Engine
	opts Options

	busy   atomic.Bool // a start or stop is in flight: further clicks are ignored
	failed atomic.Bool // the last start or stop failed: the error icon

	setTooltip func(string)
	do         func(func()) // runs a render, one at a time

	// model is the engine's state as the tray knows it: the last Snapshot
	// read, with the events since applied. lost: the last read failed.
	modelMu sync.Mutex
	model   api.Snapshot
	lost    bool

	mu     sync.Mutex // guards shown, built, menu and closed
	shown  state
	built  bool
	closed bool
	// menu is the one menu object the host is ever given; each render
	// replaces its items.
	menu   *fyne.Menu
	cancel func()        // ends the event subscription
	quit   chan struct{} // closed by Close: ends watch on an owner's channel
	done   chan struct{}
}

// hooks are the systray calls the Host does not make. systray keeps their
// state in package variables, which unit tests must not touch.
type hooks struct {
	onTapped   func(func())
	setTooltip func(string)
	// do runs a render: on bare systray, whose calls are safe from any
	// goroutine, under a mutex that keeps renders one at a time. Nil
	// runs it directly.
	do func(func())
}

func install(host Host, eng Engine, opts Options, h hooks) *Tray {
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Debounce <= 0 {
		opts.Debounce = time.Second
	}
	if opts.OnError == nil {
		opts.OnError = func(err error) { slog.Error("tray", "err", err) }
	}
	if h.do == nil {
		h.do = func(f func()) { f() }
	}
	t := &Tray{host: host, eng: eng, opts: opts, done: make(chan struct{}), quit: make(chan struct{}),
		setTooltip: h.setTooltip, do: h.do, menu: fyne.NewMenu("Sluice")}
	events, cancel, err := opts.Events, func() {}, error(nil)
	ordered := events != nil // the owner checks the order
	if events == nil {
		events, cancel, err = eng.Subscribe()
	}
	if err != nil {
		// No events: the tray shows the error state and what it read once.
		opts.OnError(err)
		t.failed.Store(true)
		closed := make(chan api.Event)
		close(closed)
		events, cancel = closed, func() {}
	}
	t.cancel = cancel
	t.render(t.read())
	h.onTapped(t.Toggle)
	go t.watch(events, ordered)
	return t
}

// Close ends the event subscription and freezes the icon and menu as they
// are until the app quits: a stop event arriving during shutdown must not
// touch a systray that is ending. RunBare calls it once systray is done.
func (t *Tray) Close() {
	t.mu.Lock()
	was := t.closed
	t.closed = true
	t.mu.Unlock()
	if !was {
		close(t.quit)
		t.cancel()
	}
	<-t.done
}

// Toggle turns the proxy off if it is on and on if it is off, off the calling
// goroutine. It is the left-click action.
func (t *Tray) Toggle() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), t.opts.Timeout)
		snap, err := t.eng.Snapshot(ctx)
		cancel()
		if err != nil {
			t.failed.Store(true)
			t.opts.OnError(fmt.Errorf("read the proxy's state: %w", err))
			t.refresh()
			return
		}
		t.set(!snap.ProxyRunning)
	}()
}

// set starts or stops the proxy in the background. A click while a previous
// one is still in flight is dropped rather than queued: a queued toggle would
// undo what the user just asked for.
func (t *Tray) set(on bool) {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed { // quitting: a late click must not restart the proxy
		return
	}
	if !t.busy.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer t.busy.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), t.opts.Timeout)
		defer cancel()
		err := Switch(ctx, t.eng, on)
		t.failed.Store(err != nil)
		if err != nil {
			t.opts.OnError(err)
		} else if t.opts.OnSwitched != nil {
			t.opts.OnSwitched(on)
		}
		// Events may be dropped by a busy hub; re-read so the menu is right
		// after our own command whatever happened to its event.
		t.refresh()
	}()
}

// Switcher turns the proxy on and off; every Engine is one.
type Switcher interface {
	StartProxy(ctx context.Context) error
	StopProxy(ctx context.Context) error
}

// Switch turns the proxy on or off, with an error that says which. The tray
// and the window both call it, so a failure reads the same in both.
func Switch(ctx context.Context, eng Switcher, on bool) error {
	if on {
		if err := eng.StartProxy(ctx); err != nil {
			return fmt.Errorf("turn proxy on: %w", err)
		}
		return nil
	}
	if err := eng.StopProxy(ctx); err != nil {
		return fmt.Errorf("turn proxy off: %w", err)
	}
	return nil
}

// read asks the engine for what the tray shows: the one Snapshot at
// start, after a command of its own, and when events were lost. A failed
// read shows the error state with no account lines rather than stale ones.
func (t *Tray) read() state {
	ctx, cancel := context.WithTimeout(context.Background(), t.opts.Timeout)
	defer cancel()
	snap, err := t.eng.Snapshot(ctx)
	if err != nil {
		slog.Warn("tray: read the engine", "err", err)
		t.modelMu.Lock()
		t.lost = true
		t.modelMu.Unlock()
		return state{failed: true, lost: errors.Is(err, api.ErrUnreachable)}
	}
	t.modelMu.Lock()
	t.model, t.lost = snap, false
	t.modelMu.Unlock()
	if t.opts.OnRead != nil {
		t.opts.OnRead(snap)
	}
	return t.stateOf(snap)
}

// refresh re-reads the engine and re-renders.
func (t *Tray) refresh() {
	s := t.read()
	t.do(func() { t.render(s) })
}

// watch keeps the tray in step with engine events until the subscription
// ends, dispatched by kind, each applied from what it carries: the
// proxy's state and the upstream's show at once (a start is news the user
// waits for); account and settings changes, which a busy proxy sends per
// request, are shown once per debounce interval; requests change nothing
// here. A resync, an event that carries nothing, or, when the tray holds
// its own subscription (ordered false), a gap in the events' order reads
// one Snapshot. A minute tick redraws the countdowns from the model.
func (t *Tray) watch(events <-chan api.Event, ordered bool) {
	defer close(t.done)
	var due <-chan time.Time
	var seq api.Sequence
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			if !ordered && !seq.Follows(e) {
				e = api.Event{Kind: api.EventResync}
			}
			switch e.Kind {
			case api.EventRequest, api.EventWarning, api.EventShowWindow, api.EventCopySettings:
				continue
			case api.EventProxyState, api.EventUpstream, api.EventResync:
				due = nil
				if t.apply(e) {
					t.show()
				} else {
					t.refresh()
				}
			default:
				if !t.apply(e) {
					due = nil
					t.refresh()
				} else if due == nil {
					due = time.After(t.opts.Debounce)
				}
			}
		case <-due:
			due = nil
			t.show()
		case <-minute.C:
			t.modelMu.Lock()
			lost := t.lost
			t.modelMu.Unlock()
			if !lost {
				t.show()
			}
		case <-t.quit:
			return
		}
	}
}

// render sets the icon, tooltip and menu for s unless they already show it.
// It runs at install and through do.
func (t *Tray) render(s state) {
	// Held across the host calls so that two renders racing in from
	// goroutines cannot leave the menu showing an older state than shown
	// records.
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.built && t.shown.equal(s) {
		return
	}
	t.shown, t.built = s, true

	t.host.SetSystemTrayIcon(s.level().Icon())
	t.setTooltip(s.tooltip())
	t.menu.Items = t.items(s)
	t.host.SetCheckItem(t.menu.Items[0])
	t.host.SetSystemTrayMenu(t.menu)
}

// reapply sets the icon and tooltip of what the tray shows again (see
// RunBare). It runs where render does.
func (t *Tray) reapply() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || !t.built {
		return
	}
	t.host.SetSystemTrayIcon(t.shown.level().Icon())
	t.setTooltip(t.shown.tooltip())
}

// items builds the menu for s. The toggle does what it showed rather than
// toggling: if the state changed since the menu was drawn, a click on a
// checked "Proxy on" must not turn the proxy on.
func (t *Tray) items(s state) []*fyne.MenuItem {
	toggle := fyne.NewMenuItem(LabelProxy, func() { t.set(!s.running) })
	toggle.Checked = s.running

	status := fyne.NewMenuItem(StatusLine(s.running, s.addr), nil)
	status.Disabled = true

	items := []*fyne.MenuItem{toggle, status, fyne.NewMenuItemSeparator()}
	if len(s.accounts) == 0 {
		none := fyne.NewMenuItem("No accounts yet", nil)
		none.Disabled = true
		items = append(items, none)
	}
	for _, a := range s.accounts {
		line := fyne.NewMenuItem(a.text(), nil)
		line.Disabled = true
		items = append(items, line)
	}
	items = append(items, fyne.NewMenuItemSeparator())
	if t.opts.CopySettings != nil {
		items = append(items, fyne.NewMenuItem(LabelCopy, t.opts.CopySettings))
	}
	if t.opts.OpenWindow != nil {
		items = append(items, fyne.NewMenuItem(LabelOpen, t.opts.OpenWindow))
	}
	if t.opts.Quit != nil {
		quit := fyne.NewMenuItem(LabelQuit, func() {
			t.Close()
			t.opts.Quit()
		})
		items = append(items, quit)
	}
	return items
}
