package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// A tray app that cannot start says why in a window, since a user who
// launched it from a menu never sees stderr: sluice, which draws no
// window, has sluice-window show it, and exits when it is closed.
func TestStartupErrorShowsInAWindow(t *testing.T) {
	testkit.NeedTools(t, "Xvfb", "xdotool")
	bin := buildSluice(t)
	display := testkit.StartXvfb(t)
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus",
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + filepath.Join(dir, "data"),
		"SLUICE_PORT=not-a-port"}
	owner := startOwner(t, bin, env)
	var id string
	testkit.WaitFor(t, "the startup error's window", func() bool {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Sluice could not start$")
		cmd.Env = env
		out, _ := cmd.Output()
		id = strings.TrimSpace(string(out))
		return id != ""
	})
	windows := children(owner.Process.Pid, "sluice-window")
	if len(windows) != 1 {
		t.Fatalf("window processes %v, want the one sluice-window showing the error", windows)
	}
	select {
	case <-owner.exited:
		t.Fatal("sluice exited while its error was shown")
	default:
	}
	if err := syscall.Kill(windows[0], syscall.SIGTERM); err != nil { // the user closes it
		t.Fatal(err)
	}
	select {
	case <-owner.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("sluice did not exit once the error's window was closed")
	}
	if code := owner.ProcessState.ExitCode(); code != 2 || !strings.Contains(owner.out.String(), "SLUICE_PORT") {
		t.Errorf("exit %d, output %q; want 2 and the bad setting named", code, owner.out.String())
	}
}
