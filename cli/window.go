package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/pflag"

	"github.com/sluice-proxy/sluice/proxy/control"
)

// windowHelp is `sluice window --help`: the command lives outside the
// cobra tree (main runs it before cli.Run, so the window process never
// parses the other commands' flags), yet has --help like every command.
const windowHelp = `Open Sluice's window onto the running tray app or 'sluice serve' (the
tray's "Open Sluice" starts it). Closing the window ends this process; the
proxy keeps running. There is one window at most: when it is open already,
this brings it to the front and exits.

Usage:
  sluice window [--tab NAME] [--copy-settings] [--data-dir DIR]

Flags:
      --copy-settings   copy the connection settings to the clipboard once the window is up
                        (by the open window, when one is open already)
      --data-dir DIR    the data dir of the Sluice to open (SLUICE_DATA_DIR)
      --tab NAME        open on this tab: accounts, logs, usage or settings (default accounts)
  -h, --help            help for window
`

// WindowTabs are the window's tabs, as `sluice window --tab` names them,
// in the order the window shows them.
var WindowTabs = []string{"accounts", "logs", "usage", "settings"}

// WindowFlags are what `sluice window` was asked to do besides showing
// the window, and what the window tells as it goes.
type WindowFlags struct {
	// CopySettings copies the connection settings once the window is up.
	CopySettings bool
	// Tab is the tab to open on, one of WindowTabs ("" for the first).
	Tab string
	// Going, called by the window as it starts to quit, lets go of the
	// window lock: the process may take a while yet to end, and a window
	// asked for meanwhile ("Open Sluice", `sluice window`) must open anew
	// rather than ask this one, which no longer comes forward. Safe to
	// call more than once; RunWindow lets go anyway when run returns.
	Going func()
}

// RunWindow runs `sluice window [--tab NAME] [--copy-settings]`: the
// desktop window as a client of the engine that owns the data dir (the
// tray app's owner process starts it; it works beside `sluice serve` too).
// run shows the window until it is closed; main fills it from the app
// package, which cli does not import.
func RunWindow(io IO, version string, args []string, run func(c *control.Client, flags WindowFlags) error) int {
	set, setErr := LoadSettings(io.Env, version)
	flags, done, code := parseWindowArgs(io, args, &set.DataDir)
	if done {
		return code
	}
	if setErr != nil {
		fmt.Fprintln(io.Err, "sluice:", setErr)
		return ExitUsage
	}
	c, err := control.Dial(set.DataDir)
	if err != nil {
		fmt.Fprintf(io.Err, "sluice: Sluice is not running for %s (start it with `sluice`): %v\n", set.DataDir, err)
		return ExitFailure
	}
	defer c.Close()
	// One window per data dir, from any path (a second `sluice window`,
	// the tray's "Open Sluice" beside one started by hand): the window
	// holds a lock in the data dir, and a second one asks it through the
	// engine (show-window, as a second `sluice` does) to come forward.
	lock := flock.New(filepath.Join(set.DataDir, windowLockFile), flock.SetPermissions(0o600))
	held, err := takeWindowLock(lock.TryLock, windowLockTries, windowLockGap)
	if err != nil {
		fmt.Fprintf(io.Err, "sluice: lock the window: %v\n", err)
		return ExitFailure
	}
	if !held {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := c.ShowWindow(ctx); err != nil {
			fmt.Fprintf(io.Err, "sluice: Sluice's window is already open, and it could not be brought forward: %v\n", err)
			return ExitFailure
		}
		if flags.CopySettings {
			// The open window copies, as this one would have at start.
			if err := c.CopySettingsInWindow(ctx); err != nil {
				fmt.Fprintf(io.Err, "sluice: Sluice's window is already open, and it could not copy the connection settings: %v\n", err)
				return ExitFailure
			}
			fmt.Fprintln(io.Out, "Sluice's window is already open: brought it to the front; it copied the connection settings.")
			return ExitOK
		}
		fmt.Fprintln(io.Out, "Sluice's window is already open: brought it to the front.")
		return ExitOK
	}
	var release sync.Once
	flags.Going = func() { release.Do(func() { _ = lock.Unlock() }) }
	defer flags.Going()
	if err := run(c, flags); err != nil {
		fmt.Fprintln(io.Err, "sluice:", err)
		return ExitFailure
	}
	return ExitOK
}

// parseWindowArgs reads `sluice window`'s arguments, the data dir's flag
// into dataDir. done says the command is over (help printed, or a usage
// error told) with exit code.
func parseWindowArgs(io IO, args []string, dataDir *string) (flags WindowFlags, done bool, code int) {
	fs := pflag.NewFlagSet("sluice window", pflag.ContinueOnError)
	fs.SetOutput(discard{})
	var help bool
	fs.BoolVar(&flags.CopySettings, "copy-settings", false, "")
	fs.StringVar(&flags.Tab, "tab", "", "")
	fs.BoolVarP(&help, "help", "h", false, "")
	fs.StringVar(dataDir, "data-dir", *dataDir, "")
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unknown argument %q", fs.Arg(0))
	}
	flags.Tab = strings.ToLower(flags.Tab)
	if err == nil && flags.Tab != "" && !slices.Contains(WindowTabs, flags.Tab) {
		err = fmt.Errorf("--tab %q: must be one of %s", flags.Tab, strings.Join(WindowTabs, ", "))
	}
	if err != nil {
		fmt.Fprintf(io.Err, "sluice window: %v\nRun 'sluice window --help' for usage.\n", err)
		return flags, true, ExitUsage
	}
	if help {
		fmt.Fprint(io.Out, windowHelp)
		return flags, true, ExitOK
	}
	return flags, false, 0
}

// WindowOpen reports whether a window holds the window lock of dataDir
// (`sluice window`, started by hand or by the tray): the owner asks it
// before it starts one, so that a window opened by hand is brought
// forward rather than met by a second process.
func WindowOpen(dataDir string) bool {
	lock := flock.New(filepath.Join(dataDir, windowLockFile), flock.SetPermissions(0o600))
	held, err := lock.TryLock()
	if err != nil {
		return false // no data dir to lock: no window either
	}
	if held {
		_ = lock.Unlock()
	}
	return !held
}

// The owner tests whether a window is open (WindowOpen) by taking the
// lock for an instant, every 20 ms while a window it started comes up: a
// window starting then must not mistake that instant for another window.
// A window really open refuses every try; the owner's test holds the
// lock for microseconds, so it can refuse one try at most.
const (
	windowLockTries = 5
	windowLockGap   = 10 * time.Millisecond
)

// takeWindowLock tries the window lock up to tries times, gap apart, and
// reports whether it was taken.
func takeWindowLock(try func() (bool, error), tries int, gap time.Duration) (bool, error) {
	for i := range tries {
		if i > 0 {
			time.Sleep(gap)
		}
		if held, err := try(); err != nil || held {
			return held, err
		}
	}
	return false, nil
}

// windowLockFile is held by the open window in its data dir (the OS drops
// it when the process ends, so a crash leaves nothing to clean up).
const windowLockFile = "window.lock"

// discard swallows pflag's own messages: RunWindow says what went wrong.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
