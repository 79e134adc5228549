//go:build unix

package testkit

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartGroup starts cmd in a process group of its own and ends the whole
// group when the test ends, so no daemon it forks outlives the test. The
// returned channel is closed once cmd has exited; its exit error is then in
// *exitErr.
func StartGroup(t testing.TB, cmd *exec.Cmd) (exited <-chan struct{}, exitErr *error) {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	var err error
	go func() {
		err = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		// SIGTERM first: Xvfb removes its socket and lock file only when it
		// exits cleanly, and stale ones would use up display numbers.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
			return
		case <-time.After(3 * time.Second):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("%s did not exit after SIGKILL", cmd.Path)
		}
	})
	return done, &err
}

// firstLine reads the first line r gives, trimmed, within d: how a daemon
// says it is ready (Xvfb's display number, dbus-daemon's address). It
// fails the test, with what describes the process and its stderr, when
// the line is empty or late.
func firstLine(t testing.TB, r io.Reader, d time.Duration, what string, stderr *Buffer) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		if s == "" {
			t.Fatalf("%s printed nothing: %s", what, stderr.String())
		}
		return s
	case <-time.After(d):
		t.Fatalf("%s printed nothing in %s: %s", what, d, stderr.String())
	}
	return ""
}
