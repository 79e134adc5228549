package app

import (
	"fmt"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// notifier turns account state changes into desktop notifications, once
// per change: an account became limited, every account is limited, an
// account recovered, a sign-in is needed. The first snapshot only sets the
// baseline: starting the app is not news.
type notifier struct {
	mu      sync.Mutex
	known   bool
	states  map[string]api.State // by account id
	allDown bool
	sent    map[string]bool // once-only keys
}

func newNotifier() *notifier {
	return &notifier{states: map[string]api.State{}, sent: map[string]bool{}}
}

// accounts compares accts with the last snapshot and sends what changed.
func (n *notifier) accounts(accts []api.AccountView, send func(title, body string)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	prev, first := n.states, !n.known
	n.states, n.known = map[string]api.State{}, true
	usable := 0
	var earliest time.Time
	for _, a := range accts {
		n.states[a.ID] = a.State
		if a.Usable() {
			usable++
		}
		if !a.LimitedUntil.IsZero() && (earliest.IsZero() || a.LimitedUntil.Before(earliest)) {
			earliest = a.LimitedUntil
		}
		was, ok := prev[a.ID]
		if first || !ok || was == a.State {
			continue
		}
		switch a.State {
		case api.StateLimited:
			body := a.Name + " reached a usage limit."
			if !a.LimitedUntil.IsZero() {
				body = fmt.Sprintf("%s reached a usage limit; it resets at %s.", a.Name, a.LimitedUntil.Local().Format("15:04"))
			}
			send("Sluice: "+a.Name+" is limited", body)
		case api.StateNeedsLogin:
			send("Sluice: sign in to "+a.Name+" again", a.Name+" was signed out. Open Sluice and choose Sign in again.")
		case api.StateOK, api.StateWarning:
			if was.Limited() {
				send("Sluice: "+a.Name+" is usable again", a.Name+" takes requests again.")
			}
		}
	}
	down := len(accts) > 0 && usable == 0
	if down && !n.allDown && !first {
		body := "No account can take requests."
		if !earliest.IsZero() {
			body += " The first resets at " + earliest.Local().Format("15:04") + "."
		}
		send("Sluice: every account is limited", body)
	}
	n.allDown = down
}

// once runs f the first time key is seen, until reset.
func (n *notifier) once(key string, f func()) {
	n.mu.Lock()
	sent := n.sent[key]
	n.sent[key] = true
	n.mu.Unlock()
	if !sent {
		f()
	}
}

// reset lets key's notification be sent again.
func (n *notifier) reset(key string) {
	n.mu.Lock()
	delete(n.sent, key)
	n.mu.Unlock()
}
