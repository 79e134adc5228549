package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/cli/statusline"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// limitCmds are the accounts subcommands for limits (issue 10).
func (e *env) limitCmds() []*cobra.Command {
	return []*cobra.Command{
		{
			Use:   "clear-limit NAME",
			Short: "Lift an account's limit by hand (a raised spend limit, a reset Sluice cannot see)",
			Long: `Lift every bench of an account, account-wide and per model, and forget
its backoff. Use it when a limit was lifted where Sluice cannot see it: a
spend limit raised in the Console, a reset granted by support. If the limit
still holds, the next request benches the account again.`,
			Args: exactArgs("NAME"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				if err := eng.ClearLimit(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(e.io.Out, "Cleared the limits of %s: it serves the next request.\n", args[0])
				return nil
			}),
		},
		{
			Use:   "headroom NAME KIND PERCENT",
			Short: "Stop using an account at PERCENT of a window (0 removes the cap)",
			Long: `Stop routing to an account once one of its windows reaches PERCENT
utilization, until that window resets: room kept for your own claude.ai use.
KIND is session (the 5-hour window), weekly (the 7-day ones) or another
window's kind as 'sluice accounts list --json' shows it. 0 removes the cap.

  sluice accounts headroom personal weekly 80`,
			Args: exactArgs("NAME", "KIND", "PERCENT"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				p, err := strconv.ParseFloat(strings.TrimSuffix(args[2], "%"), 64)
				if err != nil || p < 0 || p > 100 {
					return usagef("PERCENT must be a number from 0 to 100, not %q", args[2])
				}
				if err := eng.SetHeadroom(ctx, args[0], args[1], p); err != nil {
					return err
				}
				if p == 0 || p == 100 {
					fmt.Fprintf(e.io.Out, "Removed the %s headroom cap of %s.\n", args[1], args[0])
				} else {
					fmt.Fprintf(e.io.Out, "%s stops serving at %g%% of its %s window until it resets.\n", args[0], p, args[1])
				}
				return nil
			}),
		},
		{
			Use:   "plan-guard NAME on|off",
			Short: "Never let an account draw extra usage (on by default for subscriptions)",
			Long: `With the plan guard on, a request the upstream says would draw extra
(paid) usage fails over to another account, or gets a 429 saying so when
none has plan headroom left, instead of being billed silently.`,
			Args: exactArgs("NAME", "on|off"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				on, err := parseBool(args[1])
				if err != nil {
					return usagef("plan-guard takes on or off, not %q", args[1])
				}
				if err := eng.SetPlanGuard(ctx, args[0], on); err != nil {
					return err
				}
				if on {
					fmt.Fprintf(e.io.Out, "Plan guard on for %s: it never draws extra usage.\n", args[0])
				} else {
					fmt.Fprintf(e.io.Out, "Plan guard off for %s: requests may draw extra usage when the plan's limits are reached.\n", args[0])
				}
				return nil
			}),
		},
	}
}

// accountHint says where to find account names when one was not found.
func accountHint(err error) error {
	if errors.Is(err, api.ErrNoSuchAccount) {
		return fmt.Errorf("%w (see `sluice accounts list`)", err)
	}
	return err
}

// limitWindows returns every window known for an account, account-wide
// ones first (statusline.Windows decides for every command).
func limitWindows(v api.AccountView) []api.Window { return statusline.Windows(v) }

// windowLabel names a window ("5h", "7d", "7d_oi", else kind:scope).
func windowLabel(w api.Window) string { return statusline.Label(w) }

// windowsText is e.g. "5h 42% · 7d 13% · 7d_oi 80% rejected", "-" if none.
func windowsText(v api.AccountView) string {
	var parts []string
	for _, w := range limitWindows(v) {
		p := windowLabel(w) + " " + percent(w)
		if w.Status == "rejected" {
			p += " rejected"
		}
		if !w.RunsOutAt.IsZero() {
			p += " (runs out " + w.RunsOutAt.Local().Format("15:04") + ")"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "-"
	}
	if v.Kind == "api-key" {
		parts = append(parts, "per-minute buckets, no window share")
	}
	return strings.Join(parts, " · ")
}
