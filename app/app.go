// Package app is Sluice's desktop face: the Fyne application, its main window
// and, where the desktop has one, the tray icon. Like the tray, it holds no
// business logic: it shows what the Engine reports and forwards commands.
package app

import (
	"context"
	"errors"
	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy/api"
	"log/slog"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/sluice-proxy/sluice/app/autostart"
	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/tray"
)

// ID is the application ID; it must match FyneApp.toml, which packaging uses.
// Fyne keys preferences and storage on it.
const ID = autostart.AppID

// BackgroundFlag starts the tray app with no window; see owner.BackgroundFlag.
const BackgroundFlag = owner.BackgroundFlag

// Options tune Run. The zero value starts with the proxy as the engine has
// it and the window shown.
type Options struct {
	// StartProxy turns the proxy on at launch. A failure (say, the port is
	// taken) is shown in the window rather than ending the app.
	StartProxy bool
	// Hidden starts with only the tray icon. Ignored without a tray, where
	// the window is the only way to reach the app.
	Hidden bool
	// StopTimeout bounds the graceful stop of the proxy when quitting. Zero
	// means 10s.
	StopTimeout time.Duration
	// OpenBrowser opens a sign-in URL in the user's browser (pkg/browser's
	// OpenURL). It may block until the browser has started. Nil means the
	// window only shows the URL for the user to open.
	OpenBrowser func(url string) error
}

// Run shows the desktop app for eng and returns when the user quits, with
// the proxy stopped. It must be called on the main goroutine (Fyne's rule).
// It returns CheckDisplay's error, without starting anything, when there is
// no display.
func Run(eng Engine, opts Options) error {
	if err := owner.CheckDisplay(); err != nil {
		return err
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.AppIcon)
	a.Settings().SetTheme(newTheme())

	v := newView(eng, fyne.Do)
	w := a.NewWindow("Sluice")
	v.win = w
	v.openBrowser = opts.OpenBrowser
	v.notify = func(title, body string) { a.SendNotification(fyne.NewNotification(title, body)) }
	w.SetContent(v.content())
	w.Resize(WindowSize)
	w.Canvas().SetOnTypedKey(v.typedKey)

	var t *tray.Tray
	// One subscription per process: the view and the tray share it.
	toTray := make(chan api.Event, 16)
	quit := func() {
		go func() { // stopping drains in-flight requests: not on the UI goroutine
			stopProxy(eng, opts.StopTimeout)
			fyne.Do(a.Quit)
		}()
	}
	if desk, ok := a.(desktop.App); ok && owner.TrayHost(os.Getenv, 0) {
		t = tray.Install(desk, eng, tray.Options{
			Events: toTray,
			OpenWindow: func() {
				w.Show()
				w.RequestFocus()
			},
			CopySettings: v.copySettings,
			Quit:         quit,
			OnError:      func(err error) { notify(a, v, eng, err) },
			OnSwitched: func(on bool) {
				if !on { // an accidental click disconnects every client
					v.send("Sluice: proxy turned off", "Clients get no answer until you turn it on again from the tray or the window.")
				}
			},
		})
		// With a tray, closing the window leaves the proxy running behind it.
		w.SetCloseIntercept(w.Hide)
		v.shortcuts(w.Canvas(), w.Hide)
	} else {
		closeWin := func() {
			w.Hide()
			quit()
		}
		w.SetCloseIntercept(closeWin)
		v.shortcuts(w.Canvas(), closeWin)
	}

	// One subscription; a second `sluice` start asks this one to come
	// forward.
	events, all := make(chan api.Event, 64), make(chan api.Event, 64)
	sub, err := subscribe(eng, all, map[api.EventKind]func(){api.EventShowWindow: comeForward(w)}, nil)
	if err != nil {
		return err
	}
	go fanOut(all, events, toTray)
	go v.watch(events)
	if on, err := proxyRunning(eng, v.timeout); opts.StartProxy && err == nil && !on {
		v.set(true)
	}
	if !opts.Hidden || t == nil {
		w.Show()
	}
	a.Run()

	// Quitting by another path (SIGTERM, the session ending) skips quit:
	// finish its work here.
	sub.Stop()
	if t != nil {
		t.Close()
	}
	stopProxy(eng, opts.StopTimeout)
	return nil
}

// fanOut hands each event to every sink (deliver: a full sink gets a
// resync in its place) and closes them when in ends.
func fanOut(in <-chan api.Event, sinks ...chan api.Event) {
	defer func() {
		for _, s := range sinks {
			close(s)
		}
	}()
	for e := range in {
		for _, s := range sinks {
			owner.Deliver(s, e)
		}
	}
}

// stopProxy stops the proxy if it runs, logging a failure: at quit there is
// no one left to show it to.
func stopProxy(eng Engine, timeout time.Duration) {
	if on, err := proxyRunning(eng, timeout); err == nil && !on {
		return // a failed read still tries to stop it
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := eng.StopProxy(ctx); err != nil {
		slog.Error("stop proxy at quit", "err", err)
	}
}

// notify reports a failed tray command both in the window and as a desktop
// notification, since the window is usually hidden when the tray is used.
func notify(a fyne.App, v *view, eng Engine, err error) {
	slog.Error("tray", "err", err)
	a.SendNotification(fyne.NewNotification("Sluice", capitalize(err.Error())))
	on, rerr := proxyRunning(eng, v.timeout)
	if rerr != nil {
		err = errors.Join(err, rerr)
	}
	fyne.Do(func() {
		v.setErr, v.setWant = err, !on
		v.showProblems()
	})
}

// capitalize starts a wrapped error's message ("turn proxy on: ...") as a
// sentence for the notification.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
