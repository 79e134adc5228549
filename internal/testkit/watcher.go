//go:build unix

package testkit

import (
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// TrayItem is a StatusNotifierItem that registered with the watcher: its
// bus name and object path, read over the watcher's connection.
type TrayItem struct {
	Conn   *dbus.Conn
	Sender dbus.Sender
	Path   dbus.ObjectPath
}

// Object is the item as a tray host calls it.
func (i TrayItem) Object() dbus.BusObject { return i.Conn.Object(string(i.Sender), i.Path) }

// watcher is a minimal org.kde.StatusNotifierWatcher: it only records
// registrations, which is all a tray needs to make itself known.
type watcher struct {
	conn  *dbus.Conn
	items chan TrayItem
}

// RegisterStatusNotifierItem is the watcher's D-Bus method. systray passes
// its object path; hosts that pass a bus name get the default path.
func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	path := dbus.ObjectPath(service)
	if !strings.HasPrefix(service, "/") {
		path = "/StatusNotifierItem"
	}
	select {
	case w.items <- TrayItem{Conn: w.conn, Sender: sender, Path: path}:
	default:
	}
	return nil
}

// Watch connects to the session bus at addr, owns the
// org.kde.StatusNotifierWatcher name there as a desktop shell does, and
// returns the registrations it receives (the first few; later ones are
// dropped). The connection closes when the test ends.
func Watch(t testing.TB, addr string) <-chan TrayItem {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &watcher{conn: conn, items: make(chan TrayItem, 4)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.kde.StatusNotifierWatcher: reply %v, %v", reply, err)
	}
	return w.items
}
