//go:build unix

package testkit

import (
	"os"
	"os/exec"
	"testing"

	"github.com/godbus/dbus/v5"
)

// The starters start what they say: an X server that answers on its
// display, a bus that a client can join, a watcher that hears a
// registration.
func TestDesktop(t *testing.T) {
	NeedTools(t, "Xvfb", "dbus-daemon", "xdpyinfo")
	display := StartXvfb(t)
	cmd := exec.Command("xdpyinfo")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("xdpyinfo on %s: %v\n%s", display, err, out)
	}

	addr := StartBus(t)
	items := Watch(t, addr)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		Call("org.kde.StatusNotifierWatcher.RegisterStatusNotifierItem", 0, "/StatusNotifierItem")
	if call.Err != nil {
		t.Fatal(call.Err)
	}
	select {
	case item := <-items:
		if item.Sender != dbus.Sender(conn.Names()[0]) || item.Path != "/StatusNotifierItem" {
			t.Errorf("registered %+v, want %s at /StatusNotifierItem", item, conn.Names()[0])
		}
	default:
		t.Error("the watcher heard no registration")
	}
}
