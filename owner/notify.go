package owner

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// notifyBurst is how long the notifier gathers changes into one bubble:
// two accounts hitting a limit together gave three bubbles in 41 ms.
const notifyBurst = time.Second

// Notifier turns account state changes into desktop notifications, once
// per change: an account became limited, every account is limited, an
// account recovered, a sign-in is needed. Changes within one burst go out
// as one bubble ("2 accounts limited: personal (back 17:00), team (back
// 18:30)"), judged by the states at its end, so a change undone within the
// burst says nothing. The first snapshot only sets the baseline: starting
// the app is not news.
type Notifier struct {
	burst time.Duration
	now   func() time.Time // says whether a reset is today

	mu      sync.Mutex
	known   bool
	told    map[string]api.State // by account id: the states last told (or the baseline)
	allDown bool                 // as last told
	latest  []api.AccountView    // the newest snapshot, told at the burst's end
	send    func(title, body string)
	timer   *time.Timer // the pending burst; nil when none
	sent    map[string]bool
	// warnings are the engine's quota warnings of the pending burst;
	// warned the ones told, by window and reset (warningKey).
	warnings []api.Warning
	warned   map[string]bool
}

// NewNotifier returns a Notifier that merges what changes within a burst
// into one bubble.
func NewNotifier() *Notifier {
	return &Notifier{burst: notifyBurst, now: time.Now, told: map[string]api.State{}, sent: map[string]bool{}, warned: map[string]bool{}}
}

// Warning takes one of the engine's quota warnings (api.EventWarning)
// into the burst: it goes out in the same bubble as the account changes
// around it, once per account, window, reset and threshold. The engine
// raises each once already; a face that subscribes again must not tell
// it twice either.
func (n *Notifier) Warning(w api.Warning, send func(title, body string)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := fmt.Sprintf("%s/%s/%d/%s/%g", w.AccountID, w.Window, w.ResetsAt.Unix(), w.Kind, w.Threshold)
	if n.warned[k] {
		return
	}
	n.warned[k] = true
	n.warnings = append(n.warnings, w)
	n.send = send
	if n.timer == nil {
		n.timer = time.AfterFunc(n.burst, n.flush)
	}
}

// Accounts takes a new snapshot of the accounts. What changed since the
// last notification goes to send once the burst it opened is over.
func (n *Notifier) Accounts(accts []api.AccountView, send func(title, body string)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.known {
		n.known = true
		n.told, n.allDown = states(accts), allDown(accts)
		return
	}
	n.latest, n.send = accts, send
	if n.timer == nil && n.differs(accts) {
		n.timer = time.AfterFunc(n.burst, n.flush)
	}
}

// differs reports whether accts differ from what was last told.
func (n *Notifier) differs(accts []api.AccountView) bool {
	if allDown(accts) != n.allDown {
		return true
	}
	for _, a := range accts {
		if was, ok := n.told[a.ID]; ok && was != a.State {
			return true
		}
	}
	return false
}

// flush ends a burst: one bubble for what changed during it.
func (n *Notifier) flush() {
	n.mu.Lock()
	accts, send, warns := n.latest, n.send, n.warnings
	var title, body string
	if accts != nil { // else only warnings came since the baseline
		title, body = n.message(accts)
		n.told, n.allDown = states(accts), allDown(accts)
	}
	title, body = withWarnings(title, body, warns)
	n.warnings, n.timer = nil, nil
	n.mu.Unlock()
	if title != "" && send != nil {
		send(title, body)
	}
}

