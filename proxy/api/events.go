package api

import "time"

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
	// its pace says it runs out well before its reset (Event.Warning).
	EventWarning EventKind = "warning"
)

// Event tells subscribers what changed; what an event does not carry they
// re-read through the Service's methods. Events carry no secrets.
type Event struct {
	Kind      EventKind
	AccountID string // for account events
	Time      time.Time
	Warning   *Warning `json:",omitempty"` // for EventWarning
	// Proxy is the proxy's state after the change, for EventProxyState:
	// the tray shows it without reading the accounts again.
	Proxy *ProxyState `json:",omitempty"`
}

// ProxyState is the proxy's state as a proxy-state event carries it.
type ProxyState struct {
	Running    bool
	Addr       string // where it listens, or will
	StartError string // why the last start failed; "" after a start or a stop
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
// (Snapshot.UpstreamError).
const EventUpstream EventKind = "upstream"

// EventSettings: the proxy settings changed (the window and the tray
// re-read them).
const EventSettings EventKind = "settings"
