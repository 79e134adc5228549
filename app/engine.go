package app

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/tray"
)

// Engine is what the window needs of the engine: the control client (the
// window as its own `sluice window` process) or control.Local (the engine
// in this process). Every call can fail and says so; the window shows it.
type Engine interface {
	// tray.Engine: the proxy's switch, the Snapshot (proxy state and
	// address, accounts) and the event subscription, which the tray needs
	// too.
	tray.Engine
	// SetPort moves the proxy to another port (restarting it if it runs)
	// and keeps the port for the next start.
	SetPort(ctx context.Context, port int) error
	// Login signs in through the browser and adds the account, or renews
	// its login with req.Reauth. It waits for the browser until ctx ends.
	Login(ctx context.Context, req api.LoginRequest) (api.AccountView, error)
	// AddAPIKey adds a Console API-key account; the key goes to the keyring.
	AddAPIKey(ctx context.Context, name, key string) (api.AccountView, error)
	// ShowOnce reports whether the one-time notice key is still to be
	// shown, and records that it now has been.
	ShowOnce(ctx context.Context, key string) (bool, error)
	AccountControls
	Journal
	ClientKeys
	// ProxySettingsEngine: strategy, session window, retries, origins.
	ProxySettingsEngine
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
	// wrapping api.ErrKeyRefused, or a *api.KeyUnverifiedError.
	CheckAPIKey(ctx context.Context, key string) error
	// ReplaceAPIKey puts a new key in an API-key account.
	ReplaceAPIKey(ctx context.Context, name, key string) error
	// ClearLimit lifts a limit by hand (the user knows it reset).
	ClearLimit(ctx context.Context, name string) error
}

// Journal is what the Logs, Usage and Settings tabs read and change: the
// journal's paged queries and rollups, and the settings that apply without
// a restart.
type Journal interface {
	// Logs lists requests newest first, a page at a time (LogPage.Next).
	Logs(ctx context.Context, f api.LogFilter) (api.LogPage, error)
	// Request is one request in full, with its captured payload if any.
	Request(ctx context.Context, id string) (api.RequestDetail, error)
	// Usage reads the daily rollups, grouped as q.By says.
	Usage(ctx context.Context, q api.UsageQuery) (api.UsageReport, error)
	Settings(ctx context.Context) (api.Settings, error)
	UpdateSettings(ctx context.Context, st api.Settings) (api.Settings, error)
	// Cleanup applies retention now and compacts the database.
	Cleanup(ctx context.Context, o api.CleanupOptions) (api.CleanupResult, error)
}

// ClientKeys are the keys clients present to the proxy.
type ClientKeys interface {
	Keys(ctx context.Context) ([]api.KeyView, error)
	// CreateKey returns the new key and its secret, shown once.
	CreateKey(ctx context.Context, o api.KeyOptions) (api.KeyView, string, error)
	RevokeKey(ctx context.Context, name string) error
	// FirstKey is the key made on first start with its secret, until
	// DismissFirstKey; the secret is never stored in plain text.
	FirstKey(ctx context.Context) (api.KeyView, string, bool, error)
	DismissFirstKey(ctx context.Context) error
	RequireKey(ctx context.Context) (bool, error)
	// ConnectionKey is the key connection settings carry, with its
	// secret; minted: a new one was made (the last one was revoked).
	ConnectionKey(ctx context.Context) (key api.KeyView, secret string, minted bool, err error)
	SetRequireKey(ctx context.Context, on bool) error
}
