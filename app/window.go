package app

import (
	"log/slog"
	"sync/atomic"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// WindowOptions tune RunWindow.
type WindowOptions struct {
	// OpenBrowser opens a sign-in URL; see Options.
	OpenBrowser func(url string) error
	// CopySettings puts the connection settings on the clipboard once the
	// window is up (the tray's "Copy connection settings" where no
	// clipboard program can hold them), or says how to get a key.
	CopySettings bool
	// Tab is the tab to open on, by its name in lower case ("logs");
	// "" or an unknown name opens on the first.
	Tab string
}

// RunWindow shows the window for an engine another process owns (eng is a
// control client) and returns when the window is closed: the process is
// the window, so the tray's process never loads GL. It neither starts nor
// stops the proxy and sends no notifications: the owner does both.
func RunWindow(eng Engine, opts WindowOptions) error {
	if err := CheckDisplay(); err != nil {
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
	w.SetCloseIntercept(a.Quit)

	events, unsubscribe := eng.Subscribe()
	go v.watch(events)
	// "Open Sluice" or a second `sluice` start while this window is open.
	// When the owner stops (`sluice serve` interrupted, the tray app gone),
	// the window closes rather than stay up with every action failing.
	stopShows := comeForward(eng, w, func() {
		slog.Warn("Sluice stopped: closing its window")
		fyne.Do(a.Quit)
	})
	// copyNow reads what the connection settings need from the owner, off
	// the UI goroutine, and copies them on it.
	copyNow := func() {
		addr := eng.Addr()
		_, secret, ok := eng.FirstKey()
		fyne.Do(func() {
			v.addr = addr
			if ok {
				v.token = secret
			}
			v.copySettings()
		})
	}
	if opts.CopySettings {
		a.Lifecycle().SetOnStarted(func() { go copyNow() })
	}
	// The tray's Copy while this window is open: the owner asks it here
	// rather than start a second window process.
	copies, stopCopies := eng.Subscribe()
	go func() {
		for e := range copies {
			if e.Kind == api.EventCopySettings {
				copyNow()
			}
		}
	}()
	w.Show()
	a.Run()
	unsubscribe()
	stopShows()
	stopCopies()
	return nil
}

// comeForward shows and focuses w whenever the engine asks (a second
// `sluice` start, the tray's "Open Sluice"), until the returned function
// ends the subscription, which also ends the goroutine. gone, when not
// nil, is called if the subscription ends first: the engine went away.
func comeForward(eng Engine, w fyne.Window, gone func()) (stop func()) {
	shows, unsubscribe := eng.Subscribe()
	var stopped atomic.Bool
	go func() {
		for e := range shows {
			if e.Kind == api.EventShowWindow {
				fyne.Do(func() {
					w.Show()
					w.RequestFocus()
				})
			}
		}
		if gone != nil && !stopped.Load() {
			gone()
		}
	}()
	return func() {
		stopped.Store(true)
		unsubscribe()
	}
}
