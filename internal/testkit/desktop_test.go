//go:build unix

package testkit

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// The starters start what they say: an X server that answers on its
// display, a bus that a client can join, a watcher that hears a
// registration, a notification daemon that keeps a bubble.
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

	notes := Notifications(t, addr)
	call = conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").
		Call("org.freedesktop.Notifications.Notify", 0, "sluice", uint32(0), "", "Sluice", "the body", []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		t.Fatal(call.Err)
	}
	if got := notes.Sent(); len(got) != 1 || got[0] != (Bubble{Summary: "Sluice", Body: "the body"}) {
		t.Errorf("bubbles %q, want one, Sluice: the body", got)
	}
}

func TestNeedToolsFailsWhereTheDesktopIsRequired(t *testing.T) {
	const missing = "sluice-no-such-tool"
	t.Setenv(RequireDesktopEnv, "1")
	if got := run(func(r testing.TB) { NeedTools(r, "sh", missing) }); !strings.HasPrefix(got, "fatal: "+missing+" not installed") {
		t.Errorf("with %s=1 a missing tool ended the test with %q, want a failure", RequireDesktopEnv, got)
	}
	t.Setenv(RequireDesktopEnv, "")
	if got := run(func(r testing.TB) { NeedTools(r, missing) }); !strings.HasPrefix(got, "skip: "+missing+" not installed") {
		t.Errorf("without %s a missing tool ended the test with %q, want a skip", RequireDesktopEnv, got)
	}
	if got := run(func(r testing.TB) { NeedTools(r, "sh") }); got != "" {
		t.Errorf("an installed tool ended the test: %q", got)
	}

}
