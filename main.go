// Command sluice pools a person's Claude accounts behind one local endpoint.
// With no arguments it starts the tray app; `sluice serve` runs headless.
//
// This program links no Fyne and no GL: it is the process that runs all
// day (engine and tray) and every CLI command. The window is a program of
// its own, sluice-window (cmd/sluice-window), which the tray's "Open
// Sluice" and `sluice window` start.
package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/pkg/browser"
	"golang.org/x/term"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/control"
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
	if len(os.Args) < 2 || (len(os.Args) == 2 && os.Args[1] == owner.BackgroundFlag) {
		// No signal handling here: SIGTERM ends the tray app as it always
		// did (the OS releases the data dir's lock). --background (the
		// autostart entry) starts the tray only, with no window.
		hidden := len(os.Args) == 2
		os.Exit(cli.RunDesktop(context.Background(), stdio, version, cli.Desktop{
			CheckDisplay: owner.CheckDisplay,
			ShowError:    showStartupError,
			Background:   hidden,
			Run: func(svc *proxy.Service, dataDir string) error {
				return owner.Run(control.NewLocal(svc), owner.Options{StartProxy: true, Hidden: hidden, WindowCommand: cli.WindowCommand,
					WindowOpen: func() bool { return cli.WindowOpen(dataDir) }})
			},
		}))
	}
	if os.Args[1] == "window" {
		// The window is a program of its own: the tray's process never
		// loads Fyne's GL loop. This hands over to it.
		os.Exit(cli.LaunchWindow(stdio, os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], stdio, version)
	stop()
	os.Exit(code)
}

// showStartupError shows why Sluice could not start (most often a locked
// or missing keyring) in a window of the window program, since a desktop
// user launched from a menu never sees stderr; without that program, in a
// desktop notification.
func showStartupError(err error) {
	if runErr := cli.WindowCommand(cli.StartupErrorFlag, err.Error()).Run(); runErr != nil {
		var exit *exec.ExitError
		if !errors.As(runErr, &exit) {
			owner.Notify("Sluice could not start", err.Error())
		}
	}
}
