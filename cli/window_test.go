package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/control"
)

func runWindow(env map[string]string, args []string, show func(*control.Client, cli.WindowFlags) error) run {
	var out, errb testkit.Buffer
	code := cli.RunWindow(cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return env[k] }},
		"test", args, show)
	return run{code, out.String(), errb.String()}
}

// `sluice window` is a client of the running owner's engine: what it
// reads comes from that engine.
func TestWindowIsAClientOfTheOwner(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	var flags cli.WindowFlags
	var addr string
	r := runWindow(env, []string{"--copy-settings", "--tab", "Logs"}, func(c *control.Client, f cli.WindowFlags) error {
		flags = f
		var err error
		if addr, err = c.Addr(context.Background()); err != nil {
			return err
		}
		_, err = c.Accounts(context.Background())
		return err
	})
	if r.code != cli.ExitOK || !flags.CopySettings || flags.Tab != "logs" || addr == "" {
		t.Fatalf("window: %d %q, flags %+v, addr %q", r.code, r.err, flags, addr)
	}
}

// A tab the window does not have is refused before any window opens,
// with the names it has.
func TestWindowRefusesAnUnknownTab(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	r := runWindow(env, []string{"--tab", "graphs"}, func(*control.Client, cli.WindowFlags) error {
		t.Fatal("opened a window for an unknown tab")
		return nil
	})
	if r.code != cli.ExitUsage || !strings.Contains(r.err, "accounts, logs, usage, settings") {
		t.Fatalf("--tab graphs: %d %q", r.code, r.err)
	}
}

func TestWindowWithoutAnOwnerSaysHowToStartOne(t *testing.T) {
	r := runWindow(baseEnv(t), nil, func(*control.Client, cli.WindowFlags) error {
		t.Fatal("ran without an engine")
		return nil
	})
	if r.code != cli.ExitFailure || !strings.Contains(r.err, "start it with `sluice`") {
		t.Fatalf("no owner: %d %q", r.code, r.err)
	}
	if r := runWindow(baseEnv(t), []string{"--bogus"}, nil); r.code != cli.ExitUsage {
		t.Fatalf("unknown flag: %d %q", r.code, r.err)
	}
}

// The window's Going lets go of the window lock while the window's
// process still runs (it winds down after): a window asked for meanwhile
// is not taken for this one.
func TestWindowGoingLetsGoOfTheLock(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	data := env["SLUICE_DATA_DIR"]
	var before, after bool
	r := runWindow(env, nil, func(_ *control.Client, f cli.WindowFlags) error {
		before = cli.WindowOpen(data)
		f.Going()
		after = cli.WindowOpen(data)
		f.Going() // again, as every way out of the window calls it
		return nil
	})
	if r.code != cli.ExitOK {
		t.Fatalf("window: %d %q", r.code, r.err)
	}
	if !before || after {
		t.Errorf("window lock held while open: %v, after Going: %v; want true, false", before, after)
	}
}
