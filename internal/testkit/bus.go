//go:build unix

package testkit

import (
	"os/exec"
	"testing"
	"time"
)

// StartBus starts a private D-Bus session bus for the test and returns its
// address; the daemon ends with the test. env, when given, is the daemon's
// whole environment (otherwise it inherits the test's). It skips or fails
// as NeedTools does when dbus-daemon is not installed.
func StartBus(t testing.TB, env ...string) string {
	t.Helper()
	NeedTools(t, "dbus-daemon")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	if env != nil {
		cmd.Env = env
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &Buffer{}
	cmd.Stderr = stderr
	StartGroup(t, cmd)
	return firstLine(t, stdout, 30*time.Second, "dbus-daemon", stderr)
}
