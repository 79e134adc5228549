package owner

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/internal/testkit"
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
	addr := testkit.StartBus(t)
	if !sessionBus(func(k string) string {
		if k == "DBUS_SESSION_BUS_ADDRESS" {
			return addr
		}
		return ""
	}) {
		t.Fatal("a running session bus was not found")
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
