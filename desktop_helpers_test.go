package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The desktop tests run the real binary as a user's session does: these
// are the steps they share.

// needDesktopTools fails the test when a tool is missing and
// SLUICE_REQUIRE_DESKTOP=1 (CI), and skips it otherwise.
func needDesktopTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SLUICE_REQUIRE_DESKTOP") == "1" {
				t.Fatalf("%s not installed", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

// buildSluice builds the binary into dir and returns its path.
func buildSluice(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "sluice")
	if out, err := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// ownerProc is a tray owner (`sluice` with no arguments) a test started.
type ownerProc struct {
	*exec.Cmd
	out    *syncBuf
	exited chan struct{} // closed when the process has ended
}

// startOwner starts bin as the tray owner with env (and args, e.g.
// --background as the autostart entry runs it), in a process group of its
// own so that the cleanup ends its window processes too; its output is
// logged when the test failed.
func startOwner(t *testing.T, bin string, env []string, args ...string) *ownerProc {
	t.Helper()
	o := &ownerProc{Cmd: exec.Command(bin, args...), out: &syncBuf{}, exited: make(chan struct{})}
	o.Env = env
	o.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	o.Stdout, o.Stderr = o.out, o.out
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = o.Wait(); close(o.exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-o.Process.Pid, syscall.SIGKILL)
		<-o.exited
		if t.Failed() {
			t.Logf("owner output:\n%s", o.out.String())
		}
	})
	return o
}

// trayRegistered waits for the owner's tray to register with the watcher.
func trayRegistered(t *testing.T, registered <-chan trayItem) trayItem {
	t.Helper()
	select {
	case item := <-registered:
		return item
	case <-time.After(30 * time.Second):
		t.Fatal("the tray never registered with the watcher")
		return trayItem{}
	}
}
