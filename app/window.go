package app

import (
	"context"
	"fmt"
	"log/slog"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// WindowOptions tune RunWindow.
type WindowOptions struct {
	// OpenBrowser opens a sign-in URL in the user's browser (pkg/browser's
	// OpenURL). Nil: the window only shows the URL for the user to open.
	OpenBrowser func(url string) error
	// CopySettings puts the connection settings on the clipboard once the
	// window is up (the tray's "Copy connection settings" where no
	// clipboard program can hold them), or says how to get a key.
	CopySettings bool
	// Tab is the tab to open on, by its name in lower case ("logs");
	// "" or an unknown name opens on the first.
	Tab string
	// Going is called as the window starts to quit, before Fyne winds
	// down (cli.WindowFlags.Going: it lets go of the window lock), so that
	// a window asked for meanwhile opens anew. Nil: nothing to tell.
	Going func()
}

// RunWindow shows the window for an engine another process owns (eng is a
// control client) and returns when the window is closed: the process is
// the window, so the tray's process never loads GL. It neither starts nor
// stops the proxy and sends no notifications: the owner does both.
func RunWindow(eng Engine, opts WindowOptions) error {
	if err := owner.CheckDisplay(); err != nil {
		return err
	}
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.AppIcon)
	a.Settings().SetTheme(newTheme())
	v := newView(eng, fyne.Do)
	w := a.NewWindow("Sluice")
	v.win = w
	v.openBrowser = opts.OpenBrowser
	w.SetContent(v.content())
	v.selectTab(opts.Tab)
	w.Resize(WindowSize)
	w.Canvas().SetOnTypedKey(v.typedKey)
	// quit is every way the window ends, on the UI goroutine. The process
	// takes a while yet to end (Fyne winds down, the engine's connection
	// closes): it first stops following the engine's events, where a
	// show request would meet a window on its way out, and says it is
	// going, so that "Open Sluice" meanwhile starts a new window.
	var sub *subscription
	going := false
	quit := func() {
		if !going {
			going = true
			if sub != nil {
				sub.Stop()
			}
			if opts.Going != nil {
				opts.Going()
			}
		}
		a.Quit()
	}
	w.SetCloseIntercept(quit)
	v.shortcuts(w.Canvas(), quit)

	// copyNow reads the address from the owner, off the UI goroutine, and
	// copies the connection settings (with the engine's connection key)
	// on it.
	copyNow := func() {
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
		defer cancel()
		snap, err := eng.Snapshot(ctx)
		fyne.Do(func() {
			if err != nil {
				v.showError(fmt.Errorf("copy the connection settings: %w", err))
				return
			}
			v.addr = snap.Addr
			v.copySettings()
		})
	}
	if opts.CopySettings {
		a.Lifecycle().SetOnStarted(func() { go copyNow() })
	}
	// One subscription for the process: "Open Sluice" or a second `sluice`
	// start while this window is open; the tray's Copy (the owner asks it
	// here rather than start a second window process); the rest to the
	// view. When the owner stops (`sluice serve` interrupted, the tray app
	// gone), the window closes rather than stay up with every action
	// failing.
	events := make(chan api.Event, 64)
	// sub is set before Run, and quit reads it on the UI goroutine, which
	// runs only from Run on.
	var err error
	sub, err = subscribe(eng, events, map[api.EventKind]func(){
		api.EventShowWindow:   comeForward(w),
		api.EventCopySettings: func() { go copyNow() },
	}, func() {
		slog.Warn("Sluice stopped: closing its window")
		fyne.Do(quit)
	})
	if err != nil {
		return err
	}
	go v.watch(events)
	w.Show()
	a.Run()
	sub.Stop()
	return nil
}
