package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// Desktop is what the tray app brings to Desktop; main fills it from the
// app package, which cli does not import (it links Fyne).
type Desktop struct {
	// CheckDisplay reports why no window can be shown, nil if one can.
	CheckDisplay func() error
	// ShowError shows a startup failure in a window.
	ShowError func(error)
	// Background is a start in the background (`sluice --background`, the
	// entry that starts Sluice at login): where a tray app runs already it
	// is left as it is, with no window, rather than asked to show one.
	Background bool
	// Run shows the app for the engine of dataDir until the user quits.
	// It runs on the main goroutine.
	Run func(svc *proxy.Service, dataDir string) error
}

// RunDesktop starts the tray app unless another process owns the data dir:
// a running tray app is asked to show its window instead (exit 0; a
// Background start asks nothing: it was not the user asking for a window);
// a headless `sluice serve` is named with its PID (exit 1). The owner
// serves the control API beside the app, so the command line drives the
// very engine the window shows.
func RunDesktop(ctx context.Context, io IO, version string, d Desktop) int {
	fail := func(err error, code int) int {
		fmt.Fprintln(io.Err, "sluice:", err)
		if d.CheckDisplay() == nil {
			d.ShowError(err)
		}
		return code
	}
	set, err := LoadSettings(io.Env, version)
	if err != nil {
		return fail(err, ExitUsage)
	}
	lk, err := acquireOwner(ctx, set.DataDir, control.KindTray)
	var owned *control.OwnedError
	if errors.As(err, &owned) {
		if owned.Kind == control.KindTray {
			if d.Background {
				return ExitOK
			}
			if err := showRunning(ctx, set.DataDir); err != nil {
				return fail(fmt.Errorf("the running Sluice (PID %d) did not answer: %w", owned.PID, err), ExitFailure)
			}
			return ExitOK
		}
		return fail(errors.New(ownedMessage(owned, set.DataDir)), ExitFailure)
	}
	if err != nil {
		return fail(err, ExitFailure)
	}
	defer lk.Release()
	if err := d.CheckDisplay(); err != nil {
		fmt.Fprintln(io.Err, "sluice:", err)
		return ExitFailure
	}
	log := set.Logger(io.Err)
	eng, err := Open(ctx, set, log)
	if err != nil {
		return fail(err, ExitFailure)
	}
	srv, err := control.Serve(lk, eng.Service, log)
	if err != nil {
		_ = eng.Close(ctx)
		return fail(err, ExitFailure)
	}
	runErr := d.Run(eng.Service, set.DataDir)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eng.Service.Config().ShutdownTimeout+5*time.Second)
	defer cancel()
	if err := errors.Join(srv.Close(closeCtx), eng.Close(closeCtx)); err != nil {
		fmt.Fprintln(io.Err, "sluice:", err)
	}
	if runErr != nil {
		fmt.Fprintln(io.Err, "sluice:", runErr)
		return ExitFailure
	}
	return ExitOK
}

// acquireOwner takes the data dir for an owner (tray or serve), waiting
// out a command that holds it for a moment (kind cli) and an owner that
// has not recorded itself yet.
func acquireOwner(ctx context.Context, dir string, kind control.Kind) (*control.Lock, error) {
	deadline := time.Now().Add(ownerWait)
	for {
		lk, err := control.Acquire(dir, kind)
		var owned *control.OwnedError
		if !errors.As(err, &owned) || (owned.Kind != control.KindCLI && owned.Kind != "") || time.Now().After(deadline) {
			return lk, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// showRunning asks the running tray app to show its window, waiting for
// its socket if it is still starting.
func showRunning(ctx context.Context, dir string) error {
	deadline := time.Now().Add(ownerWait)
	for {
		c, err := control.Dial(dir)
		if err == nil {
			defer c.Close()
			return c.ShowWindow(ctx)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
