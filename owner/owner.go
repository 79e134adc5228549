// Package owner is the desktop face of the process that owns the engine
// (the tray app): the tray on bare fyne.io/systray, the window started as
// a program of its own (sluice-window) on demand, and desktop notifications
// over D-Bus. It links no Fyne driver and no GL, so the process that runs
// all day stays small; the window process links them and ends when closed.
package owner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/app/autostart"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/tray"
)

// Engine is what the owner process needs of its engine (control.Local):
// the tray's calls, the connection key for "Copy connection settings",
// and the two events that reach a running window process.
type Engine interface {
	tray.Engine
	// ConnectionKey is the key "Copy connection settings" hands out, kept
	// across restarts; minted is true when it had to be made anew (the one
	// before was revoked or unknown).
	ConnectionKey(ctx context.Context) (key api.KeyView, secret string, minted bool, err error)
	// ShowWindow asks a running window process to come forward.
	ShowWindow()
	// CopySettingsInWindow asks a running window process to copy the
	// connection settings.
	CopySettingsInWindow()
}

// Options tune Run.
type Options struct {
	// StartProxy turns the proxy on at launch; a failure is told in a
	// notification and by the tray's icon rather than ending the app.
	StartProxy bool
	// Hidden starts with only the tray icon (BackgroundFlag). Ignored
	// without a tray host, where the window is the only way in.
	Hidden bool
	// StopTimeout bounds the graceful stop of the proxy when quitting.
	// Zero means 10s.
	StopTimeout time.Duration
	// WindowCommand is the window process with extra arguments (the
	// sluice-window program, cli.WindowCommand). A command whose Err is
	// set (the program is missing) is told as a notification. Required.
	WindowCommand func(args ...string) *exec.Cmd
	// WindowOpen reports whether a window process holds the data dir's
	// window lock, one the owner started or one started by hand (`sluice
	// window`). The owner starts no window while one is open: that one
	// follows the engine's events itself. Nil: only the owner's own.
	WindowOpen func() bool
}

// Run runs the desktop face of the process that owns the engine, which
// links no Fyne and no GL: with a tray host on the session bus the tray on
// bare systray, which idles at zero, and the window as a process of its
// own, started on demand and ended with its process. Without a tray host
// the window is the only way in: Run starts it and returns once it is
// closed. Either way Run stops the proxy before it returns. Call it on the
// main goroutine.
func Run(eng Engine, opts Options) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	if opts.WindowCommand == nil {
		return errors.New("owner: no window command")
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	o := &owner{eng: eng, opts: opts, notes: NewNotifier(), notify: Notify, clip: clipboardTool}
	events, unsubscribe, err := eng.Subscribe()
	if err != nil {
		return fmt.Errorf("subscribe to the engine's events: %w", err)
	}
	// The proxy first, then the tray: the tray's first frame is read
	// after the start, so it never says "off" while the proxy listens,
	// and a failed start shows as the error state from the first frame.
	if on, err := proxyRunning(eng, 15*time.Second); opts.StartProxy && err == nil && !on {
		o.start()
	}
	toTray := make(chan api.Event, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.dispatch(events, toTray)
	}()
	if TrayHost(os.Getenv, 3*time.Second) {
		o.runTray(toTray)
	} else {
		go o.readOnEvents(toTray) // the notifier's reads, which the tray does otherwise
		err = o.runWindowOnly()
	}
	unsubscribe()
	<-done
	o.closeWindow()
	stopProxy(eng, opts.StopTimeout)
	return err
}

// runTray shows the tray until its Quit.
func (o *owner) runTray(toTray chan api.Event) {
	tray.RunBare(o.eng, tray.Options{
		Events:       toTray,
		OnRead:       o.read,
		OpenWindow:   func() { o.openWindow() },
		CopySettings: o.copySettings,
		Quit: func() {
			go func() { // stopping drains in-flight requests
				stopProxy(o.eng, o.opts.StopTimeout)
				tray.QuitBare()
			}()
		},
		OnError: func(err error) {
			slog.Error("tray", "err", err)
			o.notify("Sluice", capitalize(err.Error()))
		},
		OnSwitched: func(on bool) {
			if !on { // an accidental click disconnects every client
				o.notify("Sluice: proxy turned off", "Clients get no answer until you turn it on again from the tray or the window.")
			}
		},
	}, func(*tray.Tray) {
		if showAtStart(o.opts) {
			o.openWindow()
		}
	})
}

// runWindowOnly is the app without a tray: the window process, until the
// user closes it (closing it quits, as there is no tray to come back
// through). A second `sluice` start meanwhile brings it forward.
func (o *owner) runWindowOnly() error {
	if err := o.launch(); err != nil {
		return err
	}
	// A window started while the first was ending (a second `sluice`
	// start meanwhile) carries on: the app ends with the last one.
	for {
		o.mu.Lock()
		exited := o.exited
		o.mu.Unlock()
		<-exited
		o.mu.Lock()
		again := o.exited != exited
		o.mu.Unlock()
		if !again {
			return nil
		}
	}
}

