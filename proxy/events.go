package proxy

import (
	"sync"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// hub fans events out to subscribers. A slow subscriber loses events rather
// than stalling the engine: every event only says "re-read", so a dropped
// one is made good by the next.
type hub struct {
	mu   sync.Mutex
	subs map[chan api.Event]struct{}
}

// subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (h *hub) subscribe() (<-chan api.Event, func()) {
	ch := make(chan api.Event, 64)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[chan api.Event]struct{})
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

func (h *hub) publish(e api.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
