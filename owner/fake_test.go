package owner

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// ownerEngine stands in for control.Local: a proxy switch, a snapshot, the
// event hub, and ShowWindow and CopySettingsInWindow, which publish their
// events as the real engine does.
type ownerEngine struct {
	mu       sync.Mutex
	running  bool
	stops    int
	accounts []api.AccountView
	subs     map[chan api.Event]struct{}
	shows    atomic.Int32
}

func newOwnerEngine(running bool) *ownerEngine {
	return &ownerEngine{running: running, subs: map[chan api.Event]struct{}{}}
}

func (e *ownerEngine) StartProxy(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running = true
	return nil
}

func (e *ownerEngine) StopProxy(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running = false
	e.stops++
	return nil
}

func (e *ownerEngine) Snapshot(context.Context) (api.Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return api.Snapshot{ProxyRunning: e.running, Addr: "127.0.0.1:8788", Accounts: slices.Clone(e.accounts)}, nil
}

// ConnectionKey hands out a key it says it had to make (minted).
func (e *ownerEngine) ConnectionKey(context.Context) (api.KeyView, string, bool, error) {
	return api.KeyView{Name: "connection"}, "sk-sluice-fake-connection", true, nil
}

func (e *ownerEngine) Subscribe() (<-chan api.Event, func(), error) {
	ch := make(chan api.Event, 16)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	e.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.subs, ch)
			e.mu.Unlock()
			close(ch)
		})
	}, nil
}

// CopySettingsInWindow publishes the event a window process acts on.
func (e *ownerEngine) CopySettingsInWindow() { e.publish(api.EventCopySettings) }

func (e *ownerEngine) ShowWindow() {
	e.shows.Add(1)
	e.publish(api.EventShowWindow)
}

// publish sends without blocking, as the engine's hub does.
func (e *ownerEngine) publish(kind api.EventKind) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- api.Event{Kind: kind, Time: time.Now()}:
		default:
		}
	}
}