// readOnEvents reads a Snapshot for the notifier at start and after each
// burst of the tray's events (proxy, accounts, settings) when no tray
// reads them: the window process sends no notifications.
func (o *owner) readOnEvents(events <-chan api.Event) {
	read := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if snap, err := o.eng.Snapshot(ctx); err == nil {
			o.read(snap)
		}
	}
	read() // the baseline: starting is not news
	for range events {
		for more := true; more; { // what queued meanwhile is one read
			select {
			case _, ok := <-events:
				if !ok {
					return
				}
			default:
				more = false
			}
		}
		read()
	}
}

// BackgroundFlag starts the tray app with no window (`sluice
// --background`): how the autostart entry starts it at login.
const BackgroundFlag = autostart.BackgroundFlag

// showAtStart decides whether the owner opens the window when it starts:
// not when started in the background (Options.Hidden).
func showAtStart(opts Options) bool { return !opts.Hidden }

// owner is Run's state: the window process and the notifications.
type owner struct {
	eng    Engine
	opts   Options
	notes  *Notifier
	notify func(title, body string)
	// clip puts text on the clipboard without Fyne: clipboardTool, or the
	// tests' recorder.
	clip func(text string) error

	mu     sync.Mutex
	window *exec.Cmd     // the running window process; nil when none
	exited chan struct{} // closed when that process has ended
}

func (o *owner) start() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := tray.Switch(ctx, o.eng, true); err != nil {
		slog.Error("start proxy", "err", err)
		o.notes.Once("start-failed", func() { o.notify("Sluice: the proxy could not start", capitalize(err.Error())) })
	}
}

// dispatch is the owner process's one event loop, until the subscription
// ends: a second `sluice` start's request opens the window; the proxy's,
// the accounts' and the settings' changes go to the tray, whose reads
// also feed the notifier (read); requests change nothing the owner shows.
func (o *owner) dispatch(events <-chan api.Event, toTray chan api.Event) {
	defer close(toTray)
	var seq api.Sequence
	for e := range events {
		if !seq.Follows(e) { // the engine dropped some: the tray reads them
			Deliver(toTray, api.Event{Kind: api.EventResync})
		}
		switch e.Kind {
		case api.EventShowWindow:
			// A running window process got the same event and comes
			// forward by itself.
			o.startWindow()
		case api.EventRequest, api.EventCopySettings:
			// The journal's news and the window's request: not the tray's.
		case api.EventWarning: // a quota warning: a bubble, with the burst's others
			if e.Warning != nil {
				o.notes.Warning(*e.Warning, o.notify)
			}
		default:
			if e.Proxy != nil && e.Proxy.Running {
				o.notes.Reset("start-failed") // told again should it fail again
			}
			Deliver(toTray, e) // a tray that is behind gets a resync instead
		}
	}
}

// read is what the owner does with each Snapshot the tray read: the
// notifier compares the accounts with the last ones, and a proxy that
// runs ends a failed start.
func (o *owner) read(snap api.Snapshot) {
	o.notes.Accounts(snap.Accounts, o.notify)
	if snap.ProxyRunning {
		o.notes.Reset("start-failed")
	}
}

// openWindow starts the window process, or, when one runs, asks it to
// come forward: there is one window process at a time.
func (o *owner) openWindow(args ...string) {
	if !o.startWindow(args...) {
		// The window process follows engine events. The owner's own
		// dispatch sees this event too and finds the window running.
		o.eng.ShowWindow()
	}
}

// startWindow starts the window process unless one runs; it reports
// whether it started one. A failure is told in a notification.
func (o *owner) startWindow(args ...string) bool {
	err := o.launch(args...)
	if err != nil && !errors.Is(err, errWindowRuns) {
		slog.Error("start the window", "err", err)
		o.notify("Sluice: the window could not open", capitalize(err.Error()))
	}
	return err == nil
}

// errWindowRuns is launch's answer when a window process runs already.
var errWindowRuns = errors.New("the window is open")

// launch starts the window process unless one is open, the owner's or
// one started by hand. With WindowOpen, open means holding the window
// lock: a window lets go of it as it starts to quit (cli.WindowFlags.Going),
// so one still ending is not open, and a new one starts beside it (asking
// it to come forward would do nothing). A window the owner starts is
// waited for until it holds the lock (or ends), so that a second request
// meanwhile does not start another. Without WindowOpen, the owner's
// process is the window until it ends.
func (o *owner) launch(args ...string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.opts.WindowOpen == nil && o.window != nil || o.opts.WindowOpen != nil && o.opts.WindowOpen() {
		return errWindowRuns
	}
	cmd := o.opts.WindowCommand(args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the window: %w", err)
	}
	exited := make(chan struct{})
	ended := make(chan struct{}) // closed before o.mu is taken: launch holds it while it waits
	o.window, o.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		close(ended)
		if err != nil {
			slog.Warn("window process", "err", err)
		}
		o.mu.Lock()
		if o.window == cmd { // not replaced by a newer one meanwhile
			o.window = nil
		}
		o.mu.Unlock()
		close(exited)
	}()
	if o.opts.WindowOpen != nil {
		o.waitLocked(ended)
	}
	return nil
}

