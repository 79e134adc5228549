package app

import (
	"context"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// The fake engine's journal and client keys: an empty journal, default
// settings it keeps, and keys it lists. The real-engine tests cover what
// these tabs show of a real journal.

func (f *fakeEngine) Logs(_ context.Context, q api.LogFilter) (api.LogPage, error) {
	f.Mu.Lock()
	logs := f.logs
	f.Mu.Unlock()
	if logs == nil {
		return api.LogPage{}, nil
	}
	return logs(q), nil
}

func (f *fakeEngine) Request(_ context.Context, id string) (api.RequestDetail, error) {
	return api.RequestDetail{}, api.ErrNoSuchRequest
}

func (f *fakeEngine) Usage(context.Context, api.UsageQuery) (api.UsageReport, error) {
	return api.UsageReport{}, nil
}

func (f *fakeEngine) Settings(context.Context) (api.Settings, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.settings, nil
}

func (f *fakeEngine) UpdateSettings(_ context.Context, st api.Settings) (api.Settings, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.settings = st
	return st, nil
}

func (f *fakeEngine) Cleanup(context.Context, api.CleanupOptions) (api.CleanupResult, error) {
	return api.CleanupResult{}, nil
}

func (f *fakeEngine) Keys(context.Context) ([]api.KeyView, error) { return nil, nil }

func (f *fakeEngine) CreateKey(_ context.Context, o api.KeyOptions) (api.KeyView, string, error) {
	return api.KeyView{Name: o.Name, Hint: "sk-sluice-fake…"}, "sk-sluice-fake-secret", nil
}

func (f *fakeEngine) RevokeKey(context.Context, string) error { return nil }

func (f *fakeEngine) FirstKey(context.Context) (api.KeyView, string, bool, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.firstKey == "" {
		return api.KeyView{}, "", false, nil
	}
	return api.KeyView{Name: "default", Hint: f.firstKey[:14] + "…"}, f.firstKey, true, nil
}

func (f *fakeEngine) DismissFirstKey(context.Context) error {
	f.Mu.Lock()
	f.firstKey = ""
	f.Mu.Unlock()
	return nil
}

func (f *fakeEngine) RequireKey(context.Context) (bool, error) { return true, nil }

// ConnectionKey hands out the first key, as the engine does, or mints one.
func (f *fakeEngine) ConnectionKey(context.Context) (api.KeyView, string, bool, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	minted := false
	if f.connKey == "" {
		f.connKey, minted = f.firstKey, f.firstKey == ""
		if minted {
			f.connKey = "sk-sluice-fake-connection"
		}
	}
	return api.KeyView{Name: "connection", Hint: f.connKey[:14] + "…"}, f.connKey, minted, nil
}

func (f *fakeEngine) SetRequireKey(context.Context, bool) error { return nil }

func (f *fakeEngine) ClearLimit(_ context.Context, name string) error {
	return f.edit(name, func(a *api.AccountView) { a.State, a.LimitedUntil = "ok", time.Time{} })
}
