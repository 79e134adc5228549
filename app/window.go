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
	q := &quitter{quitApp: a.Quit, going: opts.Going}
	w.SetCloseIntercept(q.quit)
	v.shortcuts(w.Canvas(), q.quit)

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
	sub, err := subscribe(eng, events, map[api.EventKind]func(){
		api.EventShowWindow:   comeForward(w),
		api.EventCopySettings: func() { go copyNow() },
	}, func() {
		slog.Warn("Sluice stopped: closing its window")
		fyne.Do(q.quit)
	})
	if err != nil {
		return err
	}
	q.sub = sub // before Run: q.quit runs on the UI goroutine, from Run on
	go v.watch(events)
	w.Show()
	a.Run()
	sub.Stop()
	return nil
}

// quitter is every way the window ends (closing it, its shortcut, the
// engine gone), on the UI goroutine. The process takes a while yet to end
// once Fyne is told to quit (it winds down, the engine's connection
// closes): quit first stops following the engine's events, where a show
// request would meet a window on its way out, and says it is going
// (WindowOptions.Going), so that "Open Sluice" meanwhile starts a new
// window.
type quitter struct {
	quitApp func()        // fyne.App.Quit
	going   func()        // WindowOptions.Going; nil: nothing to tell
	sub     *subscription // the process's events; nil before it is set
	gone    bool          // quit has run once
}

func (q *quitter) quit() {
	if !q.gone {
		q.gone = true
		if q.sub != nil {
			q.sub.Stop()
		}
		if q.going != nil {
			q.going()
		}
	}
	q.quitApp()
}
