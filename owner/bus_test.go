package owner

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func TestSessionBusUnreachable(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if sessionBus(get) {
		t.Error("no address and no runtime dir: reported a bus")
	}
	env["XDG_RUNTIME_DIR"] = t.TempDir() // no "bus" socket in it
	if sessionBus(get) {
		t.Error("runtime dir without a bus socket: reported a bus")
	}
	env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + t.TempDir() + "/nothing"
	if sessionBus(get) {
		t.Error("dead address: reported a bus")
	}
}

func TestSessionBusReachable(t *testing.T) {
	addr := startTestBus(t)
	if !sessionBus(func(k string) string {
		if k == "DBUS_SESSION_BUS_ADDRESS" {
			return addr
		}
		return ""
	}) {
		t.Fatal("a running session bus was not found")
	}
}

// startTestBus runs a private session bus for the test and returns its
// address.
func startTestBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_DESKTOP") == "1" {
			t.Fatal("dbus-daemon not installed")
		}
		t.Skip("dbus-daemon not installed")
	}
	cmd := exec.Command(daemon, "--session", "--nofork", "--print-address=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read bus address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// A bus without a StatusNotifierWatcher has no tray to show: trayHost
// says so after its wait, and yes once a watcher owns the name.
func TestTrayHostNeedsAWatcher(t *testing.T) {
	addr := startTestBus(t)
	get := func(k string) string {
		if k == "DBUS_SESSION_BUS_ADDRESS" {
			return addr
		}
		return ""
	}
	if TrayHost(get, 300*time.Millisecond) {
		t.Fatal("a tray host without a watcher")
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the watcher name: %v %v", reply, err)
	}
	if !TrayHost(get, 0) {
		t.Error("no tray host with a watcher on the bus")
	}
}
