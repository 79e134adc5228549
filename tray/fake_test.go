package tray

import (
	"fmt"
	"io"
	"net"
	"slices"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/sluice-proxy/sluice/internal/testkit/fakeengine"
)

// fakeEngine stands in for proxy.Service: the shared fake engine, with a
// real loopback listener behind "on" when listenAndLog set it up, so the
// end-to-end test can check the state by dialing it.
type fakeEngine struct {
	*fakeengine.Engine
	ln net.Listener // guarded by Mu
}

func newFakeEngine(addr string, running bool) *fakeEngine {
	return &fakeEngine{Engine: fakeengine.New(addr, running)}
}

// listenAndLog makes "on" a listener at the engine's address (which may
// name port 0) and writes one line per transition to log.
func (f *fakeEngine) listenAndLog(log io.Writer) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.OnSwitch = func(on bool) error { // runs with Mu held
		if !on {
			if f.ln != nil {
				f.ln.Close()
				f.ln = nil
			}
			fmt.Fprintln(log, "ENGINE off")
			return nil
		}
		ln, err := net.Listen("tcp", f.Address)
		if err != nil {
			return fmt.Errorf("fake engine: %w", err)
		}
		f.ln, f.Address = ln, ln.Addr().String()
		go func() { // accept and drop, so dialers see a live port
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		fmt.Fprintln(log, "ENGINE on")
		return nil
	}
}

// fakeHost records what the tray sets, as a Host receives it.
type fakeHost struct {
	mu    sync.Mutex
	menu  *fyne.Menu
	items []*fyne.MenuItem // menu's items when it was set
	icon  fyne.Resource
	menus int            // how many times the menu was (re)built
	check *fyne.MenuItem // the item named the check item
}

func (h *fakeHost) SetCheckItem(i *fyne.MenuItem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.check = i
}

func (h *fakeHost) SetSystemTrayMenu(m *fyne.Menu) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.menu = m
	h.items = slices.Clone(m.Items)
	h.menus++
}

func (h *fakeHost) SetSystemTrayIcon(r fyne.Resource) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.icon = r
}

func (h *fakeHost) snapshot() (labels []string, items []*fyne.MenuItem, icon fyne.Resource, menus int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, it := range h.items {
		if it.IsSeparator {
			labels = append(labels, "---")
		} else {
			labels = append(labels, it.Label)
		}
	}
	return labels, h.items, h.icon, h.menus
}
