// Command sluice pools a person's Claude accounts behind one local endpoint.
// With no arguments it starts the tray app; `sluice serve` runs headless.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pkg/browser"
	"golang.org/x/term"

	"github.com/sluice-proxy/sluice/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
		os.Exit(runDesktop(ctx, stdio))
	}
	os.Exit(cli.Run(ctx, os.Args[1:], stdio, version))
}
