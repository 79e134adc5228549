package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// keyFlags are the scope and limit flags shared by `keys create` and
// `keys update`.
type keyFlags struct {
	accounts   []string
	rpm        int
	concurrent int
	dailyCost  float64
}

func (k *keyFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&k.accounts, "accounts", nil, "accounts the key may use, comma-separated (default: all)")
	fs.IntVar(&k.rpm, "rpm", 0, "requests per minute (0: no limit)")
	fs.IntVar(&k.concurrent, "concurrent", 0, "requests in flight at once, streams included (0: no limit)")
	fs.Float64Var(&k.dailyCost, "daily-cost", 0, "estimated cost per day in US dollars (0: no limit)")
}

// apply sets the flags the user gave over o (all of them when all is set).
func (k *keyFlags) apply(fs *pflag.FlagSet, o *api.KeyOptions) error {
	if k.rpm < 0 || k.concurrent < 0 || k.dailyCost < 0 || math.IsNaN(k.dailyCost) {
		return usagef("--rpm, --concurrent and --daily-cost must not be negative")
	}
	if fs.Changed("accounts") {
		o.Accounts = nil
		for _, a := range k.accounts {
			if a = strings.TrimSpace(a); a != "" {
				o.Accounts = append(o.Accounts, a)
			}
		}
	}
	if fs.Changed("rpm") {
		o.RPM = k.rpm
	}
	if fs.Changed("concurrent") {
		o.MaxConcurrent = k.concurrent
	}
	if fs.Changed("daily-cost") {
		o.DailyCostMicros = int64(math.Round(k.dailyCost * 1e6))
	}
	return nil
}

func (e *env) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the client keys programs use to reach Sluice",
		Long: `Manage client keys. Every request to Sluice must carry one (as
x-api-key or Authorization: Bearer) unless the requirement is turned off.
A key is shown once, when it is created; Sluice keeps only a salted digest.`,
		RunE: group,
	}
	var cf keyFlags
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a client key and print it once",
		Args:  exactArgs("NAME"),
		RunE: e.withEngineCmd(func(ctx context.Context, c *cobra.Command, eng Engine, args []string) error {
			o := api.KeyOptions{Name: args[0]}
			if err := cf.apply(c.Flags(), &o); err != nil {
				return err
			}
			v, secret, err := eng.CreateKey(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.io.Out, "Created client key %s. Copy it now: Sluice cannot show it again.\n\n  %s\n\n", v.Name, secret)
			printKeyUse(e.io.Out, e.proxyURL(ctx, eng), secret)
			return nil
		}),
	}
	cf.register(create.Flags())

	var jsonOut bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the client keys (never the secrets)",
		Args:  noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			ks, err := eng.Keys(ctx)
			if err != nil {
				return err
			}
			if jsonOut {
				if ks == nil {
					ks = []api.KeyView{}
				}
				return writeJSON(e.io.Out, ks)
			}
			required, err := eng.RequireKey(ctx)
			if err != nil {
				return err
			}
			printKeys(e.io.Out, ks, required)
			return nil
		}),
	}
	list.Flags().BoolVar(&jsonOut, "json", false, "print JSON")

	var uf keyFlags
	var rename string
	update := &cobra.Command{
		Use:   "update NAME",
		Short: "Change a key's accounts, limits or name (flags not given stay)",
		Args:  exactArgs("NAME"),
		RunE: e.withEngineCmd(func(ctx context.Context, c *cobra.Command, eng Engine, args []string) error {
			ks, err := eng.Keys(ctx)
			if err != nil {
				return err
			}
			var o api.KeyOptions
			found := false
			for _, k := range ks {
				if k.Name == args[0] && !k.Revoked {
					o = api.KeyOptions{Name: k.Name, Accounts: k.Accounts, RPM: k.RPM, MaxConcurrent: k.MaxConcurrent, DailyCostMicros: k.DailyCostMicros}
					found = true
				}
			}
			if !found {
				return fmt.Errorf("no live client key named %q: see `sluice keys list`", args[0])
			}
			if err := uf.apply(c.Flags(), &o); err != nil {
				return err
			}
			if c.Flags().Changed("rename") {
				o.Name = rename
			}
			v, err := eng.UpdateKey(ctx, args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.io.Out, "Updated %s: %s.\n", v.Name, keyLimits(v))
			return nil
		}),
	}
	uf.register(update.Flags())
	update.Flags().StringVar(&rename, "rename", "", "new name for the key")

	cmd.AddCommand(create, list, update,
		&cobra.Command{
			Use:   "revoke NAME",
			Short: "Revoke a key at once (requests with it get 401 from now on)",
			Args:  exactArgs("NAME"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				if err := eng.RevokeKey(ctx, args[0]); errors.Is(err, api.ErrKeyNotFound) {
					return fmt.Errorf("%w (see `sluice keys list`; revoked keys cannot be revoked again)", err)
				} else if err != nil {
					return err
				}
				fmt.Fprintf(e.io.Out, "Revoked %s.\n", args[0])
				return nil
			}),
		},
		&cobra.Command{
			Use:   "require on|off",
			Short: "Require a client key on every request (on by default)",
			Long: `Require a client key on every request, or stop requiring one.

Off, any program on this machine that can reach the port (any local user,
any process) can spend your accounts. Keep it on unless you know why not.
SLUICE_REQUIRE_KEY=false turns it off for one run without saving it.`,
			Args: exactArgs("on|off"),
			RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
				on, err := parseBool(args[0])
				if err != nil {
					return usagef("keys require takes on or off, not %q", args[0])
				}
				if err := eng.SetRequireKey(ctx, on); err != nil {
					return err
				}
				if on {
					fmt.Fprintln(e.io.Out, "Client keys are required: requests without a valid key get 401.")
				} else {
					fmt.Fprintln(e.io.Out, "Client keys are no longer required.")
					fmt.Fprintln(e.io.Err, "Warning: any program on this machine can now spend your accounts through Sluice. Turn it back on with `sluice keys require on`.")
				}
				return nil
			}),
		},
	)
	return cmd
}

