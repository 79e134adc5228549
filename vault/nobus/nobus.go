// Package nobus keeps the D-Bus library from launching a session bus.
//
// godbus's SessionBus runs dbus-launch when DBUS_SESSION_BUS_ADDRESS is
// unset and no $XDG_RUNTIME_DIR/bus socket exists, and the keyring library
// calls it from its package init: every sluice command run without a
// session bus (SSH, CI, Claude Code's statusline) left a dbus-daemon behind.
// Such a bus holds no keyring of the user's anyway.
//
// Importing this package sets the address to Disabled first. It must import
// nothing but the standard library: Go initialises, among the packages whose
// imports are ready, the first by import path, so this package (ready once
// os is) runs before keyring, which waits on os/exec and os/user through
// godbus. A test runs the sluice binary without a bus and counts daemons.
package nobus

import "os"

// Disabled is the bus address set when there is no session bus: godbus
// refuses it as an unknown transport, so no connection and no autolaunch.
const Disabled = "disabled:"

func init() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(dir + "/bus"); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return // the user's bus; godbus finds it there by itself
		}
	}
	_ = os.Setenv("DBUS_SESSION_BUS_ADDRESS", Disabled)
}
