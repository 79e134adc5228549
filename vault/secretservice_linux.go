package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// secretServiceTimeout bounds each D-Bus round trip of the check.
const secretServiceTimeout = 5 * time.Second

// checkSecretService makes sure the Secret Service collection exists and is
// unlocked. keyring would otherwise create or unlock it, both of which ask
// the user through a prompt that go-libsecret waits on forever (and that
// never shows on a headless machine).
func checkSecretService(collection string) error {
	if busAutolaunched() {
		return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS was unset when Sluice started)")
	}
	// No autolaunch: dbus-launch would leave an orphan bus behind.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return fmt.Errorf("no D-Bus session bus: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("D-Bus session bus: authenticate: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("D-Bus session bus: hello: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), secretServiceTimeout)
	defer cancel()

	service := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var paths []dbus.ObjectPath
	if err := getProperty(ctx, service, "org.freedesktop.Secret.Service.Collections", &paths); err != nil {
		return fmt.Errorf("no Secret Service on the session bus (start gnome-keyring or KeePassXC): %w", err)
	}
	want := dbus.ObjectPath("/org/freedesktop/secrets/collection/" + collection)
	var found dbus.ObjectPath
	for _, p := range paths {
		if decodeObjectPath(string(p)) == string(want) {
			found = p
			break
		}
	}
	if found == "" {
		return fmt.Errorf("the Secret Service has no %q collection: create it in your keyring app (e.g. Seahorse) "+
			"or choose an existing collection; Sluice does not create one because that needs a password prompt", collection)
	}
	var locked bool
	if err := getProperty(ctx, conn.Object("org.freedesktop.secrets", found), "org.freedesktop.Secret.Collection.Locked", &locked); err != nil {
		return fmt.Errorf("the Secret Service collection %q: %w", collection, err)
	}
	if locked {
		return fmt.Errorf("%w: the Secret Service collection %q is locked: unlock it (log in to the desktop, or open Seahorse "+
			"and unlock it) and try again", ErrLocked, collection)
	}
	return nil
}

// busAutolaunched reports whether the session bus address was not given to
// this process but made up by keyring's package init, which runs dbus-launch
// when DBUS_SESSION_BUS_ADDRESS is unset. Such a bus has no keyring of the
// user's; using it would only D-Bus-activate an empty gnome-keyring.
func busAutolaunched() bool {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return false
	}
	// /proc/self/environ is the environment at exec, before any Setenv.
	environ, err := os.ReadFile("/proc/self/environ")
	if err != nil || bytes.Contains(environ, []byte("DBUS_SESSION_BUS_ADDRESS=")) {
		return false
	}
	// The user's bus found at $XDG_RUNTIME_DIR/bus is set the same way.
	return !strings.HasSuffix(addr, "/bus")
}

// getProperty reads one D-Bus property into out.
func getProperty(ctx context.Context, obj dbus.BusObject, name string, out any) error {
	iface, prop := splitProperty(name)
	call := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, prop)
	if call.Err != nil {
		return fmt.Errorf("read %s: %w", prop, call.Err)
	}
	var v dbus.Variant
	if err := call.Store(&v); err != nil {
		return fmt.Errorf("read %s: %w", prop, err)
	}
	if err := v.Store(out); err != nil {
		return fmt.Errorf("read %s: %w", prop, err)
	}
	return nil
}

// decodeObjectPath undoes the Secret Service's escaping of collection names
// in object paths ("_" + two hex digits per byte), as keyring does when it
// looks the collection up.
func decodeObjectPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '_' && i+2 < len(p) {
			if v, err := strconv.ParseUint(p[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func splitProperty(name string) (iface, prop string) {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[:i], name[i+1:]
		}
	}
	return "", name
}
