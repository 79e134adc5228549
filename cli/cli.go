package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
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

// errUsage marks errors that should be followed by the usage text.
var errUsage = errors.New("usage")

const usage = `Sluice pools your Claude accounts behind one local endpoint.

Usage:
  sluice                      start the tray app (the proxy starts with it)
  sluice serve [flags]        run the proxy headless until interrupted
  sluice accounts add-key NAME        add a Console API key (read from stdin)
  sluice accounts login NAME [--mode max|console] [--no-browser] [--paste] [--reauth]
  sluice accounts list [--json]
  sluice accounts remove NAME
  sluice accounts pause|resume NAME
  sluice accounts priority NAME N
  sluice accounts rename OLD NEW
  sluice import-ccflare PATH          import accounts from a better-ccflare database
  sluice version

Point a client at it:
  ANTHROPIC_BASE_URL=http://127.0.0.1:8788 claude

Settings come from SLUICE_* environment variables (see README) and flags.
`

// Run executes one command and returns the process exit code.
func Run(ctx context.Context, args []string, io IO, version string) int {
	if len(args) == 0 {
		fmt.Fprint(io.Err, usage)
		return 2
	}
	set, err := LoadSettings(io.Env, version)
	if err != nil {
		fmt.Fprintf(io.Err, "sluice: %v\n", err)
		return 2
	}
	var cmdErr error
	switch args[0] {
	case "serve":
		cmdErr = serve(ctx, args[1:], set, io)
	case "accounts":
		cmdErr = accounts(ctx, args[1:], set, io)
	case "import-ccflare":
		cmdErr = importCCFlare(ctx, args[1:], set, io)
	case "version", "--version":
		fmt.Fprintln(io.Out, "sluice", version)
	case "help", "-h", "--help":
		fmt.Fprint(io.Out, usage)
	default:
		cmdErr = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	switch {
	case cmdErr == nil:
		return 0
	case errors.Is(cmdErr, flag.ErrHelp):
		return 0
	case errors.Is(cmdErr, errUsage):
		fmt.Fprintf(io.Err, "sluice: %v\n\n%s", cmdErr, usage)
		return 2
	default:
		fmt.Fprintf(io.Err, "sluice: %v\n", cmdErr)
		return 1
	}
}

func newFlags(name string, io IO) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	return fs
}

// serve runs the proxy until ctx ends (SIGINT/SIGTERM in main), then shuts
// down gracefully: in-flight streams finish or time out, the request log
// and pool state are flushed.
func serve(ctx context.Context, args []string, set Settings, io IO) error {
	fs := newFlags("serve", io)
	set.serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments", errUsage)
	}
	log := set.Logger(io.Err)
	eng, err := Open(ctx, set, log)
	if err != nil {
		return err
	}
	if err := eng.Service.StartProxy(ctx); err != nil {
		_ = eng.Close(context.Background())
		return err
	}
	h := eng.Service.Health()
	fmt.Fprintf(io.Err, "Sluice %s listening on http://%s with %d usable account(s).\n", set.Proxy.Version, eng.Service.Addr(), h.UsableAccounts)
	if h.UsableAccounts == 0 {
		fmt.Fprintln(io.Err, "No usable account yet: add one with `sluice accounts add-key NAME` (key on stdin).")
	}
	<-ctx.Done()
	fmt.Fprintln(io.Err, "Shutting down: waiting for requests in flight...")
	stop, cancel := context.WithTimeout(context.Background(), eng.Service.Config().ShutdownTimeout+5*time.Second)
	defer cancel()
	return eng.Close(stop)
}
