// Command sluice pools a person's Claude accounts behind one local endpoint.
// With no arguments it starts the tray app; `sluice serve` runs headless.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pkg/browser"
	"golang.org/x/term"

	"github.com/sluice-proxy/sluice/app"
	"github.com/sluice-proxy/sluice/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	stdio := cli.IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.Getenv,
		IsTerminal: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		ReadSecret: func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		},
		OpenBrowser: browser.OpenURL,
	}
	if len(os.Args) < 2 {
		os.Exit(desktop(stdio))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Run(ctx, os.Args[1:], stdio, version))
}

// desktop runs the tray app with the proxy on until the user quits.
func desktop(stdio cli.IO) int {
	if err := app.CheckDisplay(); err != nil {
		fmt.Fprintln(stdio.Err, "sluice:", err)
		return 1
	}
	set, err := cli.LoadSettings(stdio.Env, version)
	if err != nil {
		fmt.Fprintln(stdio.Err, "sluice:", err)
		app.ShowStartupError(err)
		return 2
	}
	ctx := context.Background()
	eng, err := cli.Open(ctx, set, set.Logger(stdio.Err))
	if err != nil {
		fmt.Fprintln(stdio.Err, "sluice:", err)
		app.ShowStartupError(err)
		return 1
	}
	runErr := app.Run(eng.Service, app.Options{StartProxy: true, OpenBrowser: browser.OpenURL})
	closeCtx, cancel := context.WithTimeout(ctx, eng.Service.Config().ShutdownTimeout+5*time.Second)
	defer cancel()
	if err := eng.Close(closeCtx); err != nil {
		fmt.Fprintln(stdio.Err, "sluice:", err)
	}
	if runErr != nil {
		fmt.Fprintln(stdio.Err, "sluice:", runErr)
		return 1
	}
	return 0
}
