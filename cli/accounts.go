package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
)

// accounts dispatches `sluice accounts SUBCOMMAND`.
func accounts(ctx context.Context, args []string, set Settings, io IO) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: accounts needs a subcommand", errUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags("accounts "+sub, io)
	set.commonFlags(fs)
	jsonOut := false
	var login loginFlags
	switch sub {
	case "list":
		fs.BoolVar(&jsonOut, "json", false, "print JSON")
	case "login":
		login.register(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	args = fs.Args()
	want := map[string]int{"add-key": 1, "list": 0, "remove": 1, "pause": 1, "resume": 1, "priority": 2, "rename": 2, "login": 1}
	n, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown accounts subcommand %q", errUsage, sub)
	}
	if len(args) != n {
		return fmt.Errorf("%w: accounts %s takes %d argument(s)", errUsage, sub, n)
	}
	eng, err := Open(ctx, set, set.Logger(io.Err))
	if err != nil {
		return err
	}
	defer eng.Close(context.Background())
	svc := eng.Service
	switch sub {
	case "add-key":
		return addKey(ctx, svc, args[0], io)
	case "list":
		return list(ctx, svc, jsonOut, io)
	case "remove":
		if err := svc.RemoveAccount(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "Removed %s.\n", args[0])
	case "pause":
		return svc.PauseAccount(ctx, args[0])
	case "resume":
		return svc.ResumeAccount(ctx, args[0])
	case "priority":
		p, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("%w: priority must be a whole number", errUsage)
		}
		return svc.SetPriority(ctx, args[0], p)
	case "rename":
		return svc.RenameAccount(ctx, args[0], args[1])
	case "login":
		return loginCmd(ctx, svc, args[0], login, io)
	}
	return nil
}

// addKey reads the key from stdin, never from the command line, where it
// would land in shell history and the process list.
func addKey(ctx context.Context, svc *proxy.Service, name string, io IO) error {
	var key string
	var err error
	if io.IsTerminal != nil && io.IsTerminal() && io.ReadSecret != nil {
		fmt.Fprintf(io.Err, "Paste the Console API key for %s (input hidden), then press Enter: ", name)
		key, err = io.ReadSecret()
		fmt.Fprintln(io.Err)
	} else {
		key, err = bufio.NewReader(io.In).ReadString('\n')
		if err != nil && key != "" {
			err = nil // a key without a trailing newline is fine
		}
	}
	if err != nil {
		return fmt.Errorf("read the API key from stdin: %w", err)
	}
	v, err := svc.AddAPIKey(ctx, name, strings.TrimSpace(key))
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Added %s (API key, priority %d). The key is in the keyring, not in Sluice's database.\n", v.Name, v.Priority)
	return nil
}

func list(ctx context.Context, svc *proxy.Service, jsonOut bool, io IO) error {
	views, err := svc.Accounts(ctx)
	if err != nil {
		return err
	}
	if jsonOut {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(views)
	}
	if len(views) == 0 {
		fmt.Fprintln(io.Out, "No accounts yet. Add one with `sluice accounts add-key NAME` or `sluice accounts login NAME`.")
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tPRIO\tSTATE\t5H\t7D\tREQUESTS\tTOKENS")
	for _, v := range views {
		state := v.State
		if !v.LimitedUntil.IsZero() && v.State == "limited" {
			state += " until " + v.LimitedUntil.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\n", v.Name, v.Kind, v.Priority, state,
			percent(v.FiveHour), percent(v.SevenDay), v.WindowRequests, v.WindowTokens)
	}
	return tw.Flush()
}

func percent(w proxy.Window) string {
	if w.Status == "" && w.Utilization == 0 && w.ResetsAt.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", w.Utilization*100)
}
