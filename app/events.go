package app

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// subscription is a process's one stream of engine events, dispatched by
// kind: the window's requests (show, copy) go to their handlers, the rest
// to the view, which applies what they carry.
type subscription struct {
	stop    func()
	stopped atomic.Bool
}

// subscribe opens the process's one event stream. Events of a kind in on
// run its handler; the others go to view, which is closed when the stream
// ends. A gap in the events' order (the engine dropped some for this
// process) goes to view as an api.EventResync. gone, when not nil, is
// called if the stream ends before stop: the engine went away.
func subscribe(eng Engine, view chan api.Event, on map[api.EventKind]func(), gone func()) (*subscription, error) {
	events, stop, err := eng.Subscribe()
	if err != nil {
		close(view)
		return nil, fmt.Errorf("subscribe to the engine's events: %w", err)
	}
	s := &subscription{stop: stop}
	go func() {
		defer close(view)
		var seq api.Sequence
		for e := range events {
			if !seq.Follows(e) {
				owner.Deliver(view, api.Event{Kind: api.EventResync})
			}
			if f, ok := on[e.Kind]; ok {
				f()
				continue
			}
			owner.Deliver(view, e)
		}
		if gone != nil && !s.stopped.Load() {
			gone()
		}
	}()
	return s, nil
}

// Stop ends the stream.
func (s *subscription) Stop() {
	s.stopped.Store(true)
	s.stop()
}

// pending is what a burst of events brought the view, applied at its end.
type pending struct {
	resync   bool               // read a Snapshot: an event came without what it changed
	requests bool               // the logs and usage refresh
	proxy    *api.ProxyState    // the proxy's state, the newest
	list     []api.AccountView  // every account, when the list changed
	changed  []api.AccountView  // accounts whose state changed since, newest last
	runway   []api.Runway       // the pool's runway with the newest account event
	accounts bool               // an account event came (runway is its)
	settings *api.ProxySettings // the proxy settings, the newest
	journal  *api.Settings      // the journal settings, the newest
	warnings []api.Warning      // quota warnings, for the notifier
}

// add takes one event into the burst, by kind.
func (p *pending) add(e api.Event) {
	switch e.Kind {
	case api.EventRequest:
		p.requests = true
		return
	case api.EventWarning:
		if e.Warning != nil {
			p.warnings = append(p.warnings, *e.Warning)
		}
		return
	case api.EventUpstream, api.EventShowWindow, api.EventCopySettings:
		return // the window shows neither
	}
	if !e.Carries() {
		p.resync = true
		return
	}
	switch e.Kind {
	case api.EventProxyState:
		p.proxy = e.Proxy
	case api.EventAccounts:
		p.list, p.changed = e.Accounts, nil
		p.runway, p.accounts = e.Runway, true
	case api.EventAccountState:
		p.changed = append(p.changed, e.Accounts...)
		p.runway, p.accounts = e.Runway, true
	case api.EventSettings:
		p.settings = e.Settings
		if e.Values != nil { // an older engine's event carries the proxy settings only
			j := e.Values.Settings
			p.journal = &j
		}
	}
}

// applyEvents shows what a burst of events carried, with no read of the
// engine's state: the account cards, the proxy's state, the settings; the
// logs and usage re-read their page when requests came. It reports false
// when the burst names an account the view does not know (added since
// it read the list): the caller then reads a Snapshot. UI goroutine only.
func (v *view) applyEvents(p pending) bool {
	if p.proxy != nil {
		v.showProxy(p.proxy.Running, p.proxy.Addr, p.proxy.StartError)
	}
	if p.settings != nil {
		v.settings.proxy = *p.settings
		v.settings.px.update(*p.settings)
	}
	if p.journal != nil {
		v.settings.journalChanged(*p.journal)
	}
	if p.requests {
		v.logs.follow()
		v.usage.refresh()
	}
	for _, w := range p.warnings { // told only where the app notifies (v.notify)
		v.notes.Warning(w, v.send)
	}
	if p.list == nil && len(p.changed) == 0 {
		return true
	}
	rows := p.list
	if rows == nil {
		rows = slices.Clone(v.rows)
	} else {
		v.logs.setAccounts(rows)
	}
	for _, a := range p.changed {
		i := slices.IndexFunc(rows, func(r api.AccountView) bool { return r.ID == a.ID })
		if i < 0 {
			return false
		}
		rows[i] = a
	}
	v.rows = rows
	if p.accounts {
		v.runways = p.runway
	}
	v.notes.Accounts(rows, v.send)
	v.showStale()
	v.showAccounts()
	return true
}

// comeForward is the handler that shows and focuses w when the engine
// asks (a second `sluice` start, the tray's "Open Sluice").
//
// The request can reach a window process that is quitting (the window
// closed just as another start asked for it). Fyne's GLFW driver runs
// what fyne.Do queued after it terminated GLFW (it drains its queue after
// glfw.Terminate, and runs later calls inline), where Show panics with
// "not initialized": a window on its way out need not come forward.
func comeForward(w fyne.Window) func() {
	return func() {
		fyne.Do(func() {
			defer ignoreTerminated()
			w.Show()
			w.RequestFocus()
		})
	}
}

// ignoreTerminated recovers GLFW's "not initialized" panic, and only it.
func ignoreTerminated() {
	r := recover()
	if r == nil {
		return
	}
	// The code's constant is unexported; its name is the library's own.
	var gerr *glfw.Error
	if err, ok := r.(error); ok && errors.As(err, &gerr) && gerr.Code.String() == "NotInitialized" {
		return
	}
	panic(r)
}
