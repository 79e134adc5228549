package vault_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"

	dbusv0 "github.com/godbus/dbus"
)

// stopAutolaunchedBus ends the session bus that keyring's package init
// started through dbus-launch when the tests ran without
// DBUS_SESSION_BUS_ADDRESS: nothing else would, and each run would leave an
// orphan dbus-daemon behind. The bus is found through the connection the old
// godbus cached in that init.
func stopAutolaunchedBus() {
	environ, err := os.ReadFile("/proc/self/environ")
	if err != nil || bytes.Contains(environ, []byte("DBUS_SESSION_BUS_ADDRESS=")) {
		return // the bus was given at start: not ours to stop
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || strings.HasSuffix(addr, "/bus") {
		return // no bus, or the user's bus found in $XDG_RUNTIME_DIR
	}
	conn, err := dbusv0.SessionBus() // cached by keyring's init: no new launch
	if err != nil {
		return
	}
	var pid uint32
	err = conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.DBus").Store(&pid)
	if err != nil || pid == 0 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "dbus-daemon") {
		return
	}
	_ = syscall.Kill(int(pid), syscall.SIGTERM)
}