// windowStartTimeout bounds launch's wait for a new window to hold the
// window lock; one slower than that is taken as open all the same.
const windowStartTimeout = 15 * time.Second

// waitLocked waits until a window holds the window lock or the window
// process that launch started has ended. The lock is taken before the
// window loads any of Fyne, so the wait is short; there is nothing to be
// told of it but the lock itself, which is polled.
func (o *owner) waitLocked(ended <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(windowStartTimeout)
	for !o.opts.WindowOpen() {
		select {
		case <-ended:
			return
		case <-deadline:
			slog.Warn("the window did not take its lock in time", "after", windowStartTimeout)
			return
		case <-tick.C:
		}
	}
}

// closeWindow ends the window process at quit.
func (o *owner) closeWindow() {
	o.mu.Lock()
	cmd := o.window
	o.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		// Windows cannot deliver os.Interrupt to another process: kill it
		// there rather than leave a window onto an engine that is gone.
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			_ = cmd.Process.Kill()
		}
	}
}

// copySettings puts the connection settings on the clipboard without
// Fyne. On X11 a clipboard lives only as long as the process that owns it,
// so the copy goes through wl-copy, xclip or xsel, which stay behind to
// serve it; without one, or when the engine fails, the window copies them
// itself (it lives until closed) or says what went wrong: a new window
// process, or the open one. The key is the connection key, kept across
// restarts (the first key's secret is gone after one).
func (o *owner) copySettings() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	k, secret, minted, err := o.eng.ConnectionKey(ctx)
	snap, serr := o.eng.Snapshot(ctx)
	if err = errors.Join(err, serr); err == nil {
		if cerr := o.clip(ConnectionSettings(snap.Addr, secret)); cerr == nil {
			if minted {
				o.notify("Sluice: connection settings copied with a new key",
					fmt.Sprintf("The key they used before was revoked or is unknown; clients still using it must be given the new one, %q.", k.Name))
			}
			return
		}
	} else {
		slog.Warn("copy the connection settings", "err", err)
	}
	if !o.startWindow("--copy-settings") {
		// A window is open (the owner's or one started by hand): it
		// copies, as a new one would at start.
		o.eng.CopySettingsInWindow()
	}
}

// clipboardTool copies text with the first clipboard program present.
func clipboardTool(text string) error {
	tools := [][]string{{"xclip", "-selection", "clipboard"}, {"xsel", "--clipboard", "--input"}}
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		tools = append([][]string{{"wl-copy"}}, tools...)
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t[0]); err != nil {
			continue
		}
		cmd := exec.Command(t[0], t[1:]...)
		cmd.Stdin = strings.NewReader(text)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("copy with %s: %w", t[0], err)
		}
		return nil
	}
	return errors.New("no clipboard program (wl-copy, xclip, xsel)")
}

// Notify sends a desktop notification through the session bus's
// org.freedesktop.Notifications, which needs no Fyne app. Failures are
// logged: a desktop without a notification daemon is no error.
func Notify(title, body string) {
	conn, err := dbus.SessionBus()
	if err != nil {
		slog.Warn("notify", "err", err)
		return
	}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.Call("org.freedesktop.Notifications.Notify", 0, "Sluice", uint32(0), assetsIconName,
		title, body, []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		slog.Warn("notify", "err", call.Err)
	}
}

// assetsIconName names the notification icon; the packaged .desktop file
// installs the app icon under the app's ID.
const assetsIconName = AppID

// AppID is the application ID: Fyne keys the window's preferences on it
// (app.ID), and the .desktop file and the icon are installed under it. It
// must match FyneApp.toml, which packaging uses.
const AppID = autostart.AppID

// stopProxy stops the proxy if it runs, logging a failure: at quit there is
// no one left to show it to.
func stopProxy(eng tray.Engine, timeout time.Duration) {
	if on, err := proxyRunning(eng, timeout); err == nil && !on {
		return // a failed read still tries to stop it
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := eng.StopProxy(ctx); err != nil {
		slog.Error("stop proxy at quit", "err", err)
	}
}

// proxyRunning asks the engine whether the proxy listens, within timeout.
func proxyRunning(eng tray.Engine, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := eng.Snapshot(ctx)
	return s.ProxyRunning, err
}

// capitalize starts a wrapped error's message ("turn proxy on: ...") as a
// sentence for the notification.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Deliver hands e to ch, whose one sender the caller is, without
// blocking the process's one subscription. When ch is full its oldest
// event makes room for an api.EventResync in place of e: the view then
// reads a Snapshot, which holds what both carried. (A view that only
// re-read on every event could afford to drop one; a view that applies
// what events carry cannot.)
func Deliver(ch chan api.Event, e api.Event) {
	select {
	case ch <- e:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	select {
	case ch <- api.Event{Kind: api.EventResync}:
	default:
	}
}
