//go:build !darwin && !windows

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

// Set(true) writes the XDG autostart entry under XDG_CONFIG_HOME, 0600,
// running the binary with --background; Set(false) removes it and a
// second Set(false) is no error.
func TestSetWritesAndRemovesTheXDGEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	a := New()
	a.Exe = func() (string, error) { return "/opt/my apps/sluice", nil }
	if a.Enabled() {
		t.Fatal("enabled in an empty config dir")
	}
	if err := a.Set(true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg, "autostart", AppID+".desktop")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no entry at %s: %v", path, err)
	}
	argv, err := parseExec(t, string(data))
	if err != nil || len(argv) != 2 || argv[0] != "/opt/my apps/sluice" || argv[1] != "--background" {
		t.Fatalf("the entry runs %q (%v):\n%s", argv, err, data)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || !a.Enabled() {
		t.Fatalf("entry %v %v, enabled %v", fi, err, a.Enabled())
	}
	for range 2 {
		if err := a.Set(false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) || a.Enabled() {
		t.Fatalf("entry still there: %v", err)
	}
}
