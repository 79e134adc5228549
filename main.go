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

	"github.com/sluice-proxy/sluice/app"
	"github.com/sluice-proxy/sluice/app/locale" // its init runs before Fyne's: no locale noise under C.UTF-8
	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	locale.Restore()
	stdio := cli.IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.Getenv,
		IsTerminal: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		ReadSecret: func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		},
		OpenBrowser: browser.OpenURL,
	}
	if len(os.Args) < 2 || (len(os.Args) == 2 && os.Args[1] == app.BackgroundFlag) {
		// No signal handling here: SIGTERM ends the tray app as it always
		// did (the OS releases the data dir's lock). --background (the
		// autostart entry) starts the tray only, with no window.
		hidden := len(os.Args) == 2
		os.Exit(cli.RunDesktop(context.Background(), stdio, version, cli.Desktop{
			CheckDisplay: app.CheckDisplay,
			ShowError:    app.ShowStartupError,
			Background:   hidden,
			Run: func(svc *proxy.Service, dataDir string) error {
				return app.RunOwner(control.NewLocal(svc), app.OwnerOptions{Options: app.Options{StartProxy: true, OpenBrowser: browser.OpenURL, Hidden: hidden},
					WindowOpen: func() bool { return cli.WindowOpen(dataDir) }})
			},
		}))
	}
	if os.Args[1] == "window" {
		// The window as its own process, a client of the owner's engine:
		// the owner's tray then never loads Fyne's GL loop.
		os.Exit(cli.RunWindow(stdio, version, os.Args[2:], func(c *control.Client, f cli.WindowFlags) error {
			return app.RunWindow(c, app.WindowOptions{OpenBrowser: browser.OpenURL, CopySettings: f.CopySettings, Tab: f.Tab})
		}))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], stdio, version)
	stop()
	os.Exit(code)
}
