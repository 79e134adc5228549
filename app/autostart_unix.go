//go:build !darwin && !windows

package app

import (
	"fmt"
	"path/filepath"
	"strings"
)

// entry is the XDG autostart file (freedesktop's Desktop Application
// Autostart Specification): ~/.config/autostart/ID.desktop.
func (a autostart) entry() (string, error) {
	dir, err := a.config()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return filepath.Join(dir, "autostart", ID+".desktop"), nil
}

// entryFile is the autostart entry that runs exe.
func entryFile(exe string) string { return desktopEntry(exe) }

// desktopEntry is the autostart entry that runs exe with BackgroundFlag:
// started at login, Sluice sits in the tray and opens no window. Exec quotes the path
// as the Desktop Entry spec asks (a path with spaces stays one argument).
func desktopEntry(exe string) string {
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`).Replace(exe)
	return "[Desktop Entry]\nType=Application\nName=Sluice\n" +
		"Comment=Pools your Claude accounts behind one local endpoint\n" +
		"Exec=\"" + q + "\" " + BackgroundFlag + "\nIcon=" + ID + "\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
}
