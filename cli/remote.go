package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// Engine is what commands need of the engine. Both the running owner's
// control client (*control.Client) and an engine this process opens
// (control.Local) satisfy it, so each command is written once; every
// call can fail and says so.
type Engine interface {
	Accounts(ctx context.Context) ([]api.AccountView, error)
	AddAPIKey(ctx context.Context, name, key string) (api.AccountView, error)
	AddUpstream(ctx context.Context, u api.UpstreamAccount, key string) (api.UpstreamAdded, error)
	RemoveAccount(ctx context.Context, name string) error
	PauseAccount(ctx context.Context, name string) error
	ResumeAccount(ctx context.Context, name string) error
	SetPriority(ctx context.Context, name string, priority int) error
	RenameAccount(ctx context.Context, oldName, newName string) error
	LoginStart(ctx context.Context, req api.LoginStartRequest) (api.LoginTicket, error)
	LoginFinish(ctx context.Context, id, code string) (api.AccountView, error)
	LoginCancel(ctx context.Context, id string) error
	StartProxy(ctx context.Context) error
	StopProxy(ctx context.Context) error
	Status(ctx context.Context) (api.Status, error)
	Sessions(ctx context.Context) ([]api.SessionView, error)
	ShowOnce(ctx context.Context, key string) (bool, error)
	ImportCCFlare(ctx context.Context, path string) (proxy.ImportReport, error)

	// Limits (issue 10).
	ClearLimit(ctx context.Context, name string) error
	SetHeadroom(ctx context.Context, name, kind string, percent float64) error
	SetPlanGuard(ctx context.Context, name string, on bool) error

	// Client keys (issue 8).
	Keys(ctx context.Context) ([]api.KeyView, error)
	CreateKey(ctx context.Context, o api.KeyOptions) (api.KeyView, string, error)
	UpdateKey(ctx context.Context, name string, o api.KeyOptions) (api.KeyView, error)
	RevokeKey(ctx context.Context, name string) error
	FirstKey(ctx context.Context) (api.KeyView, string, bool, error)
	RequireKey(ctx context.Context) (bool, error)
	ConnectionKey(ctx context.Context) (key api.KeyView, secret string, minted bool, err error)
	SetRequireKey(ctx context.Context, on bool) error

	// The journal (issue 9).
	Logs(ctx context.Context, f api.LogFilter) (api.LogPage, error)
	Request(ctx context.Context, id string) (api.RequestDetail, error)
	Usage(ctx context.Context, q api.UsageQuery) (api.UsageReport, error)
	Cleanup(ctx context.Context, o api.CleanupOptions) (api.CleanupResult, error)
	Audit(ctx context.Context, f api.AuditFilter) (api.AuditPage, error)
	Doctor(ctx context.Context, compact bool) (proxy.DoctorReport, error)
	Settings(ctx context.Context) (api.Settings, error)
	UpdateSettings(ctx context.Context, st api.Settings) (api.Settings, error)

	// Proxy settings (issue 11): strategy, session window, retries, origins.
	ProxySettings(ctx context.Context) (api.ProxySettings, error)
	UpdateProxySettings(ctx context.Context, ps api.ProxySettings) error

	// The settings registry (issue 15): every setting, set by key.
	Values(ctx context.Context) (api.Values, error)
	SetSetting(ctx context.Context, key, value string) (api.Values, error)
}

var (
	_ Engine = control.Local{}
	_ Engine = (*control.Client)(nil)
)

// ownerWait bounds how long a command waits for the data dir while another
// command holds it, or while a starting owner has not opened its socket.
const ownerWait = 10 * time.Second

// engine returns the engine to run a command against and a function that
// lets it go: the running owner's, else one this process opens under the
// data dir's lock, so two engines never share the database.
func (e *env) engine(ctx context.Context) (Engine, func(), error) {
	deadline := time.Now().Add(ownerWait)
	for {
		c, err := control.Dial(e.set.DataDir)
		if err == nil {
			return c, func() { _ = c.Close() }, nil
		}
		if !errors.Is(err, control.ErrNotRunning) {
			return nil, nil, err
		}
		lk, err := control.Acquire(e.set.DataDir, control.KindCLI)
		var owned *control.OwnedError
		if errors.As(err, &owned) && time.Now().Before(deadline) {
			// Another command holds the dir for a moment, or an owner is
			// starting and its socket is not up yet.
			select {
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		eng, err := Open(ctx, e.set, e.set.Logger(e.io.Err))
		if err != nil {
			_ = lk.Release()
			return nil, nil, err
		}
		local := control.NewLocal(eng.Service)
		e.firstKeyNotice(ctx, local, e.proxyURL(ctx, local))
		return local, func() {
			_ = eng.Close(context.WithoutCancel(ctx))
			_ = lk.Release()
		}, nil
	}
}

// owner returns the running owner's client, for commands that only make
// sense against a running engine (proxy on/off).
func (e *env) owner() (*control.Client, error) {
	c, err := control.Dial(e.set.DataDir)
	if errors.Is(err, control.ErrNotRunning) {
		return nil, fmt.Errorf("no Sluice is running for %s: start the app (`sluice`) or `sluice serve`, then try again", e.set.DataDir)
	}
	return c, err
}