// withEngineCmd is withEngine for bodies that read their own flags.
func (e *env) withEngineCmd(run func(ctx context.Context, c *cobra.Command, eng Engine, args []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		return e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			return run(ctx, c, eng, args)
		})(c, args)
	}
}

// proxyURL is where clients reach the proxy: the running owner's address,
// else the configured one.
func (e *env) proxyURL(ctx context.Context, eng Engine) string {
	if st, err := eng.Status(ctx); err == nil && st.ProxyRunning && st.Addr != "" {
		return "http://" + st.Addr
	}
	host := e.set.Proxy.Host
	if host == "" {
		host = proxy.DefaultHost
	}
	port := e.set.Proxy.Port
	if port == 0 {
		port = proxy.DefaultPort
	}
	return "http://" + host + ":" + strconv.Itoa(port)
}

// printKeyUse shows how to point Claude Code at Sluice with a key.
func printKeyUse(w io.Writer, url, secret string) {
	fmt.Fprintf(w, "Use it with Claude Code:\n\n  export ANTHROPIC_BASE_URL=%s\n  export ANTHROPIC_AUTH_TOKEN=%s\n\n", url, secret)
	fmt.Fprintln(w, "Other clients send it as the x-api-key header or as Authorization: Bearer.")
}

func printKeys(w io.Writer, ks []api.KeyView, required bool) {
	if len(ks) == 0 {
		fmt.Fprintln(w, "No client keys. Create one with `sluice keys create NAME`.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKEY\tACCOUNTS\tLIMITS\tCREATED\tSTATE")
		for _, k := range ks {
			state := "active"
			if k.Revoked {
				state = "revoked " + k.RevokedAt.Local().Format(time.DateTime)
			}
			accts := "all"
			if len(k.Accounts) > 0 {
				accts = strings.Join(k.Accounts, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.Hint, accts, keyLimits(k), k.CreatedAt.Local().Format(time.DateTime), state)
		}
		_ = tw.Flush()
	}
	if required {
		fmt.Fprintln(w, "Client keys are required.")
	} else {
		fmt.Fprintln(w, "Warning: client keys are NOT required; any local program can use Sluice (`sluice keys require on`).")
	}
}

// keyLimits is e.g. "60 rpm, 2 concurrent, $5.00/day" or "no limits".
func keyLimits(k api.KeyView) string {
	var p []string
	if k.RPM > 0 {
		p = append(p, fmt.Sprintf("%d rpm", k.RPM))
	}
	if k.MaxConcurrent > 0 {
		p = append(p, fmt.Sprintf("%d concurrent", k.MaxConcurrent))
	}
	if k.DailyCostMicros > 0 {
		p = append(p, fmt.Sprintf("$%.2f/day", float64(k.DailyCostMicros)/1e6))
	}
	if len(p) == 0 {
		return "no limits"
	}
	return strings.Join(p, ", ")
}
