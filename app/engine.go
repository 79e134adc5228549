package app

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
)

// Engine is what the window needs of the engine. *proxy.Service satisfies
// it today; it names no concrete engine type, so a client of the control
// API (the window as its own `sluice window` process) can satisfy it too.
type Engine interface {
	StartProxy(ctx context.Context) error
	StopProxy(ctx context.Context) error
	ProxyRunning() bool
	Addr() string
	Accounts(ctx context.Context) ([]proxy.AccountView, error)
	// Subscribe returns engine events and a function that ends the
	// subscription and closes the channel.
	Subscribe() (<-chan proxy.Event, func())
	// Login signs in through the browser and adds the account, or renews
	// its login with req.Reauth. It waits for the browser until ctx ends.
	Login(ctx context.Context, req proxy.LoginRequest) (proxy.AccountView, error)
	// AddAPIKey adds a Console API-key account; the key goes to the keyring.
	AddAPIKey(ctx context.Context, name, key string) (proxy.AccountView, error)
	// ShowOnce reports whether the one-time notice key is still to be
	// shown, and records that it now has been.
	ShowOnce(ctx context.Context, key string) (bool, error)
	AccountControls
}

// AccountControls are the per-account actions of the Accounts tab.
type AccountControls interface {
	PauseAccount(ctx context.Context, name string) error
	ResumeAccount(ctx context.Context, name string) error
	SetPriority(ctx context.Context, name string, priority int) error
	RenameAccount(ctx context.Context, oldName, newName string) error
	// RemoveAccount deletes the account and its keyring item.
	RemoveAccount(ctx context.Context, name string) error
	// CheckAPIKey asks the upstream whether a key works: nil, an error
	// wrapping proxy.ErrKeyRefused, or a *proxy.KeyUnverifiedError.
	CheckAPIKey(ctx context.Context, key string) error
	// ReplaceAPIKey puts a new key in an API-key account.
	ReplaceAPIKey(ctx context.Context, name, key string) error
}

// LogSource is what the Logs and Usage tabs read. *proxy.Service satisfies
// it with RecentRequests; the journal's filtered, paged queries (issue 9)
// are to take its place.
type LogSource interface {
	RecentRequests(ctx context.Context, limit int) ([]proxy.RequestView, error)
}

// SettingsSource is what the Settings tab shows. *proxy.Service satisfies
// it with its Config; a settings store that applies changes without a
// restart (issue 9) is to take its place.
type SettingsSource interface {
	Config() proxy.Config
}

// Sources are the optional readers of the Logs, Usage and Settings tabs.
// A nil one shows its tab's empty state.
type Sources struct {
	Logs     LogSource
	Settings SettingsSource
}

// sourcesOf finds the optional readers eng also implements.
func sourcesOf(eng Engine) Sources {
	var s Sources
	s.Logs, _ = eng.(LogSource)
	s.Settings, _ = eng.(SettingsSource)
	return s
}
