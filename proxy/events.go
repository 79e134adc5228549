package proxy

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// hub fans events out to subscribers. A slow subscriber loses events rather
// than stalling the engine; each subscription numbers its events (Seq), so
// the subscriber sees the gap and reads a Snapshot instead.
type hub struct {
	mu   sync.Mutex
	subs map[chan api.Event]*uint64 // the subscription's last Seq
}

// subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (h *hub) subscribe() (<-chan api.Event, func()) {
	ch := make(chan api.Event, 64)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[chan api.Event]*uint64)
	}
	h.subs[ch] = new(uint64)
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

// active reports whether anyone listens: what an event carries is built
// only then.
func (h *hub) active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

func (h *hub) publish(e api.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, seq := range h.subs {
		*seq++ // counted when dropped too: that is the gap
		e.Seq = *seq
		select {
		case ch <- e:
		default:
		}
	}
}

// accountEventEvery bounds how often one account's state goes out: a busy
// proxy changes an account's windows with every answer, and each event
// carries the account's whole view. A change waits at most this long.
const accountEventEvery = 200 * time.Millisecond

// accountNews gathers the accounts whose state changed (the pool's
// OnChange, on the request path) and publishes their views in one batch
// per accountEventEvery, off the request path.
type accountNews struct {
	mu      sync.Mutex
	dirty   []string
	pending bool
}

// accountStateChanged marks id's state changed; its event follows within
// accountEventEvery.
func (s *Service) accountStateChanged(id string) {
	if !s.events.active() {
		return
	}
	n := &s.news
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(n.dirty, id) {
		n.dirty = append(n.dirty, id)
	}
	if !n.pending {
		n.pending = true
		time.AfterFunc(accountEventEvery, s.publishAccountStates)
	}
}

// publishAccountStates sends an EventAccountState with the view of each
// account marked since the last batch.
func (s *Service) publishAccountStates() {
	n := &s.news
	n.mu.Lock()
	ids := n.dirty
	n.dirty, n.pending = nil, false
	n.mu.Unlock()
	if !s.events.active() { // the last subscriber left (the engine closing)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	all, err := s.db.Accounts(ctx)
	if err != nil {
		// Sent without the views: the subscribers read a Snapshot.
		s.log.Warn("account event: list accounts", "err", err)
		for _, id := range ids {
			s.events.publish(api.Event{Kind: api.EventAccountState, AccountID: id, Time: s.now()})
		}
		return
	}
	// The pool's runway depends on every account: it goes with each event.
	views := make([]api.AccountView, len(all))
	for i, a := range all {
		views[i] = s.view(a)
	}
	runway := s.runway(views)
	for _, v := range views {
		if slices.Contains(ids, v.ID) {
			s.events.publish(api.Event{Kind: api.EventAccountState, AccountID: v.ID, Time: s.now(),
				Accounts: []api.AccountView{v}, Runway: runway})
		}
	}
}

// publishAccounts sends an EventAccounts carrying every account, after a
// change to the list (id names the account it was about).
func (s *Service) publishAccounts(ctx context.Context, id string) {
	e := api.Event{Kind: api.EventAccounts, AccountID: id, Time: s.now()}
	if accts, err := s.Accounts(ctx); err == nil {
		e.Accounts, e.Runway = accts, s.runway(accts)
	} else {
		// Sent without the list: the subscribers read a Snapshot.
		s.log.Warn("accounts event: list accounts", "err", err)
	}
	s.events.publish(e)
}

// publishSettings sends an EventSettings carrying the settings in force,
// every store's: each change of a setting the engine keeps sends one.
func (s *Service) publishSettings() {
	v := s.Values()
	v.TrayWindow, _ = api.ParseTrayWindow(v.TrayWindow) // checked when saved
	ps := v.ProxySettings
	s.events.publish(api.Event{Kind: api.EventSettings, Time: s.now(), Settings: &ps, Values: &v})
}

// publishUpstream sends an EventUpstream carrying the upstream's state.
func (s *Service) publishUpstream() {
	msg, since := s.UpstreamError()
	s.events.publish(api.Event{Kind: api.EventUpstream, Time: s.now(), Upstream: &api.UpstreamState{Error: msg, Since: since}})
}
