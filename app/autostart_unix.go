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

// Enabled reports whether Sluice starts at login.
func (a autostart) Enabled() bool {
	p, err := a.entry()
	return err == nil && exists(p)
}

// Set turns starting at login on or off.
func (a autostart) Set(on bool) error {
	p, err := a.entry()
	if err != nil {
		return err
	}
	if !on {
		return removeFile(p)
	}
	exe, err := a.exe()
	if err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	return writeFile(p, []byte(desktopEntry(exe)))
}

// desktopEntry is the autostart entry that runs exe. Exec quotes the path
// as the Desktop Entry spec asks (a path with spaces stays one argument).
func desktopEntry(exe string) string {
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`).Replace(exe)
	return "[Desktop Entry]\nType=Application\nName=Sluice\n" +
		"Comment=Pools your Claude accounts behind one local endpoint\n" +
		"Exec=\"" + q + "\"\nIcon=" + ID + "\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
}
