//go:build !darwin && !windows

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/control"
)

// Ticking "Start Sluice when I log in" writes the XDG autostart entry that
// runs sluice, the tray app, with --background (the window runs as
// sluice-window: the entry names the sluice found on PATH here, as it
// would beside it); unticking removes it.
func TestStartAtLoginWritesTheAutostartEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	bin := t.TempDir()
	exe := filepath.Join(bin, "sluice")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	e := newRealEngine(t)
	v, _, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.capMax.Text != "" })
	if v.settings.atLogin.Checked {
		t.Fatal("start at login is on in a fresh config dir")
	}
	test.Tap(v.settings.atLogin)
	entry := filepath.Join(cfg, "autostart", ID+".desktop")
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("no autostart entry after ticking the box: %v", err)
	}
	if !strings.Contains(string(data), "\nExec=\""+exe+"\" --background\n") || !strings.Contains(string(data), "Type=Application") {
		t.Fatalf("autostart entry does not run %s:\n%s", exe, data)
	}
	if fi, err := os.Stat(entry); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v, %v; want 0600", fi.Mode(), err)
	}
	test.Tap(v.settings.atLogin)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Fatalf("entry still there after unticking: %v", err)
	}
}

// The attack of issue 20: a binary under a path with spaces, %, quotes,
// $ or backslashes gave an autostart entry that ran something else (or
// nothing), and a newline in the path wrote lines of its own into the
// entry. Each path is read back from the entry with a spec-following
// parser and must come out as the one argument it went in as.
func TestDesktopEntryQuotesThePath(t *testing.T) {
	for _, exe := range []string{
		"/opt/sluice/sluice",
		"/opt/my apps/sluice",
		"/opt/100% sure/sluice %u",
		`/opt/"quoted"/sl'uice`,
		"/opt/$HOME/`id`/sluice",
		`/opt/back\slash\n/sluice\`,
		`/opt/all of it/%f "$x" \s ` + "`y`",
	} {
		entry, err := desktopEntry(exe)
		if err != nil {
			t.Fatalf("%q: %v", exe, err)
		}
		argv, err := parseExec(t, entry)
		if err != nil {
			t.Errorf("%q: the entry does not parse: %v\n%s", exe, err, entry)
			continue
		}
		if len(argv) != 2 || argv[0] != exe || argv[1] != BackgroundFlag {
			t.Errorf("%q: the entry runs %q\n%s", exe, argv, entry)
		}
	}
	for _, exe := range []string{"/opt/new\nline/sluice", "/opt/x\n[Desktop Entry]\nExec=/bin/evil", "/opt/cr\r/sluice"} {
		if entry, err := desktopEntry(exe); err == nil || !strings.Contains(err.Error(), "line break") {
			t.Errorf("%q accepted (%v):\n%s", exe, err, entry)
		}
	}
}

// parseExec reads the Exec key of a desktop entry back into its argv as
// the Desktop Entry spec (1.5) says a launcher must: first the string
// escapes of the value (\s \n \t \r \\), then the Exec quoting (double
// quotes, inside them a backslash escapes " ` $ \), then %% as %. Any
// other field code or an unquoted reserved character is an error.
func parseExec(t *testing.T, entry string) ([]string, error) {
	t.Helper()
	var value string
	found := 0
	for _, line := range strings.Split(entry, "\n") {
		if v, ok := strings.CutPrefix(line, "Exec="); ok {
			value = v
			found++
		}
	}
	if found != 1 {
		return nil, fmt.Errorf("%d Exec keys", found)
	}
	var s strings.Builder
	for i := 0; i < len(value); i++ {
		if value[i] != '\\' {
			s.WriteByte(value[i])
			continue
		}
		if i++; i == len(value) {
			return nil, fmt.Errorf("string escape at the end")
		}
		switch value[i] {
		case 's':
			s.WriteByte(' ')
		case 'n':
			s.WriteByte('\n')
		case 't':
			s.WriteByte('\t')
		case 'r':
			s.WriteByte('\r')
		case '\\':
			s.WriteByte('\\')
		default:
			return nil, fmt.Errorf("unknown string escape \\%c", value[i])
		}
	}
	in := s.String()
	var argv []string
	var arg strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case quoted && c == '"':
			quoted = false
		case quoted && c == '\\':
			if i++; i == len(in) || !strings.ContainsRune("\"`$\\", rune(in[i])) {
				return nil, fmt.Errorf("bad escape inside quotes")
			}
			arg.WriteByte(in[i])
		case c == '%':
			if i++; i == len(in) || in[i] != '%' {
				return nil, fmt.Errorf("field code %%%s", in[i:min(i+1, len(in))])
			}
			arg.WriteByte('%')
			inArg = true
		case quoted:
			arg.WriteByte(c)
		case c == '"':
			quoted, inArg = true, true
		case c == ' ':
			if inArg {
				argv = append(argv, arg.String())
				arg.Reset()
				inArg = false
			}
		case strings.IndexByte("\t\n'\\><~|&;$*?#()`", c) >= 0:
			return nil, fmt.Errorf("reserved character %q outside quotes", c)
		default:
			arg.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inArg {
		argv = append(argv, arg.String())
	}
	return argv, nil
}
