package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Local is the engine of this process with the client's method set: the
// calls the engine answers without a context or an error here take one
// and return one, so a face written against the client (the window, the
// tray, the CLI) runs unchanged in the process that owns the engine.
type Local struct{ *proxy.Service }

// NewLocal wraps the engine this process owns.
func NewLocal(s *proxy.Service) Local { return Local{s} }

// LoginCancel abandons a started sign-in.
func (l Local) LoginCancel(_ context.Context, id string) error {
	l.Service.LoginCancel(id)
	return nil
}

// ProxyRunning reports whether the proxy listens.
func (l Local) ProxyRunning(context.Context) (bool, error) { return l.Service.ProxyRunning(), nil }

// Addr is where the proxy listens (or will).
func (l Local) Addr(context.Context) (string, error) { return l.Service.Addr(), nil }

// Sessions lists the live client sessions.
func (l Local) Sessions(context.Context) ([]api.SessionView, error) {
	return l.Service.Sessions(), nil
}

// Settings returns the journal settings.
func (l Local) Settings(context.Context) (api.Settings, error) { return l.Service.Settings(), nil }

// Config returns the engine settings in force.
func (l Local) Config(context.Context) (proxy.Config, error) { return l.Service.Config(), nil }

// FirstKey returns the key made on first start with its secret, until it
// is dismissed.
func (l Local) FirstKey(context.Context) (api.KeyView, string, bool, error) {
	k, secret, ok := l.Service.FirstKey()
	return k, secret, ok, nil
}

// DismissFirstKey forgets the first key's secret.
func (l Local) DismissFirstKey(context.Context) error {
	l.Service.DismissFirstKey()
	return nil
}

// RequireKey reports whether client keys are required.
func (l Local) RequireKey(context.Context) (bool, error) { return l.Service.RequireKey(), nil }

// GuardStats counts what the guards refused.
func (l Local) GuardStats(context.Context) (proxy.GuardStats, error) {
	return l.Service.GuardStats(), nil
}

// ObservedAccounts lists the credentials seen in passthrough mode.
func (l Local) ObservedAccounts(context.Context) ([]api.AccountView, error) {
	return l.Service.ObservedAccounts(), nil
}

// ProxySettings returns the proxy settings in force.
func (l Local) ProxySettings(context.Context) (api.ProxySettings, error) {
	return l.Service.ProxySettings(), nil
}

// Subscribe streams the engine's events; in process it cannot fail.
func (l Local) Subscribe() (<-chan api.Event, func(), error) {
	ch, stop := l.Service.Subscribe()
	return ch, stop, nil
}

// Values returns every setting the engine keeps.
func (l Local) Values(context.Context) (api.Values, error) { return l.Service.Values(), nil }
