package tray

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// fakeEngine stands in for proxy.Service. When listen is set, "on" means a
// real loopback listener at addr, so the end-to-end test can check the state
// by dialing it; log, if set, gets one line per transition.
type fakeEngine struct {
	mu      sync.Mutex
	running bool
	addr    string
	listen  bool
	ln      net.Listener
	subs    map[chan api.Event]struct{}
	starts  int
	stops   int
	failing error // returned by Start and Stop when set
	log     io.Writer
	accts   []api.AccountView
	lost    error // returned by Snapshot when set: the engine cannot be reached
	// startErr and trayWindow are the Snapshot's StartError and TrayWindow.
	startErr, trayWindow string
	reads                int    // Snapshot calls
	upErr                string // Snapshot's UpstreamError
}

func newFakeEngine(addr string, running bool) *fakeEngine {
	return &fakeEngine{addr: addr, running: running, subs: map[chan api.Event]struct{}{}}
}

func (f *fakeEngine) StartProxy(context.Context) error {
	f.mu.Lock()
	f.starts++
	if f.failing != nil {
		f.mu.Unlock()
		return f.failing
	}
	if f.running {
		f.mu.Unlock()
		return nil
	}
	if f.listen {
		ln, err := net.Listen("tcp", f.addr)
		if err != nil {
			f.mu.Unlock()
			return fmt.Errorf("fake engine: %w", err)
		}
		f.ln, f.addr = ln, ln.Addr().String()
		go func() { // accept and drop, so dialers see a live port
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	f.running = true
	f.mu.Unlock()
	f.note("on")
	return nil
}

func (f *fakeEngine) StopProxy(context.Context) error {
	f.mu.Lock()
	f.stops++
	if f.failing != nil {
		f.mu.Unlock()
		return f.failing
	}
	if !f.running {
		f.mu.Unlock()
		return nil
	}
	if f.ln != nil {
		f.ln.Close()
		f.ln = nil
	}
	f.running = false
	f.mu.Unlock()
	f.note("off")
	return nil
}

// note logs a transition and publishes it the way the hub does: without
// blocking, dropping the event for a subscriber whose buffer is full.
func (f *fakeEngine) note(state string) {
	if f.log != nil {
		fmt.Fprintf(f.log, "ENGINE %s\n", state)
	}
	f.publish(api.Event{Kind: api.EventProxyState, Time: time.Now()})
}

func (f *fakeEngine) publish(ev api.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (f *fakeEngine) ProxyRunning() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running
}

func (f *fakeEngine) Addr() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addr
}

func (f *fakeEngine) Accounts(context.Context) ([]api.AccountView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.accts), nil
}

// setAccounts replaces the accounts and publishes the change.
func (f *fakeEngine) setAccounts(accts ...api.AccountView) {
	f.mu.Lock()
	f.accts = accts
	f.mu.Unlock()
	f.publish(api.Event{Kind: api.EventAccountState, Time: time.Now()})
}

func (f *fakeEngine) Subscribe() (<-chan api.Event, func(), error) {
	ch := make(chan api.Event, 16)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, ch)
			f.mu.Unlock()
			close(ch)
		})
	}, nil
}

func (f *fakeEngine) Snapshot(ctx context.Context) (api.Snapshot, error) {
	f.mu.Lock()
	f.reads++
	lost, upErr := f.lost, f.upErr
	f.mu.Unlock()
	if lost != nil {
		return api.Snapshot{}, lost
	}
	accts, err := f.Accounts(ctx)
	f.mu.Lock()
	startErr, tw := f.startErr, f.trayWindow
	f.mu.Unlock()
	return api.Snapshot{ProxyRunning: f.ProxyRunning(), Addr: f.Addr(), StartError: startErr, TrayWindow: tw, Accounts: accts, UpstreamError: upErr}, err
}

func (f *fakeEngine) counts() (starts, stops int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts, f.stops
}

// fakeHost records what the tray sets, as fyne's desktop.App would receive it.
type fakeHost struct {
	mu    sync.Mutex
	menu  *fyne.Menu
	items []*fyne.MenuItem // menu's items when it was set
	icon  fyne.Resource
	menus int // how many times the menu was (re)built
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
