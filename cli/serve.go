package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/proxy/control"
)

func (e *env) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the proxy headless until interrupted",
		Long: `Run the proxy headless until interrupted (SIGINT/SIGTERM).

serve owns the data dir like the tray app does: the other commands talk to
it over its control socket. Only one of them runs per data dir.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return e.serve(c.Context()) },
	}
	e.set.serverFlags(cmd.Flags())
	return cmd
}

// ownedMessage says who owns the data dir and what to do about it.
func ownedMessage(o *control.OwnedError, dataDir string) string {
	who := "another Sluice process"
	if o.PID != 0 {
		who = fmt.Sprintf("Sluice (%s, PID %d)", o.Kind, o.PID)
	}
	stop := "quit it"
	if o.PID != 0 {
		stop = fmt.Sprintf("quit it (or `kill %d`)", o.PID)
	}
	return fmt.Sprintf("%s already runs for %s.\nThe sluice commands work against it (try `sluice status`); to run this one instead, %s first.", who, dataDir, stop)
}

// serve runs the proxy and the control socket until ctx ends, then shuts
// down gracefully: in-flight streams finish or time out, the request log
// and pool state are flushed.
func (e *env) serve(ctx context.Context) error {
	lk, err := acquireOwner(ctx, e.set.DataDir, control.KindServe)
	var owned *control.OwnedError
	if errors.As(err, &owned) {
		return errors.New(ownedMessage(owned, e.set.DataDir))
	}
	if err != nil {
		return err
	}
	defer lk.Release()
	log := e.set.Logger(e.io.Err)
	eng, err := Open(ctx, e.set, log)
	if err != nil {
		return err
	}
	stopCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), eng.Service.Config().ShutdownTimeout+5*time.Second)
	}
	if err := eng.Service.StartProxy(ctx); err != nil {
		c, cancel := stopCtx()
		defer cancel()
		_ = eng.Close(c)
		return err
	}
	srv, err := control.Serve(lk, eng.Service, log)
	if err != nil {
		c, cancel := stopCtx()
		defer cancel()
		_ = eng.Close(c)
		return err
	}
	h := eng.Service.Health()
	fmt.Fprintf(e.io.Err, "Sluice %s listening on http://%s with %d usable account(s).\n", e.set.Proxy.Version, eng.Service.Addr(), h.UsableAccounts)
	fmt.Fprintf(e.io.Err, "The sluice commands drive it through %s.\n", control.SocketPath(e.set.DataDir))
	if h.UsableAccounts == 0 {
		fmt.Fprintln(e.io.Err, "No usable account yet: add one with `sluice accounts add-key NAME` (key on stdin).")
	}
	e.announceKeys(ctx, control.NewLocal(eng.Service), "http://"+eng.Service.Addr())
	<-ctx.Done()
	fmt.Fprintln(e.io.Err, "Shutting down: waiting for requests in flight...")
	c, cancel := stopCtx()
	defer cancel()
	return errors.Join(srv.Close(c), eng.Close(c))
}

// announceKeys says whether client keys are required and, the first time
// an engine starts on this data dir, prints the key it created: it exists
// only in this process's memory and is never shown again.
func (e *env) announceKeys(ctx context.Context, eng Engine, url string) {
	e.firstKeyNotice(ctx, eng, url)
	required, err := eng.RequireKey(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(e.io.Err, "Could not read whether client keys are required: %v\n", err)
	case required:
		fmt.Fprintln(e.io.Err, "Client keys are required: send one as x-api-key or Authorization: Bearer (`sluice keys create NAME` makes one).")
	default:
		fmt.Fprintln(e.io.Err, "Warning: client keys are NOT required; any program on this machine can spend your accounts. Turn them on with `sluice keys require on`.")
	}
}

// firstKeyNotice prints the first client key if this process's engine
// just created it. The window, if one attaches later, may show it too
// until dismissed; a command's own engine forgets it when it exits.
func (e *env) firstKeyNotice(ctx context.Context, eng Engine, url string) {
	_, secret, ok, err := eng.FirstKey(ctx)
	if err != nil || !ok {
		return
	}
	fmt.Fprintf(e.io.Err, "\nSluice created your first client key. Copy it now: it is not shown again.\n\n  %s\n\n", secret)
	printKeyUse(e.io.Err, url, secret)
	fmt.Fprintln(e.io.Err, "Make more (one per program) with `sluice keys create NAME`; list them with `sluice keys list`.")
}
