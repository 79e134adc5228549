package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// The desktop tests run the real binary as a user's session does: these
// are the steps they share.

// built holds the programs the tests run, built once per test binary
// (a cgo link of the window takes a while): sluice, and sluice-window
// beside it, where sluice looks for it as an install puts it.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// TestMain removes the built programs at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildSluice builds sluice and sluice-window once and returns the path
// of sluice.
func buildSluice(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "sluice-test-bin-")
		if built.err != nil {
			return
		}
		for _, b := range [][2]string{{"sluice", "."}, {"sluice-window", "./cmd/sluice-window"}} {
			out, err := exec.Command("go", "build", "-tags", "migrated_fynedo,no_animations", "-o", filepath.Join(built.dir, b[0]), b[1]).CombinedOutput()
			if err != nil {
				built.err = fmt.Errorf("build %s: %v\n%s", b[0], err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "sluice")
}

// ownerProc is a tray owner (`sluice` with no arguments) a test started.
type ownerProc struct {
	*exec.Cmd
	out    *testkit.Buffer
	exited chan struct{} // closed when the process has ended
}

// startOwner starts bin as the tray owner with env (and args, e.g.
// --background as the autostart entry runs it), in a process group of its
// own so that the cleanup ends its window processes too; its output is
// logged when the test failed.
func startOwner(t *testing.T, bin string, env []string, args ...string) *ownerProc {
	t.Helper()
	o := &ownerProc{Cmd: exec.Command(bin, args...), out: &testkit.Buffer{}, exited: make(chan struct{})}
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
func trayRegistered(t *testing.T, registered <-chan testkit.TrayItem) testkit.TrayItem {
	t.Helper()
	select {
	case item := <-registered:
		return item
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("the tray never registered with the watcher")
		return testkit.TrayItem{}
	}
}
