package owner

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// Without a session bus to reach there is no tray host, and TrayHost
// says so without autolaunching a bus (which would leave a stray daemon).
func TestTrayHostWithoutABus(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("the tray is native here")
	}
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if TrayHost(get, 0) {
		t.Error("no address and no runtime dir: reported a tray host")
	}
	env["XDG_RUNTIME_DIR"] = t.TempDir() // no "bus" socket in it
	if TrayHost(get, 0) {
		t.Error("runtime dir without a bus socket: reported a tray host")
	}
	env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + t.TempDir() + "/nothing"
	if TrayHost(get, 0) {
		t.Error("dead address: reported a tray host")
	}
}

// busAddr takes the environment's address first, else the runtime dir's
// "bus" socket when there is one.
func TestBusAddr(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if got := busAddr(get); got != "" {
		t.Errorf("empty environment: %q", got)
	}
	dir := t.TempDir()
	env["XDG_RUNTIME_DIR"] = dir
	if got := busAddr(get); got != "" {
		t.Errorf("runtime dir without a bus socket: %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := busAddr(get), "unix:path="+filepath.Join(dir, "bus"); got != want {
		t.Errorf("runtime dir with a bus socket: %q, want %q", got, want)
	}
	env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/elsewhere"
	if got := busAddr(get); got != "unix:path=/elsewhere" {
		t.Errorf("with DBUS_SESSION_BUS_ADDRESS: %q", got)
	}
}

// A bus without a StatusNotifierWatcher has no tray to show: trayHost
// says so after its wait, and yes once a watcher owns the name.
func TestTrayHostNeedsAWatcher(t *testing.T) {
	addr := testkit.StartBus(t)
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
