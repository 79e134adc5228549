package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `sluice window` where the window program is not installed (a headless
// install, or a copied binary): a clear error that names the program,
// while --help and usage errors still answer as documented.
func TestWindowWithoutTheWindowProgram(t *testing.T) {
	dir := t.TempDir()
	lone := filepath.Join(dir, "sluice")
	copyFile(t, buildSluice(t), lone)
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Join(dir, "home"), "LANG=en_US.UTF-8",
		"SLUICE_DATA_DIR=" + filepath.Join(dir, "data"), "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus"}
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(lone, args...)
		cmd.Env = env
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if x, ok := err.(*exec.ExitError); ok {
			code = x.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
	if code, _, stderr := run("window"); code != 1 || !strings.Contains(stderr, "sluice-window is not installed") || !strings.Contains(stderr, dir) {
		t.Errorf("window without sluice-window: exit %d, %q; want 1 and an error naming sluice-window and where it was looked for", code, stderr)
	}
	if code, stdout, _ := run("window", "--help"); code != 0 || !strings.Contains(stdout, "sluice window [--tab NAME]") {
		t.Errorf("window --help: exit %d, %q", code, stdout)
	}
	if code, _, stderr := run("window", "--tab", "nosuch"); code != 2 || !strings.Contains(stderr, "accounts, logs, usage, settings") {
		t.Errorf("window --tab nosuch: exit %d, %q", code, stderr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
