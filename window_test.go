package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// TestWindowEndsWithItsEngine: `sluice window` onto `sluice serve` closes
// when serve stops (Ctrl-C), instead of staying up with a dead engine whose
// every button fails.
func TestWindowEndsWithItsEngine(t *testing.T) {
	testkit.NeedTools(t, "Xvfb")
	dir := t.TempDir()
	bin := buildSluice(t)
	display := testkit.StartXvfb(t)
	data := filepath.Join(dir, "data")
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus",
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + data,
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=0", "SLUICE_UPSTREAM=http://127.0.0.1:9"}

	start := func(args ...string) (*exec.Cmd, <-chan struct{}, *strings.Builder) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			// Not serve's output: it prints the first client key.
			if t.Failed() && args[0] == "window" {
				t.Logf("sluice window output:\n%s", out.String())
			}
		})
		return cmd, done, out
	}
	serve, serveDone, _ := start("serve")
	testkit.WaitFor(t, "serve's control socket", func() bool {
		_, err := os.Stat(filepath.Join(data, "sluice.sock"))
		return err == nil
	})
	_, windowDone, _ := start("window")
	// The window is up once it has read the engine; give it that moment
	// by waiting until it is still running after serve answered it.
	select {
	case <-windowDone:
		t.Fatal("the window process ended before serve stopped")
	case <-time.After(3 * time.Second):
	}

	if err := serve.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-serveDone
	select {
	case <-windowDone:
	case <-time.After(30 * time.Second):
		t.Fatal("the window stayed open after its engine stopped")
	}
}
