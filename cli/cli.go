// Package cli is Sluice's command line. Commands that read or change state
// are clients of the engine: of the running app's or `sluice serve`'s over
// the control socket when one runs, else of an engine this process opens
// for the command's duration. The effect is the same either way.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// IO is a command's standard streams and environment.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	Env Env
	// IsTerminal reports whether In is an interactive terminal (prompts are
	// shown and typing is hidden only then).
	IsTerminal func() bool
	// ReadSecret reads one line from the terminal without echo.
	ReadSecret func() (string, error)
	// OpenBrowser opens a URL in the user's browser (pkg/browser in main).
	OpenBrowser func(string) error
}

// Exit codes.
const (
	ExitOK      = 0 // success, or --help
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // bad command line or settings
)

// usageError marks a bad command line: exit 2 and a pointer to --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// env is what every command gets: its streams, the settings (environment
// overridden by flags) and the version.
type env struct {
	io      IO
	set     Settings
	setErr  error // a bad SLUICE_* variable, reported when a command runs
	version string
}

// Run executes one command and returns the process exit code.
func Run(ctx context.Context, args []string, io IO, version string) int {
	e := &env{io: io, version: version}
	e.set, e.setErr = LoadSettings(io.Env, version)
	root := e.root()
	root.SetArgs(args)
	if len(args) == 0 {
		_ = root.Usage()
		return ExitUsage
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errSilent) {
		return ExitFailure
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		cmd, _, ferr := root.Find(args)
		if ferr != nil || cmd == nil {
			cmd = root
		}
		fmt.Fprintf(io.Err, "sluice: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
		return ExitUsage
	}
	fmt.Fprintf(io.Err, "sluice: %v\n", err)
	return ExitFailure
}

// errSilent ends a command with exit 1 after it has said why itself.
var errSilent = errors.New("failed")

// isCobraUsage recognises the command-line errors cobra itself returns.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "bad flag syntax"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// root builds the command tree.
func (e *env) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "sluice",
		Short: "Pool your Claude accounts behind one local endpoint",
		Long: `Sluice pools your Claude accounts behind one local endpoint.

With no command, sluice starts the tray app (the proxy starts with it);
'sluice window' opens the window onto a running app or 'sluice serve'.
The commands below talk to the running app, or to 'sluice serve', when one
runs; otherwise they open Sluice's data themselves.

Point a client at it with a client key (the first one is printed when
Sluice first starts; 'sluice keys create NAME' makes more):
  ANTHROPIC_BASE_URL=http://127.0.0.1:8788 ANTHROPIC_AUTH_TOKEN=sk-sluice-... claude

Settings come from SLUICE_* environment variables (see README) and flags.
Exit codes: 0 ok, 1 failure, 2 usage.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       e.version,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if e.setErr != nil {
				return usageError{e.setErr}
			}
			return nil
		},
	}
	root.SetVersionTemplate("sluice {{.Version}}\n")
	root.SetIn(e.io.In)
	root.SetOut(e.io.Out)
	root.SetErr(e.io.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	e.set.commonFlags(root.PersistentFlags())
	root.AddCommand(
		e.serveCmd(),
		e.accountsCmd(),
		e.importCmd(),
		e.statusCmd(),
		e.proxyCmd(),
		e.sessionsCmd(),
		e.statuslineCmd(),
		e.keysCmd(),
		e.envCmd(),
		e.setupCmd(),
		e.logsCmd(),
		e.usageCmd(),
		e.pricesCmd(),
		e.auditCmd(),
		e.doctorCmd(),
		e.settingsCmd(),
		&cobra.Command{
			Use:   "version",
			Short: "Print Sluice's version",
			Args:  noArgs,
			// Settings play no part: the version prints even with a bad
			// SLUICE_* variable.
			PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
			Run: func(c *cobra.Command, _ []string) {
				fmt.Fprintln(c.OutOrStdout(), "sluice", e.version)
			},
		},
	)
	return root
}

// Argument checks that report usage errors (exit 2).
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments", c.CommandPath())
	}
	return nil
}

func exactArgs(names ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s takes %d argument(s): %s", c.CommandPath(), len(names), strings.Join(names, " "))
		}
		return nil
	}
}

// group is the Run of a command that only holds subcommands.
func group(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef("%s needs a subcommand", c.CommandPath())
	}
	return usagef("unknown command %q for %q", args[0], c.CommandPath())
}
