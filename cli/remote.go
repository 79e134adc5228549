package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// Engine is what commands need of the engine. Both the running owner's
// control client (*control.Client) and an engine this process opens
// (*proxy.Service) satisfy it, so each command is written once.
type Engine interface {
	Accounts(ctx context.Context) ([]proxy.AccountView, error)
	AddAPIKey(ctx context.Context, name, key string) (proxy.AccountView, error)
	RemoveAccount(ctx context.Context, name string) error
	PauseAccount(ctx context.Context, name string) error
	ResumeAccount(ctx context.Context, name string) error
	SetPriority(ctx context.Context, name string, priority int) error
	RenameAccount(ctx context.Context, oldName, newName string) error
	LoginStart(ctx context.Context, req proxy.LoginStartRequest) (proxy.LoginTicket, error)
	LoginFinish(ctx context.Context, id, code string) (proxy.AccountView, error)
	LoginCancel(id string)
	StartProxy(ctx context.Context) error
	StopProxy(ctx context.Context) error
	Status(ctx context.Context) (proxy.Status, error)
	Sessions() []proxy.SessionView
	ShowOnce(ctx context.Context, key string) (bool, error)
	ImportCCFlare(ctx context.Context, path string) (proxy.ImportReport, error)

	// Limits (issue 10).
	ClearLimit(ctx context.Context, name string) error
	SetHeadroom(ctx context.Context, name, kind string, percent float64) error
	SetPlanGuard(ctx context.Context, name string, on bool) error

	// Client keys (issue 8).
	Keys(ctx context.Context) ([]proxy.KeyView, error)
	CreateKey(ctx context.Context, o proxy.KeyOptions) (proxy.KeyView, string, error)
	UpdateKey(ctx context.Context, name string, o proxy.KeyOptions) (proxy.KeyView, error)
	RevokeKey(ctx context.Context, name string) error
	FirstKey() (proxy.KeyView, string, bool)
	ConnectionKey(ctx context.Context) (key proxy.KeyView, secret string, minted bool, err error)
	RequireKey() bool
	SetRequireKey(ctx context.Context, on bool) error

	// The journal (issue 9).
	Logs(ctx context.Context, f proxy.LogFilter) (proxy.LogPage, error)
	Request(ctx context.Context, id string) (proxy.RequestDetail, error)
	Usage(ctx context.Context, q proxy.UsageQuery) (proxy.UsageReport, error)
	Cleanup(ctx context.Context, o proxy.CleanupOptions) (proxy.CleanupResult, error)
	Audit(ctx context.Context, f proxy.AuditFilter) (proxy.AuditPage, error)
	Doctor(ctx context.Context, compact bool) (proxy.DoctorReport, error)
	Settings() proxy.Settings
	UpdateSettings(ctx context.Context, st proxy.Settings) (proxy.Settings, error)

	// Proxy settings (issue 11): strategy, session window, retries, origins.
	ProxySettings() proxy.ProxySettings
	UpdateProxySettings(ctx context.Context, ps proxy.ProxySettings) error
}

var (
	_ Engine = (*proxy.Service)(nil)
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
			return c, c.Close, nil
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
		e.firstKeyNotice(eng.Service, e.proxyURL(ctx, eng.Service))
		return eng.Service, func() {
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
