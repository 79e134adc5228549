package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/proxy/control"
)

func runWindow(env map[string]string, args []string, show func(*control.Client, bool) error) run {
	var out, errb lockedBuffer
	code := cli.RunWindow(cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return env[k] }},
		"test", args, show)
	return run{code, out.String(), errb.String()}
}

// `sluice window` is a client of the running owner's engine: what it
// reads comes from that engine.
func TestWindowIsAClientOfTheOwner(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	var copied bool
	var addr string
	r := runWindow(env, []string{"--copy-settings"}, func(c *control.Client, copySettings bool) error {
		copied = copySettings
		addr = c.Addr()
		_, err := c.Accounts(context.Background())
		return err
	})
	if r.code != cli.ExitOK || !copied || addr == "" {
		t.Fatalf("window: %d %q, copy %v, addr %q", r.code, r.err, copied, addr)
	}
}

func TestWindowWithoutAnOwnerSaysHowToStartOne(t *testing.T) {
	r := runWindow(baseEnv(t), nil, func(*control.Client, bool) error {
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
