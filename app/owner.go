package app

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

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/tray"
)

// OwnerEngine is what the owner process needs of its engine: the window's
// Engine plus ShowWindow, which reaches a running window process.
type OwnerEngine interface {
	Engine
	ShowWindow()
	// CopySettingsInWindow asks a running window process to copy the
	// connection settings.
	CopySettingsInWindow()
}

// OwnerOptions tune RunOwner.
type OwnerOptions struct {
	Options
	// WindowCommand starts the window process with extra arguments: by
	// default this executable with "window" and them.
	WindowCommand func(args ...string) *exec.Cmd
	// WindowOpen reports whether a window process holds the data dir's
	// window lock, one the owner started or one started by hand (`sluice
	// window`). The owner starts no window while one is open: that one
	// follows the engine's events itself. Nil: only the owner's own.
	WindowOpen func() bool
}

// RunOwner runs the desktop app of the process that owns the engine. With
// a tray host on the session bus it runs the tray on bare
// systray, with no Fyne app and no GL, so the tray idles at zero, and
// starts the window as a separate `sluice window` process on demand; the
// window ends with its process. Without a tray host the window is the only
// way in, so it runs here as before (Run). It blocks until Quit.
func RunOwner(eng OwnerEngine, opts OwnerOptions) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	if !trayHost(os.Getenv, 3*time.Second) {
		// No tray to come back through: the window is the app, and
		// closing it quits (Run without a tray).
		return Run(eng, opts.Options)
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if opts.WindowCommand == nil {
		opts.WindowCommand = selfCommand
	}
	o := &owner{eng: eng, opts: opts, notes: newNotifier(), notify: dbusNotify, clip: clipboardTool}
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
	tray.RunBare(eng, tray.Options{
		Events:       toTray,
		OnRead:       o.read,
		OpenWindow:   func() { o.openWindow() },
		CopySettings: o.copySettings,
		Quit: func() {
			go func() { // stopping drains in-flight requests
				stopProxy(eng, opts.StopTimeout)
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
		if showAtStart(opts) {
			o.openWindow()
		}
	})
	unsubscribe()
	<-done
	o.closeWindow()
	stopProxy(eng, opts.StopTimeout)
	return nil
}

// BackgroundFlag starts the tray app with no window (`sluice
// --background`): how the autostart entry starts it at login.
const BackgroundFlag = "--background"

// showAtStart decides whether the owner opens the window when it starts:
// not when started in the background (OwnerOptions.Hidden).
func showAtStart(opts OwnerOptions) bool { return !opts.Hidden }

// owner is RunOwner's state: the window process and the notifications.
type owner struct {
	eng    OwnerEngine
	opts   OwnerOptions
	notes  *notifier
	notify func(title, body string)
	// clip puts text on the clipboard without Fyne: clipboardTool, or the
	// tests' recorder.
	clip func(text string) error

	mu     sync.Mutex
	window *exec.Cmd // the running window process; nil when none
}

func (o *owner) start() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := tray.Switch(ctx, o.eng, true); err != nil {
		slog.Error("start proxy", "err", err)
		o.notes.once("start-failed", func() { o.notify("Sluice: the proxy could not start", capitalize(err.Error())) })
	}
}

// dispatch is the owner process's one event loop, until the subscription
// ends: a second `sluice` start's request opens the window; the proxy's,
// the accounts' and the settings' changes go to the tray, whose reads
// also feed the notifier (read); requests change nothing the owner shows.
func (o *owner) dispatch(events <-chan api.Event, toTray chan<- api.Event) {
	defer close(toTray)
	for e := range events {
		switch e.Kind {
		case api.EventShowWindow:
			// A running window process got the same event and comes
			// forward by itself.
			o.startWindow()
		case api.EventRequest, api.EventCopySettings:
			// The journal's news and the window's request: not the tray's.
		default:
			if e.Proxy != nil && e.Proxy.Running {
				o.notes.reset("start-failed") // told again should it fail again
			}
			select {
			case toTray <- e:
			default: // the tray is behind: the read it has pending sees this change too
			}
		}
	}
}

// read is what the owner does with each Snapshot the tray read: the
// notifier compares the accounts with the last ones, and a proxy that
// runs ends a failed start.
func (o *owner) read(snap api.Snapshot) {
	o.notes.accounts(snap.Accounts, o.notify)
	if snap.ProxyRunning {
		o.notes.reset("start-failed")
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

// startWindow starts the window process unless one runs, the owner's or
// one started by hand; it reports whether it started one.
func (o *owner) startWindow(args ...string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.window != nil || (o.opts.WindowOpen != nil && o.opts.WindowOpen()) {
		return false
	}
	cmd := o.opts.WindowCommand(args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		slog.Error("start the window", "err", err)
		o.notify("Sluice: the window could not open", capitalize(err.Error()))
		return false
	}
	o.window = cmd
	go func() {
		err := cmd.Wait()
		if err != nil {
			slog.Warn("window process", "err", err)
		}
		o.mu.Lock()
		o.window = nil
		o.mu.Unlock()
	}()
	return true
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
// serve it; without one the window copies them itself (it lives until
// closed): a new window process, or the open one, whoever started it.
func (o *owner) copySettings() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// The connection key survives restarts and is never a revoked one.
	_, secret, minted, err := o.eng.ConnectionKey(ctx)
	snap, serr := o.eng.Snapshot(ctx)
	if err = errors.Join(err, serr); err == nil {
		if cerr := o.clip(ConnectionSettings(snap.Addr, secret)); cerr == nil {
			if minted {
				o.notify("Sluice: connection settings copied", MintedNote)
			}
			return
		}
	} else {
		slog.Warn("copy the connection settings", "err", err)
	}
	if !o.startWindow("--copy-settings") {
		// A window is open: it copies, as a new one would at start.
		o.eng.CopySettingsInWindow()
	}
}

// MintedNote is the tray's word when a copy carried a new client key.
const MintedNote = "Sluice made a new client key for these settings: the one they used before was revoked or is unknown. Clients still using the old key must be given the new one."

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

// selfCommand is this executable run as `sluice window ARGS`.
func selfCommand(args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, append([]string{"window"}, args...)...)
}

// dbusNotify sends a desktop notification through the session bus's
// org.freedesktop.Notifications, which needs no Fyne app. Failures are
// logged: a desktop without a notification daemon is no error.
func dbusNotify(title, body string) {
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
const assetsIconName = ID
