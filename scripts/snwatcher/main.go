//go:build ignore

// snwatcher is a minimal org.kde.StatusNotifierWatcher, the tray host's
// registry, for scripts/idle-cpu.sh: with it on the session bus `sluice`
// runs as a tray (without one it starts its window and quits with it).
// It prints each registration and runs until killed.
//
//	go run scripts/snwatcher/main.go
package main

import (
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

type watcher struct{}

// RegisterStatusNotifierItem is the watcher's D-Bus method.
func (watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	fmt.Println("registered", sender, service)
	return nil
}

func main() {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := conn.Export(watcher{}, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	select {}
}
