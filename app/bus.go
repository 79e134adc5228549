package app

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/godbus/dbus/v5"
)

// trayReachable reports whether a tray can work here. On Linux and the BSDs
// the tray is a StatusNotifierItem on the D-Bus session bus; without one,
// fyne.io/systray never connects and then panics when the app quits, so
// Sluice runs window-only instead. Elsewhere the tray is native.
func trayReachable() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return sessionBus(os.Getenv)
}

// sessionBus reports whether the session bus answers, without ever
// autolaunching one (which would leave a stray daemon behind).
func sessionBus(getenv func(string) string) bool {
	addr := getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		dir := getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			return false
		}
		path := filepath.Join(dir, "bus")
		if _, err := os.Stat(path); err != nil {
			return false
		}
		addr = "unix:path=" + path
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
