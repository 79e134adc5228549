package api

import "time"

// EventKind names what changed in the engine.
type EventKind string

const (
	// EventProxyState: the listener started or stopped (Event.Proxy).
	EventProxyState EventKind = "proxy-state"
	// EventAccounts: an account was added, removed, renamed, paused,
	// resumed or re-prioritised, or its limits cleared. Event.Accounts is
	// the whole list after the change, by priority: the order and the
	// membership are what changed.
	EventAccounts EventKind = "accounts"
	// EventAccountState: an account's limits, quarantine, windows or login
	// state changed. Event.Accounts holds the changed account's view.
	EventAccountState EventKind = "account-state"
	// EventRequest: requests finished and their records are in the
	// journal (the log and usage views refresh); one per batch written.
	EventRequest EventKind = "request"
	// EventWarning: an account's window crossed a warning threshold, or
	// its pace says it runs out well before its reset (Event.Warning).
	EventWarning EventKind = "warning"
)

// EventResync is never sent by the engine: a face's dispatcher hands it to
// its views when it missed events (a gap in Event.Seq, a full queue), and
// a view reads one Snapshot on it.
const EventResync EventKind = "resync"

// Event tells subscribers what changed, and carries it, so that a face
// updates from the event alone (tailscale's ipn.Notify). An event of a
// kind that carries something but arrives without it (an older engine)
// means "re-read". Events carry no secrets.
type Event struct {
	Kind EventKind
	// Seq numbers the events of one subscription 1, 2, 3, ...: the engine
	// drops events for a subscriber that does not keep up, and a gap tells
	// the subscriber to read a Snapshot (EventResync). Zero: not numbered.
	Seq       uint64 `json:",omitempty"`
	AccountID string // for account events
	Time      time.Time
	Warning   *Warning `json:",omitempty"` // for EventWarning
	// Proxy is the proxy's state after the change, for EventProxyState:
	// the tray shows it without reading the accounts again.
	Proxy *ProxyState `json:",omitempty"`
	// Accounts is, for EventAccountState, the view of the account that
	// changed; for EventAccounts, every account after the change (an
	// empty list, not nil, when none is left: nil means not carried, and
	// JSON keeps the two apart since the field is never omitted).
	Accounts []AccountView
	// Runway is, with the Accounts of an account event, when at this pace
	// the pool runs out after the change (nil: it does not).
	Runway []Runway `json:",omitempty"`
	// Settings is the proxy settings after the change, for EventSettings;
	// TrayWindow in it is parsed (never "").
	Settings *ProxySettings `json:",omitempty"`
	// Values is, for EventSettings, every setting the engine keeps after
	// the change, whatever its store (the journal's retention, capture
	// and size cap, the port, the key requirement, and the proxy
	// settings as in Settings). Nil from an older engine: read them.
	Values *Values `json:",omitempty"`
	// Upstream is whether the upstream can be reached, for EventUpstream.
	Upstream *UpstreamState `json:",omitempty"`
}

// Carries reports whether e holds what its kind changes, so a face can
// apply it without reading the engine; false for kinds that carry
// nothing (a request, a resync) and for events that arrived without
// their payload.
func (e Event) Carries() bool {
	switch e.Kind {
	case EventProxyState:
		return e.Proxy != nil
	case EventAccounts:
		return e.Accounts != nil
	case EventAccountState:
		return len(e.Accounts) > 0
	case EventSettings:
		return e.Settings != nil
	case EventUpstream:
		return e.Upstream != nil
	case EventWarning:
		return e.Warning != nil
	}
	return false
}

// ProxyState is the proxy's state as a proxy-state event carries it.
type ProxyState struct {
	Running    bool
	Addr       string // where it listens, or will
	StartError string // why the last start failed; "" after a start or a stop
}

// UpstreamState is Snapshot.UpstreamError and UpstreamErrorSince, as an
// upstream event carries them.
type UpstreamState struct {
	Error string    `json:",omitempty"` // "" while the upstream can be reached
	Since time.Time `json:",omitzero"`
}

// Sequence checks that a subscription's events come without a gap.
type Sequence struct{ last uint64 }

// Follows reports whether e comes right after the last event seen, and
// records it. An unnumbered event (Seq 0) follows anything; the first
// numbered one follows only if it is the subscription's first (1).
func (s *Sequence) Follows(e Event) bool {
	if e.Seq == 0 {
		return true
	}
	ok := e.Seq == s.last+1
	s.last = e.Seq
	return ok
}

// EventShowWindow asks the desktop app owning this engine to show and focus
// its window: a second `sluice` start sends it instead of opening another.
const EventShowWindow EventKind = "show-window"

// EventCopySettings asks a running window process to put the connection
// settings on the clipboard: the tray's "Copy connection settings" where
// no clipboard program can hold them while the window is already open (a
// new window process would be a second one).
const EventCopySettings EventKind = "copy-settings"

// EventUpstream: the upstream became unreachable, or reachable again
// (Event.Upstream; Snapshot.UpstreamError).
const EventUpstream EventKind = "upstream"

// EventSettings: a setting the engine keeps changed, whatever its store
// (Event.Values; the proxy settings also as Event.Settings).
const EventSettings EventKind = "settings"
