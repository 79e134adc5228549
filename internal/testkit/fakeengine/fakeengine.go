// Package fakeengine is the stand-in for the engine (proxy.Service behind
// control.Local) that the faces' tests share: the proxy switch, the
// accounts, the snapshot and the event hub, over an in-memory state.
//
// It is the part every face talks to (tray.Engine, which owner.Engine and
// the window's app.Engine extend); a package's tests embed *Engine in
// their own fake and add what only that face calls. It lives apart from
// internal/testkit because it imports proxy/api, and testkit must import
// nothing of ours so that the engine's own packages can use it.
package fakeengine

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Engine is the shared fake engine. Its fields are the state the tests set
// and read; Mu guards them, and an embedding fake guards its own fields
// with it too, so that one lock covers the whole engine as in the real one.
type Engine struct {
	Mu sync.Mutex

	// Running is the proxy's state; Address is what Addr and the
	// snapshot report.
	Running bool
	Address string
	// Accts are the accounts, in the engine's order. AccountsErr, when
	// set, is what Accounts (and so Snapshot) returns instead.
	Accts       []api.AccountView
	AccountsErr error
	// Fail, when set, is what StartProxy and StopProxy return (they
	// still count the call).
	Fail error
	// OnSwitch, when set, runs with Mu held as the proxy goes on or off,
	// before the state changes; an error leaves the state as it was and
	// is returned. Tests use it to open a real listener or log the change.
	OnSwitch func(on bool) error
	// Snap holds the rest of Snapshot's answer (StartError, TrayWindow,
	// UpstreamError, Runway, ...); Lost, when set, is Snapshot's error:
	// the engine cannot be reached.
	Snap api.Snapshot
	Lost error

	// Starts and Stops count the StartProxy and StopProxy calls;
	// AccountReads the Accounts calls (Snapshot's included) and
	// SnapshotReads the Snapshot calls.
	Starts, Stops               int
	AccountReads, SnapshotReads int

	subs map[chan api.Event]struct{}
}

// New returns an engine at addr with the proxy on or off and the
// accounts.
func New(addr string, running bool, accts ...api.AccountView) *Engine {
	return &Engine{Address: addr, Running: running, Accts: accts, subs: map[chan api.Event]struct{}{}}
}

// StartProxy turns the proxy on and publishes the change.
func (e *Engine) StartProxy(context.Context) error { return e.set(true) }

// StopProxy turns the proxy off and publishes the change.
func (e *Engine) StopProxy(context.Context) error { return e.set(false) }

// set is the switch: like the engine, it publishes a proxy-state event
// only when the state changed.
func (e *Engine) set(on bool) error {
	e.Mu.Lock()
	if on {
		e.Starts++
	} else {
		e.Stops++
	}
	if e.Fail != nil {
		e.Mu.Unlock()
		return e.Fail
	}
	if e.Running == on {
		e.Mu.Unlock()
		return nil
	}
	if e.OnSwitch != nil {
		if err := e.OnSwitch(on); err != nil {
			e.Mu.Unlock()
			return err
		}
	}
	e.Running = on
	e.Mu.Unlock()
	e.Publish(api.EventProxyState)
	return nil
}

// ProxyRunning reports whether the proxy is on.
func (e *Engine) ProxyRunning() bool {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	return e.Running
}

// Addr is the proxy's address.
func (e *Engine) Addr() string {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	return e.Address
}

// Accounts returns a copy of the accounts, or AccountsErr.
func (e *Engine) Accounts(context.Context) ([]api.AccountView, error) {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	e.AccountReads++
	if e.AccountsErr != nil {
		return nil, e.AccountsErr
	}
	return slices.Clone(e.Accts), nil
}

// SetAccounts replaces the accounts and publishes the change, as the
// engine does when the proxy updates an account's state.
func (e *Engine) SetAccounts(accts ...api.AccountView) {
	e.Mu.Lock()
	e.Accts = accts
	e.Mu.Unlock()
	e.Publish(api.EventAccountState)
}

// Snapshot is Snap with the proxy's state, address and accounts, or Lost.
func (e *Engine) Snapshot(ctx context.Context) (api.Snapshot, error) {
	e.Mu.Lock()
	e.SnapshotReads++
	s, lost := e.Snap, e.Lost
	s.ProxyRunning, s.Addr = e.Running, e.Address
	e.Mu.Unlock()
	if lost != nil {
		return api.Snapshot{}, lost
	}
	accts, err := e.Accounts(ctx)
	s.Accounts = accts
	return s, err
}

// Counts returns the StartProxy and StopProxy calls so far.
func (e *Engine) Counts() (starts, stops int) {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	return e.Starts, e.Stops
}

// Subscribe returns the engine's events and a function that ends the
// subscription and closes the channel.
func (e *Engine) Subscribe() (<-chan api.Event, func(), error) {
	ch := make(chan api.Event, 16)
	e.Mu.Lock()
	if e.subs == nil {
		e.subs = map[chan api.Event]struct{}{}
	}
	e.subs[ch] = struct{}{}
	e.Mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			e.Mu.Lock()
			delete(e.subs, ch)
			e.Mu.Unlock()
			close(ch)
		})
	}, nil
}

// Publish sends an event of kind, stamped now, to every subscriber.
func (e *Engine) Publish(kind api.EventKind) {
	e.PublishEvent(api.Event{Kind: kind, Time: time.Now()})
}

// PublishEvent sends ev to every subscriber without blocking, as the
// engine's hub does: a subscriber whose buffer is full misses it.
func (e *Engine) PublishEvent(ev api.Event) {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}