// message words the changes from n.told to accts; "" when there is
// nothing to say. n.mu is held.
func (n *Notifier) message(accts []api.AccountView) (title, body string) {
	var limited, login, back []api.AccountView
	for _, a := range accts {
		was, ok := n.told[a.ID]
		if !ok || was == a.State {
			continue // a new account is not news; its state is
		}
		switch {
		case a.State == api.StateLimited:
			limited = append(limited, a)
		case a.State == api.StateNeedsLogin:
			login = append(login, a)
		case a.Usable() && was.Limited():
			back = append(back, a)
		}
	}
	now := n.now()
	when := func(t time.Time) string { return atTime(clock(t, now)) }
	var lines []string
	if len(limited) == 1 {
		a := limited[0]
		title = "Sluice: " + a.Name + " is limited"
		line := a.Name + " reached a usage limit."
		if !a.LimitedUntil.IsZero() {
			line = fmt.Sprintf("%s reached a usage limit; it is back %s.", a.Name, when(a.LimitedUntil))
		}
		lines = append(lines, line)
	} else if len(limited) > 1 {
		title = fmt.Sprintf("Sluice: %d accounts limited", len(limited))
		names := make([]string, len(limited))
		for i, a := range limited {
			names[i] = a.Name
			if !a.LimitedUntil.IsZero() {
				names[i] += " (back " + clock(a.LimitedUntil, now) + ")"
			}
		}
		lines = append(lines, fmt.Sprintf("%d accounts limited: %s", len(limited), strings.Join(names, ", ")))
	}
	if len(login) > 0 {
		title = "Sluice: sign in to " + names(login) + " again"
		lines = append(lines, names(login)+plural(login, " was", " were")+" signed out. Open Sluice and choose Sign in again.")
	}
	if len(back) > 0 {
		title = "Sluice: " + names(back) + plural(back, " is", " are") + " usable again"
		lines = append(lines, names(back)+plural(back, " takes", " take")+" requests again.")
	}
	if len(lines) > 1 {
		title = "Sluice: accounts changed"
	}
	if down := allDown(accts); down && !n.allDown {
		title = "Sluice: every account is limited"
		line := "No account can take requests."
		if first := earliest(accts); !first.IsZero() {
			line += " The first is back " + when(first) + "."
		}
		lines = append(lines, line)
	}
	return title, strings.Join(lines, "\n")
}

// withWarnings adds a burst's quota warnings to its bubble: each
// warning's own line, and a title that names it when it is all the
// bubble says.
func withWarnings(title, body string, warns []api.Warning) (string, string) {
	if len(warns) == 0 {
		return title, body
	}
	lines := make([]string, 0, len(warns)+1)
	if body != "" {
		lines = append(lines, body)
	}
	for _, w := range warns {
		lines = append(lines, w.Message)
	}
	switch w := warns[0]; {
	case title != "":
		title = "Sluice: accounts changed"
	case len(warns) > 1:
		title = fmt.Sprintf("Sluice: %d quota warnings", len(warns))
	case w.Kind == api.WarningPool:
		title = "Sluice: every account runs out at " + w.RunsOutAt.Local().Format("15:04")
	case w.Kind == api.WarningPace:
		title = fmt.Sprintf("Sluice: %s runs out at %s", w.Account, w.RunsOutAt.Local().Format("15:04"))
	default:
		title = fmt.Sprintf("Sluice: %s at %.0f %% of its %s window", w.Account, w.Utilization*100, w.Window)
	}
	return title, strings.Join(lines, "\n")
}

// names lists account names: "a", "a and b", "a, b and c".
func names(accts []api.AccountView) string {
	n := make([]string, len(accts))
	for i, a := range accts {
		n[i] = a.Name
	}
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
}

// atTime puts "at" before a time of day, not before a day ("Wed 17:00").
func atTime(c string) string {
	if len(c) == len("15:04") {
		return "at " + c
	}
	return "on " + c
}

// plural picks the verb for one account or several.
func plural(accts []api.AccountView, one, more string) string {
	if len(accts) == 1 {
		return one
	}
	return more
}

// clock is a reset time as the user's clock shows it: "17:00" today,
// "Wed 17:00" on another day (a weekly limit), never read as today's.
func clock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}

func states(accts []api.AccountView) map[string]api.State {
	m := make(map[string]api.State, len(accts))
	for _, a := range accts {
		m[a.ID] = a.State
	}
	return m
}

// allDown reports whether there are accounts and none takes requests.
func allDown(accts []api.AccountView) bool {
	for _, a := range accts {
		if a.Usable() {
			return false
		}
	}
	return len(accts) > 0
}

// earliest is the first time a limited account is back; zero if unknown.
func earliest(accts []api.AccountView) time.Time {
	var first time.Time
	for _, a := range accts {
		if !a.LimitedUntil.IsZero() && (first.IsZero() || a.LimitedUntil.Before(first)) {
			first = a.LimitedUntil
		}
	}
	return first
}

// Once runs f the first time key is seen, until reset.
func (n *Notifier) Once(key string, f func()) {
	n.mu.Lock()
	sent := n.sent[key]
	n.sent[key] = true
	n.mu.Unlock()
	if !sent {
		f()
	}
}

// Reset lets key's notification be sent again.
func (n *Notifier) Reset(key string) {
	n.mu.Lock()
	delete(n.sent, key)
	n.mu.Unlock()
}
