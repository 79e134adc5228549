package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/cli/statusline"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

func (e *env) statusCmd() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the proxy, the accounts' usability and today's traffic",
		Args:  noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			st, err := eng.Status(ctx)
			if err != nil {
				return err
			}
			views, err := eng.Accounts(ctx)
			if err != nil {
				return err
			}
			required, err := eng.RequireKey(ctx)
			if err != nil {
				return err
			}
			out := statusJSON{Status: st, RequireKey: required, Windows: []accountWindows{}}
			for _, v := range views {
				out.Windows = append(out.Windows, accountWindows{Account: v.Name, Windows: limitWindows(v)})
			}
			if jsonOut {
				return writeJSON(e.io.Out, out)
			}
			printStatus(e.io.Out, st, isOwner(eng))
			for _, v := range views {
				fmt.Fprintf(e.io.Out, "  %s: %s\n", v.Name, windowsText(v))
			}
			printPace(e.io.Out, st)
			if out.RequireKey {
				fmt.Fprintln(e.io.Out, "Keys:      required")
			} else {
				fmt.Fprintln(e.io.Out, "Keys:      NOT required: any local program can use Sluice (`sluice keys require on`)")
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

// statusJSON is `status --json`: api.Status's fields, plus every
// account's limit windows and whether client keys are required.
type statusJSON struct {
	api.Status
	Windows    []accountWindows `json:"windows"`
	RequireKey bool             `json:"require_key"`
}

type accountWindows struct {
	Account string       `json:"account"`
	Windows []api.Window `json:"windows"`
}

func isOwner(eng Engine) bool {
	_, ok := eng.(*control.Client)
	return ok
}

func printStatus(w io.Writer, st api.Status, running bool) {
	switch {
	case st.ProxyRunning:
		fmt.Fprintf(w, "Proxy:     on, http://%s\n", st.Addr)
	case running:
		fmt.Fprintf(w, "Proxy:     off (turn it on with `sluice proxy on`)\n")
	default:
		fmt.Fprintf(w, "Proxy:     not running (start the app with `sluice`, or `sluice serve`)\n")
	}
	if st.UpstreamError != "" {
		fmt.Fprintf(w, "Upstream:  unreachable since %s (%s)\n", st.UpstreamErrorSince.Local().Format(time.DateTime), st.UpstreamError)
	}
	fmt.Fprintf(w, "Today:     %d request(s), %s\n", st.RequestsToday, dollars(st.CostTodayMicros))
	fmt.Fprintf(w, "Accounts:  %d usable of %d\n", st.Usable, st.Accounts)
	for _, u := range st.Unusable {
		line := "  " + u.Name + ": " + string(u.State)
		if !u.Until.IsZero() {
			line += " until " + u.Until.Local().Format(time.DateTime)
		}
		if u.Reason != "" {
			line += " (" + u.Reason + ")"
		}
		fmt.Fprintln(w, line)
	}
	if st.Accounts > 0 {
		fmt.Fprintln(w, "Windows:")
	}
}

func (e *env) proxyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy on|off",
		Short: "Turn the running app's proxy on or off",
		RunE:  group,
	}
	sw := func(use, short, done string, f func(*control.Client, context.Context) error) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: noArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				cl, err := e.owner()
				if err != nil {
					return err
				}
				defer cl.Close()
				if err := f(cl, c.Context()); err != nil {
					return err
				}
				fmt.Fprintln(e.io.Out, done)
				return nil
			},
		}
	}
	cmd.AddCommand(
		sw("on", "Start accepting requests", "Proxy on.", (*control.Client).StartProxy),
		sw("off", "Stop accepting requests (those in flight finish)", "Proxy off.", (*control.Client).StopProxy),
	)
	return cmd
}

func (e *env) sessionsCmd() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "Show which account serves each live client session",
		Args:  noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			ss, err := eng.Sessions(ctx)
			if err != nil {
				return err
			}
			if jsonOut {
				if ss == nil {
					ss = []api.SessionView{}
				}
				return writeJSON(e.io.Out, ss)
			}
			if len(ss) == 0 {
				fmt.Fprintln(e.io.Out, "No live sessions.")
				return nil
			}
			tw := tabwriter.NewWriter(e.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SESSION\tACCOUNT\tMODEL\tREQUESTS\tLAST USE")
			for _, s := range ss {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", term(s.ID), term(orDash(s.AccountName)), term(orDash(s.Model)), s.Requests, s.LastUsed.Local().Format(time.DateTime))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e *env) statuslineCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "statusline",
		Short: "One line for Claude Code's statusLine: the account serving this session",
		Long: `Print one line for Claude Code's statusLine hook: the account serving the
session and its 5-hour and weekly use. It reads the JSON Claude Code writes
on stdin and prints nothing (exit 0) when it has nothing to say. In
~/.claude/settings.json:

  {"statusLine": {"type": "command", "command": "sluice-statusline"}}

(sluice-statusline, installed next to sluice, prints the same line without
loading the GUI libraries.)`,
		Args: cobra.ArbitraryArgs,
		// Silent on any error, a bad setting included.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		Run: func(c *cobra.Command, _ []string) {
			if line := e.statusline(c.Context()); line != "" {
				fmt.Fprintln(e.io.Out, line)
			}
		},
	}
}

// statusline returns the line to print, "" on any failure.
func (e *env) statusline(ctx context.Context) string {
	if e.setErr != nil {
		return ""
	}
	return statusline.Line(ctx, e.io.In, e.set.DataDir, time.Now())
}

// dollars formats an estimated cost in millionths of a dollar: to the cent,
// or to four decimals below a cent, so that a few cheap requests do not
// read as free (logs shows each one to four decimals).
func dollars(micros int64) string {
	if micros != 0 && micros > -10000 && micros < 10000 {
		return fmt.Sprintf("$%.4f", float64(micros)/1e6)
	}
	return fmt.Sprintf("$%.2f", float64(micros)/1e6)
}
