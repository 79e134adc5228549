//go:build !windows

package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
)

// cliChildEnv makes this test binary act as the sluice command: its
// arguments after "--" are the command's.
const cliChildEnv = "SLUICE_TEST_CLI_CHILD"

// The attack (by accident): Claude Code runs `sluice statusline` on every
// status update, often where there is no session bus (SSH, CI). The keyring
// library's init used to autolaunch a dbus-daemon each time, and nobody
// ended them. Fifty commands without a bus must leave no daemon behind.
func TestCommandsWithoutASessionBusLaunchNoDBusDaemon(t *testing.T) {
	if os.Getenv(cliChildEnv) != "" {
		args := os.Args[len(os.Args)-1]
		os.Exit(cli.Run(context.Background(), strings.Fields(args), cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.Getenv}, "test"))
	}
	if _, err := exec.LookPath("dbus-launch"); err != nil {
		t.Fatal("dbus-launch is not installed (scripts/install-deps.sh installs dbus-x11): the test needs it to be able to fail")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	mark := "SLUICE_TEST_BUS_MARK=" + hex.EncodeToString(b[:])
	dir := testkit.ShortDir(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "DISPLAY=") {
			env = append(env, kv)
		}
	}
	env = append(env, cliChildEnv+"=1", mark, "SLUICE_DATA_DIR="+dir, "SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=pw",
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "no-runtime"))
	before := daemonsMarked(mark)
	cmds := []string{"version", "status", "statusline", "accounts list"}
	for i := range 50 {
		c := exec.Command(os.Args[0], "-test.run=^TestCommandsWithoutASessionBusLaunchNoDBusDaemon$", "--", cmds[i%len(cmds)])
		c.Env = env
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		_ = c.Run() // status fails without an owner; what matters is what it leaves behind
	}
	// godbus waits for dbus-launch to print the new bus's address, so a
	// daemon launched by a command exists by the time the command exits.
	after := daemonsMarked(mark)
	for _, pid := range after {
		_ = syscall.Kill(pid, syscall.SIGTERM) // ours: they carry the mark
	}
	if len(after) != len(before) {
		t.Fatalf("%d dbus-daemon(s) before 50 commands without a session bus, %d after", len(before), len(after))
	}
}

// daemonsMarked lists the dbus-daemon processes whose environment holds
// mark: launched on behalf of this test's commands and no one else's.
func daemonsMarked(mark string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if strings.TrimSpace(string(comm)) != "dbus-daemon" {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if bytes.Contains(environ, []byte(mark)) {
			pids = append(pids, pid)
		}
	}
	return pids
}
