package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func walk(c *cobra.Command, path []string, visit func(*cobra.Command, []string)) {
	visit(c, path)
	for _, sub := range c.Commands() {
		walk(sub, append(append([]string(nil), path...), sub.Name()), visit)
	}
}

func runArgs(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, IO{
		In: strings.NewReader(stdin), Out: &out, Err: &errb, Env: func(k string) string { return env[k] },
	}, "test")
	return code, out.String(), errb.String()
}

// Every command in the tree answers --help with exit 0.
func TestHelpOnEveryCommand(t *testing.T) {
	e := &env{version: "test"}
	n := 0
	walk(e.root(), nil, func(c *cobra.Command, path []string) {
		n++
		code, out, errOut := runArgs(t, map[string]string{"SLUICE_DATA_DIR": t.TempDir()}, "", append(path, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v --help: %d %q %q", path, code, out, errOut)
		}
	})
	if n < 15 {
		t.Fatalf("walked %d commands only", n)
	}
}

func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// A flag after NAME is a flag: each command taking a NAME runs with
// --data-dir after its arguments, pointing at the only dir where the
// account exists.
func TestFlagsAfterName(t *testing.T) {
	vars := map[string]string{"SLUICE_DATA_DIR": tempDir(t), "SLUICE_KEYRING": "file", "SLUICE_KEYRING_PASSWORD": "pw"}
	other := tempDir(t)
	if code, _, errOut := runArgs(t, vars, "sk-ant-api03-FLAGS\n", "accounts", "add-key", "work", "--data-dir", other); code != 0 {
		t.Fatalf("add-key NAME --data-dir: %s", errOut)
	}
	cases := map[string][]string{
		"accounts add-key":     {"accounts", "add-key", "more"},
		"accounts pause":       {"accounts", "pause", "work"},
		"accounts resume":      {"accounts", "resume", "work"},
		"accounts priority":    {"accounts", "priority", "work", "3"},
		"accounts rename":      {"accounts", "rename", "work", "job"},
		"accounts remove":      {"accounts", "remove", "job"},
		"keys create":          {"keys", "create", "k1", "--rpm", "5"},
		"keys update":          {"keys", "update", "k1", "--rpm", "7", "--accounts", "more"},
		"keys revoke":          {"keys", "revoke", "k1"},
		"accounts clear-limit": {"accounts", "clear-limit", "job"},
		"accounts headroom":    {"accounts", "headroom", "job", "weekly", "80"},
		"accounts plan-guard":  {"accounts", "plan-guard", "job", "off"},
		"logs show":            nil, // takes an ID: checked in the end-to-end test
		// login does not get far without OAuth: its own flag after NAME
		// is what is checked.
		"accounts login": nil,
		// add-upstream's key check needs an endpoint: its flags after NAME
		// are checked in upstream_test.go.
		"accounts add-upstream": nil,
	}
	walk((&env{version: "test"}).root(), nil, func(c *cobra.Command, path []string) {
		if !strings.Contains(c.Use, "NAME") && !strings.Contains(c.Use, "OLD") && !strings.Contains(c.Use, " ID") {
			return
		}
		if _, ok := cases[strings.Join(path, " ")]; !ok {
			t.Errorf("command %v takes a NAME but has no case here", path)
		}
	})
	for _, name := range []string{"accounts add-key", "accounts pause", "accounts resume", "accounts priority", "accounts rename",
		"keys create", "keys update", "keys revoke", "accounts clear-limit", "accounts headroom", "accounts plan-guard", "accounts remove"} {
		args := append(cases[name], "--data-dir", other)
		if code, _, errOut := runArgs(t, vars, "sk-ant-api03-FLAGS2\n", args...); code != 0 {
			t.Errorf("%v: %d %s", args, code, errOut)
		}
	}
	code, _, errOut := runArgs(t, vars, "", "accounts", "login", "work", "--mode", "bogus", "--data-dir", other)
	if code != 2 || !strings.Contains(errOut, "--mode must be max or console") {
		t.Errorf("login NAME --mode bogus: %d %q", code, errOut)
	}
	code, out, _ := runArgs(t, vars, "", "accounts", "list", "--data-dir", other)
	if code != 0 || !strings.Contains(out, "more") || strings.Contains(out, "job") {
		t.Errorf("accounts in the other dir: %q", out)
	}
}
