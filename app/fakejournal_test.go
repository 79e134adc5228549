package app

import (
	"context"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
)

// The fake engine's journal and client keys: an empty journal, default
// settings it keeps, and keys it lists. The real-engine tests cover what
// these tabs show of a real journal.

func (f *fakeEngine) Logs(_ context.Context, q proxy.LogFilter) (proxy.LogPage, error) {
	f.mu.Lock()
	logs := f.logs
	f.mu.Unlock()
	if logs == nil {
		return proxy.LogPage{}, nil
	}
	return logs(q), nil
}

func (f *fakeEngine) Request(_ context.Context, id string) (proxy.RequestDetail, error) {
	return proxy.RequestDetail{}, proxy.ErrNoSuchRequest
}

func (f *fakeEngine) Usage(context.Context, proxy.UsageQuery) (proxy.UsageReport, error) {
	return proxy.UsageReport{}, nil
}

func (f *fakeEngine) Settings() proxy.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeEngine) UpdateSettings(_ context.Context, st proxy.Settings) (proxy.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = st
	return st, nil
}

func (f *fakeEngine) Cleanup(context.Context, proxy.CleanupOptions) (proxy.CleanupResult, error) {
	return proxy.CleanupResult{}, nil
}

func (f *fakeEngine) Config() proxy.Config {
	return proxy.Config{Port: 8788, Strategy: "session"}
}

func (f *fakeEngine) Keys(context.Context) ([]proxy.KeyView, error) { return nil, nil }

func (f *fakeEngine) CreateKey(_ context.Context, o proxy.KeyOptions) (proxy.KeyView, string, error) {
	return proxy.KeyView{Name: o.Name, Hint: "sk-sluice-fake…"}, "sk-sluice-fake-secret", nil
}

func (f *fakeEngine) RevokeKey(context.Context, string) error { return nil }

func (f *fakeEngine) FirstKey() (proxy.KeyView, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstKey == "" {
		return proxy.KeyView{}, "", false
	}
	return proxy.KeyView{Name: "default", Hint: f.firstKey[:14] + "…"}, f.firstKey, true
}

func (f *fakeEngine) DismissFirstKey() {
	f.mu.Lock()
	f.firstKey = ""
	f.mu.Unlock()
}

// ConnectionKey hands out the first key, as the engine does, or mints one.
func (f *fakeEngine) ConnectionKey(context.Context) (proxy.KeyView, string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	minted := false
	if f.connKey == "" {
		f.connKey, minted = f.firstKey, f.firstKey == ""
		if minted {
			f.connKey = "sk-sluice-fake-connection"
		}
	}
	return proxy.KeyView{Name: "connection", Hint: f.connKey[:14] + "…"}, f.connKey, minted, nil
}

func (f *fakeEngine) RequireKey() bool { return true }

func (f *fakeEngine) SetRequireKey(context.Context, bool) error { return nil }

func (f *fakeEngine) ClearLimit(_ context.Context, name string) error {
	return f.edit(name, func(a *proxy.AccountView) { a.State, a.LimitedUntil = "ok", time.Time{} })
}
