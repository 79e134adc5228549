package cli_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readmeSettings reads the settings table of README.md's "Settings"
// section: each key with its default, as a user reads them. The tests
// below hold `sluice settings` to it, not to the registry it prints from.
func readmeSettings(t *testing.T) (keys []string, defaults map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Settings\n")
	if !ok {
		t.Fatal("README.md has no Settings section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	defaults = map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue // not a row of the four-column settings table
		}
		key := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if strings.HasPrefix(key, "SLUICE_") {
			continue
		}
		keys = append(keys, key)
		defaults[key] = strings.Trim(strings.TrimSpace(cells[2]), "`")
	}
	if len(keys) < 10 {
		t.Fatalf("README's settings table has %d keys: %v", len(keys), keys)
	}
	return keys, defaults
}

// `sluice settings` lists every setting README's table documents, in a
// fresh data dir each at the default README gives, and nothing README
// does not document; --json gives the same defaults, and --help names
// every key.
func TestSettingsListsEveryKeyOfTheReadme(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no autostart entry
	keys, defaults := readmeSettings(t)
	env := baseEnv(t)
	out := mustRun(t, env, "", "settings").out
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("settings printed %q", line)
		}
		listed = append(listed, f[0])
		if want, ok := defaults[f[0]]; !ok {
			t.Errorf("settings lists %s, which README's table does not document", f[0])
		} else if f[1] != want || len(f) != 2 {
			t.Errorf("in a fresh data dir settings prints %q; README says the default is %q", line, want)
		}
	}
	if !slices.Equal(listed, keys) {
		t.Errorf("settings lists %v; README documents %v (in this order)", listed, keys)
	}
	var js struct {
		Defaults map[string]string `json:"defaults"`
	}
	jsonOf(t, env, &js, "settings", "--json")
	if !maps.Equal(js.Defaults, defaults) {
		t.Errorf("settings --json defaults %v; README has %v", js.Defaults, defaults)
	}
	help := mustRun(t, env, "", "settings", "--help").out
	for _, k := range keys {
		if !strings.Contains(help, "\n  "+k+" ") {
			t.Errorf("settings --help does not list %s", k)
		}
	}
}

// `sluice settings set start-at-login on` writes the XDG autostart entry
// (under XDG_CONFIG_HOME) that starts sluice in the tray with no window
// (the sluice found beside the running program, here on PATH: the test
// binary is not named sluice); `settings` shows it on; off removes the
// entry (issue 17).
func TestSetStartAtLoginWritesTheAutostartEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	bin := t.TempDir()
	exe := filepath.Join(bin, "sluice")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	env := baseEnv(t)
	out := mustRun(t, env, "", setArgs(t, env, "start-at-login", "on")...).out
	if !strings.Contains(out, "\nstart-at-login      on") {
		t.Errorf("settings set start-at-login on prints:\n%s", out)
	}
	entry := filepath.Join(cfg, "autostart", "io.github.sluiceproxy.sluice.desktop")
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("no autostart entry: %v", err)
	}
	if !strings.Contains(string(data), "\nExec=\""+exe+"\" --background\n") {
		t.Fatalf("the entry does not start %s --background:\n%s", exe, data)
	}
	if out := mustRun(t, env, "", "settings").out; !strings.Contains(out, "start-at-login      on") {
		t.Errorf("settings after on:\n%s", out)
	}
	mustRun(t, env, "", setArgs(t, env, "start-at-login", "off")...)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Fatalf("the entry is still there after off: %v", err)
	}
	if r := sluice(t, env, "", "settings", "set", "start-at-login", "sometimes"); r.code != 2 || !strings.Contains(r.err, "on or off") {
		t.Errorf("start-at-login sometimes: %d %q", r.code, r.err)
	}
}

// A setting fixed by the running Sluice's variable or flag is shown so,
// and `settings set` (or `keys require`) refuses it, naming the variable.
func TestFixedSettingsAreRefusedNamingTheVariable(t *testing.T) {
	env := baseEnv(t)
	env["SLUICE_REQUIRE_KEY"] = "false"
	owner(t, env) // serve --port 0
	out := mustRun(t, env, "", "settings").out
	for _, want := range []string{"require-key         off  (fixed by SLUICE_REQUIRE_KEY)", "(fixed by --port)"} {
		if !strings.Contains(out, want) {
			t.Errorf("settings does not say %q:\n%s", want, out)
		}
	}
	for _, c := range []struct{ args []string }{
		{setArgs(t, env, "require-key", "on")},
		{setArgs(t, env, "port", "8799")},
		{[]string{"keys", "require", "on"}},
	} {
		r := sluice(t, env, "", c.args...)
		by := "SLUICE_REQUIRE_KEY"
		if c.args[2] == "port" {
			by = "--port"
		}
		if r.code != 1 || !strings.Contains(r.err, "fixed by "+by) {
			t.Errorf("%v: exit %d %q, want a refusal naming %s", c.args, r.code, r.err, by)
		}
	}
}
