package cli

import (
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/control"
)

// windowHelp is `sluice window --help`: the command lives outside the
// cobra tree (main runs it before cli.Run, so the window process never
// parses the other commands' flags), yet has --help like every command.
const windowHelp = `Open Sluice's window onto the running tray app or 'sluice serve' (the
tray's "Open Sluice" starts it). Closing the window ends this process; the
proxy keeps running. The data dir comes from SLUICE_DATA_DIR.

Usage:
  sluice window [--copy-settings]

Flags:
      --copy-settings   copy the connection settings to the clipboard once the window is up
  -h, --help            help for window
`

// RunWindow runs `sluice window [--copy-settings]`: the desktop window as
// a client of the engine that owns the data dir (the tray app's owner
// process starts it; it works beside `sluice serve` too). run shows the
// window until it is closed; main fills it from the app package, which
// cli does not import.
func RunWindow(io IO, version string, args []string, run func(c *control.Client, copySettings bool) error) int {
	copySettings := false
	for _, a := range args {
		switch a {
		case "--copy-settings":
			copySettings = true
		case "-h", "--help":
			fmt.Fprint(io.Out, windowHelp)
			return ExitOK
		default:
			fmt.Fprintf(io.Err, "sluice window: unknown argument %q\n", a)
			return ExitUsage
		}
	}
	set, err := LoadSettings(io.Env, version)
	if err != nil {
		fmt.Fprintln(io.Err, "sluice:", err)
		return ExitUsage
	}
	c, err := control.Dial(set.DataDir)
	if err != nil {
		fmt.Fprintf(io.Err, "sluice: Sluice is not running for %s (start it with `sluice`): %v\n", set.DataDir, err)
		return ExitFailure
	}
	defer c.Close()
	if err := run(c, copySettings); err != nil {
		fmt.Fprintln(io.Err, "sluice:", err)
		return ExitFailure
	}
	return ExitOK
}
