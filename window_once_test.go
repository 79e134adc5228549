package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// TestOneWindowAtMost: `sluice window` twice gives one window. The second
// asks the first to come forward (show-window through the engine, as a
// second `sluice` start does) and exits 0; the tray's "Open Sluice" starts
// the same `sluice window`, so it goes the same way beside a window opened
// by hand.
func TestOneWindowAtMost(t *testing.T) {
	testkit.NeedTools(t, "Xvfb", "xwininfo", "xclip")
	dir := t.TempDir()
	bin := buildSluice(t)
	display := testkit.StartXvfb(t)
	data := filepath.Join(dir, "data")
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus",
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + data,
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=0", "SLUICE_UPSTREAM=http://127.0.0.1:9"}
	start := func(args ...string) (<-chan struct{}, *testkit.Buffer) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out := &testkit.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			if t.Failed() && args[0] == "window" {
				t.Logf("sluice window output:\n%s", out.String())
			}
		})
		return done, out
	}
	// windows lists the Sluice windows shown on the display.
	windows := func() []string {
		x := func(args ...string) string {
			cmd := exec.Command("xwininfo", args...)
			cmd.Env = env
			out, _ := cmd.Output()
			return string(out)
		}
		var ids []string
		for _, line := range strings.Split(x("-root", "-tree"), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 && f[1] == `"Sluice":` && strings.Contains(x("-id", f[0]), "IsViewable") {
				ids = append(ids, f[0])
			}
		}
		return ids
	}
	start("serve")
	testkit.WaitFor(t, "serve's control socket", func() bool {
		_, err := os.Stat(filepath.Join(data, "sluice.sock"))
		return err == nil
	})
	firstDone, _ := start("window")
	testkit.WaitFor(t, "the first window", func() bool { return len(windows()) == 1 })
	ids := windows()
	second := exec.Command(bin, "window")
	second.Env = env
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = second.CombinedOutput()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the second `sluice window`: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "already open") {
			t.Errorf("the second `sluice window` said %q", out)
		}
	case <-time.After(60 * time.Second):
		_ = second.Process.Kill()
		t.Fatal("the second `sluice window` stayed up: a second window")
	}
	select {
	case <-firstDone:
		t.Fatal("the first window process ended")
	default:
	}
	if got := windows(); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("windows %v, want only the first, %s", got, ids[0])
	}

	// `sluice window --copy-settings` (what the tray's Copy starts where
	// no clipboard program is) while the window is open: the open window
	// copies them.
	copyCmd := exec.Command(bin, "window", "--copy-settings")
	copyCmd.Env = env
	if out, err := copyCmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "copied the connection settings") {
		t.Fatalf("`sluice window --copy-settings` beside the open window: %v\n%s", err, out)
	}
	c, err := control.Dial(data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, secret, _, err := c.ConnectionKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := owner.ConnectionSettings(snap.Addr, secret)
	testkit.WaitFor(t, "the settings on the clipboard", func() bool {
		cmd := exec.Command("xclip", "-o", "-selection", "clipboard")
		cmd.Env = env
		out, _ := cmd.Output()
		return string(out) == want
	})
	if got := windows(); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("windows %v after the copy, want only the first, %s", got, ids[0])
	}
}
