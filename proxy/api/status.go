package api

import (
	"errors"
	"time"
)

// Status is the engine at a glance: what `sluice status` prints.
type Status struct {
	ProxyRunning bool   `json:"proxy_running"`
	Addr         string `json:"addr"` // where the proxy listens, or will
	Accounts     int    `json:"accounts"`
	Usable       int    `json:"usable_accounts"`
	// Unusable lists the accounts a request cannot go to now (limited,
	// needing a login, paused), with when they come back if known.
	Unusable []UnusableAccount `json:"unusable,omitempty"`
	// RequestsToday and CostTodayMicros sum the journal since local midnight.
	RequestsToday   int64 `json:"requests_today"`
	CostTodayMicros int64 `json:"cost_today_micros"` // millionths of a US dollar
	// Runway says, per model family ("" for any model), when at the
	// current pace every account that can serve it is spent; only the
	// families forecast to run out are listed.
	Runway []Runway `json:"runway,omitempty"`
	// Warnings are the quota warnings in force.
	Warnings []Warning `json:"warnings,omitempty"`
	// UpstreamError says why the Anthropic API cannot be reached, since
	// UpstreamErrorSince, until a request gets through; "" while it can.
	UpstreamError      string    `json:"upstream_error,omitempty"`
	UpstreamErrorSince time.Time `json:"upstream_error_since,omitzero"`
}

// UnusableAccount is an account left out of routing, and why.
type UnusableAccount struct {
	Name   string    `json:"name"`
	State  State     `json:"state"`
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// SessionView is one live client session: which account served its last
// request. Claude Code sessions carry their own id; other clients are
// told apart by a fingerprint of their User-Agent.
type SessionView struct {
	ID          string    `json:"id"`         // Claude Code's session id, or "client:<fingerprint>"
	AccountID   string    `json:"account_id"` // the account that served the last request
	AccountName string    `json:"account"`    // its name now ("" if it was removed)
	Model       string    `json:"model"`      // the last request's model
	Requests    int64     `json:"requests"`   // requests seen in this session
	LastUsed    time.Time `json:"last_used"`  // when the last one finished
	// WindowShare is the session's share of each window of its account
	// in the window's current period (the quota ledger); absent for
	// windows no header told of (API keys).
	WindowShare map[string]float64 `json:"window_share,omitempty"`
}

// ErrKeyRefused reports that the upstream refused an API key (401 or 403):
// saving it would only add an account that fails every request.
var ErrKeyRefused = errors.New("the API refused this key")

// KeyUnverifiedError reports that an API key could not be checked (the
// network or the upstream failed): callers save it anyway, with a warning,
// since the key may well be good.
type KeyUnverifiedError struct{ Err error }

// ErrNoSuchAccount reports an account name that is not configured.
var ErrNoSuchAccount = errors.New("no such account")

func (e *KeyUnverifiedError) Error() string {
	return "the key could not be checked: " + e.Err.Error()
}

func (e *KeyUnverifiedError) Unwrap() error { return e.Err }

// Snapshot is what the window and the tray draw, read in one call: the
// proxy's state and address and the accounts.
type Snapshot struct {
	ProxyRunning bool   `json:"proxy_running"`
	Addr         string `json:"addr"` // where the proxy listens, or will
	// StartError says why the proxy's last start failed ("port already in
	// use"); "" once it starts or is stopped on purpose.
	StartError string `json:"start_error,omitempty"`
	// TrayWindow is the tray-window setting (ProxySettings.TrayWindow),
	// never "": which window the tray's account lines show.
	TrayWindow string `json:"tray_window,omitempty"`
	// Keyring names the keyring backend holding the credentials.
	Keyring  string        `json:"keyring,omitempty"`
	Accounts []AccountView `json:"accounts"`
	// Runway is Status's: when, at this pace, the pool runs out.
	Runway []Runway `json:"runway,omitempty"`
	// UpstreamError and UpstreamErrorSince are Status's.
	UpstreamError      string    `json:"upstream_error,omitempty"`
	UpstreamErrorSince time.Time `json:"upstream_error_since,omitzero"`
}

// Usable counts the accounts that take requests now.
func (s Snapshot) Usable() int {
	n := 0
	for _, a := range s.Accounts {
		if a.Usable() {
			n++
		}
	}
	return n
}

// The engine's sentinel errors the faces branch on; the control API maps
// each to a code and back, so errors.Is works across the socket.

// ErrAccountExists reports an account name that is already taken.
var ErrAccountExists = errors.New("an account with this name already exists")

// ErrPortInUse reports that another program holds the configured port.
var ErrPortInUse = errors.New("port already in use")

// ErrNoOAuth reports an engine built without OAuth endpoints.
var ErrNoOAuth = errors.New("this Sluice was started without OAuth support")

// ErrNoSuchLogin reports a sign-in id that is unknown, finished or expired.
var ErrNoSuchLogin = errors.New("no such sign-in in progress (it finished, expired or was cancelled)")

// ErrUnreachable reports that a face could not reach the engine at all
// (its socket is gone or does not answer), as opposed to an engine that
// answered with an error. The window and the tray say they lost the
// engine on it.
var ErrUnreachable = errors.New("cannot reach Sluice's engine")
