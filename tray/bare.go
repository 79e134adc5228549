package tray

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/systray"
)

// RunBare shows the tray for eng on fyne.io/systray alone, with no Fyne app
// and so no GL and no 60 Hz event loop: a tray that idles at zero. It
// blocks until Quit (systray.Quit), calling ready with the installed tray
// once the tray host has it. Call it on the main goroutine.
func RunBare(eng Engine, opts Options, ready func(*Tray)) {
	var tr atomic.Pointer[Tray]
	// The StatusNotifierItem advertises left-click support only if the tap
	// handler is set before the tray starts.
	systray.SetOnTapped(func() {
		if t := tr.Load(); t != nil {
			t.Toggle()
		}
	})
	host := &bareHost{}
	systray.Run(func() {
		systray.SetTitle("Sluice") // some XDG hosts crash on an untitled item
		t := install(host, eng, opts, hooks{
			onTapped:   func(func()) {}, // set above
			setTooltip: systray.SetTooltip,
			do:         host.do,
		})
		tr.Store(t)
		// systray v1.12.2 runs this function while it still exports its
		// properties: an icon or tooltip set after it read them for the
		// export but before it publishes them is kept in memory and never
		// exported (nativeStart: createPropSpec, then props is nil until
		// the end). A failed start, which changes nothing after, then
		// showed the off icon for good under load. Set them again once the
		// export is surely over.
		for _, d := range []time.Duration{time.Second, 5 * time.Second} {
			time.AfterFunc(d, func() { host.do(t.reapply) })
		}
		if ready != nil {
			ready(t)
		}
	}, nil)
	if t := tr.Load(); t != nil {
		t.Close()
	}
}

// QuitBare ends RunBare.
func QuitBare() { systray.Quit() }

// bareHost is a Host on systray's own calls. Renders are serialized by a
// mutex in place of a UI goroutine; menu actions run on their own
// goroutines, as systray delivers clicks.
type bareHost struct {
	mu    sync.Mutex
	check *fyne.MenuItem // the item shown as a check item, checked or not
}

// SetCheckItem is the Host method.
func (h *bareHost) SetCheckItem(i *fyne.MenuItem) { h.check = i }

func (h *bareHost) do(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

// SetSystemTrayIcon is the Host method: systray takes the PNG as it is.
func (h *bareHost) SetSystemTrayIcon(icon fyne.Resource) { systray.SetIcon(icon.Content()) }

// SetSystemTrayMenu is the Host method: it rebuilds systray's menu from m,
// as Fyne's driver does, with each item's clicks calling its action.
func (h *bareHost) SetSystemTrayMenu(m *fyne.Menu) {
	systray.ResetMenu()
	for _, i := range m.Items {
		if i.IsSeparator {
			systray.AddSeparator()
			continue
		}
		var item *systray.MenuItem
		if i.Checked || i == h.check {
			item = systray.AddMenuItemCheckbox(i.Label, "", i.Checked)
		} else {
			item = systray.AddMenuItem(i.Label, "")
		}
		if i.Disabled {
			item.Disable()
		}
		action := i.Action
		go func() {
			for range item.ClickedCh { // closed by the next ResetMenu
				if action != nil {
					action()
				}
			}
		}()
	}
}
