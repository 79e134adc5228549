package owner

import (
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/godbus/dbus/v5"
)

// watcherName is the StatusNotifierWatcher, the tray host's registry.
const watcherName = "org.kde.StatusNotifierWatcher"

// TrayHost reports whether a tray host is there to show the icon, waiting
// up to wait for one (at login the panel may start after Sluice). On Linux
// and the BSDs the tray is a StatusNotifierItem on the D-Bus session bus:
// without a bus fyne.io/systray never connects and then panics when the
// app quits, and without a watcher a tray-only app would be invisible, so
// Sluice runs window-only instead. Elsewhere the tray is native.
func TrayHost(getenv func(string) string, wait time.Duration) bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	addr := busAddr(getenv)
	if addr == "" {
		return false
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	deadline := time.Now().Add(wait)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
		if err == nil && has {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// busAddr is the session bus's address from the environment, or the
// runtime dir's socket; "" when there is neither.
func busAddr(getenv func(string) string) string {
	if addr := getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr
	}
	dir := getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return ""
	}
	path := filepath.Join(dir, "bus")
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return "unix:path=" + path
}
