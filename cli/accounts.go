package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/cli/statusline"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// withEngine adapts a command body that needs the engine to a cobra RunE.
func (e *env) withEngine(run func(ctx context.Context, eng Engine, args []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		eng, done, err := e.engine(c.Context())
		if err != nil {
			return err
		}
		defer done()
		// Every command naming an account says where the names are.
		return accountHint(run(c.Context(), eng, args))
	}
}

func (e *env) accountsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List, add and change the pooled accounts",
		RunE:  group,
	}
	var jsonOut bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the accounts with their state and usage",
		Args:  noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			return listAccounts(ctx, eng, jsonOut, e.io.Out)
		}),
	}
	list.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	simple := func(use, short, done string, f func(Engine, context.Context, string) error) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Args: exactArgs("NAME"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				if err := f(eng, ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(e.io.Out, done+"\n", args[0])
				return nil
			}),
		}
	}
	cmd.AddCommand(
		list,
		&cobra.Command{
			Use:   "add-key NAME",
			Short: "Add a Console API key (read from stdin, never from the command line)",
			Args:  exactArgs("NAME"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				return e.addKey(ctx, eng, args[0])
			}),
		},
		e.addUpstreamCmd(),
		e.loginCmd(),
		simple("remove", "Remove an account and its keyring item", "Removed %s.", Engine.RemoveAccount),
		simple("pause", "Stop routing to an account until resumed", "Paused %s.", Engine.PauseAccount),
		simple("resume", "Route to a paused account again", "Resumed %s.", Engine.ResumeAccount),
		&cobra.Command{
			Use:   "priority NAME N",
			Short: "Set an account's priority (lower is preferred)",
			Args:  exactArgs("NAME", "N"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				p, err := strconv.Atoi(args[1])
				if err != nil {
					return usagef("priority must be a whole number, not %q", args[1])
				}
				if err := eng.SetPriority(ctx, args[0], p); err != nil {
					return err
				}
				fmt.Fprintf(e.io.Out, "%s now has priority %d (lower is preferred).\n", args[0], p)
				return nil
			}),
		},
		&cobra.Command{
			Use:   "rename OLD NEW",
			Short: "Rename an account (its credential and history stay)",
			Args:  exactArgs("OLD", "NEW"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				if err := eng.RenameAccount(ctx, args[0], args[1]); err != nil {
					return err
				}
				fmt.Fprintf(e.io.Out, "Renamed %s to %s.\n", args[0], args[1])
				return nil
			}),
		},
	)
	cmd.AddCommand(e.limitCmds()...)
	return cmd
}

// readKey reads an account's key from stdin, never from the command line,
// where it would land in shell history and the process list: hidden when
// stdin is a terminal, else one line (its newline optional).
func (e *env) readKey(what, name string) (string, error) {
	var key string
	var err error
	if e.io.IsTerminal != nil && e.io.IsTerminal() && e.io.ReadSecret != nil {
		fmt.Fprintf(e.io.Err, "Paste the %s for %s (input hidden), then press Enter: ", what, name)
		key, err = e.io.ReadSecret()
		fmt.Fprintln(e.io.Err)
	} else {
		key, err = bufio.NewReader(e.io.In).ReadString('\n')
		if err != nil && key != "" {
			err = nil // a key without a trailing newline is fine
		}
	}
	if err != nil {
		return "", fmt.Errorf("read the API key from stdin: %w", err)
	}
	return strings.TrimSpace(key), nil
}

// addKey adds a Console API-key account, its key read by readKey.
func (e *env) addKey(ctx context.Context, eng Engine, name string) error {
	key, err := e.readKey("Console API key", name)
	if err != nil {
		return err
	}
	v, err := eng.AddAPIKey(ctx, name, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Added %s (API key, priority %d). The key is in the keyring, not in Sluice's database.\n", v.Name, v.Priority)
	return nil
}

func listAccounts(ctx context.Context, eng Engine, jsonOut bool, out io.Writer) error {
	views, err := eng.Accounts(ctx)
	if err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(out, views)
	}
	if len(views) == 0 {
		fmt.Fprintln(out, "No accounts yet. Add one with `sluice accounts add-key NAME` or `sluice accounts login NAME`.")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	upstreams := slices.ContainsFunc(views, func(v api.AccountView) bool { return v.Upstream != nil })
	head := "NAME\tKIND\tPRIO\tSTATE\tWINDOWS\tGUARD\tREQUESTS\tTOKENS"
	if upstreams {
		head += "\tUPSTREAM" // host and maps of compatible upstream accounts
	}
	fmt.Fprintln(tw, head)
	for _, v := range views {
		state := string(v.State)
		if !v.LimitedUntil.IsZero() && v.State == api.StateLimited {
			state += " until " + v.LimitedUntil.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d", v.Name, v.Kind, v.Priority, state,
			windowsText(v), guardText(v), v.WindowRequests, v.WindowTokens)
		if upstreams {
			fmt.Fprintf(tw, "\t%s", upstreamText(v))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// guardText shows the plan guard and the headroom caps, e.g.
// "plan, weekly<=80%".
func guardText(v api.AccountView) string {
	var p []string
	if v.PlanGuard {
		p = append(p, "plan")
	}
	kinds := make([]string, 0, len(v.Headroom))
	for k := range v.Headroom {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		p = append(p, fmt.Sprintf("%s<=%g%%", k, v.Headroom[k]))
	}
	if len(p) == 0 {
		return "-"
	}
	return strings.Join(p, ",")
}

func percent(w api.Window) string { return statusline.Percent(w) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one compact JSON line (for streams).
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
