package proxy

import (
	"sync"
	"time"
)

// EventKind names what changed in the engine.
type EventKind string

const (
	// EventProxyState: the listener started or stopped.
	EventProxyState EventKind = "proxy-state"
	// EventAccounts: an account was added, removed, renamed, paused, resumed
	// or re-prioritised.
	EventAccounts EventKind = "accounts"
	// EventAccountState: an account's limits, quarantine or login state changed.
	EventAccountState EventKind = "account-state"
	// EventRequest: requests finished and their records are in the
	// journal (the log and usage views refresh); one per batch written.
	EventRequest EventKind = "request"
	// EventWarning: an account's window crossed a warning threshold, or
	// its pace says it runs out well before its reset (warnings.go).
	EventWarning EventKind = "warning"
)

// Event tells subscribers that something changed; they re-read what they
// show through the Service's methods. Events carry no secrets.
type Event struct {
	Kind      EventKind
	AccountID string // for account events
	Time      time.Time
	Warning   *Warning `json:",omitempty"` // for EventWarning
}

// hub fans events out to subscribers. A slow subscriber loses events rather
// than stalling the engine: every event only says "re-read", so a dropped
// one is made good by the next.
type hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (h *hub) subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[chan Event]struct{})
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
			close(ch)
		})
	}
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
