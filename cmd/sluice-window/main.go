// Command sluice-window is Sluice's window: the Fyne app, a client of the
// engine that the tray app or `sluice serve` runs. It is a program of its
// own so that the process that runs all day links no Fyne and no GL (see
// docs/BENCHMARKS.md); the tray's "Open Sluice" and `sluice window` start
// it, and closing the window ends it. It takes `sluice window`'s
// arguments.
package main

import (
	"errors"
	"os"

	"github.com/pkg/browser"

	"github.com/sluice-proxy/sluice/app"
	"github.com/sluice-proxy/sluice/app/locale" // its init runs before Fyne's: no locale noise under C.UTF-8
	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	locale.Restore()
	if len(os.Args) == 3 && os.Args[1] == cli.StartupErrorFlag {
		// The tray app failed to start and asks for the error's window.
		app.ShowStartupError(errors.New(os.Args[2]))
		return
	}
	stdio := cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.Getenv, OpenBrowser: browser.OpenURL}
	os.Exit(cli.RunWindow(stdio, version, os.Args[1:], func(c *control.Client, f cli.WindowFlags) error {
		return app.RunWindow(c, app.WindowOptions{OpenBrowser: browser.OpenURL, CopySettings: f.CopySettings, Tab: f.Tab, Going: f.Going})
	}))
}
