//go:build !darwin && !windows

package autostart

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Path is the XDG autostart file (freedesktop's Desktop Application
// Autostart Specification): ~/.config/autostart/AppID.desktop.
func (a Entry) Path() (string, error) {
	dir, err := a.Config()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return filepath.Join(dir, "autostart", AppID+".desktop"), nil
}

// entryFile is the autostart entry that runs exe.
func entryFile(exe string) (string, error) { return desktopEntry(exe) }

// desktopEntry is the autostart entry that runs exe with BackgroundFlag:
// started at login, Sluice sits in the tray and opens no window. A path with a newline
// is refused: no desktop file can hold it in one Exec line, and writing it
// would split the entry into lines of the path's choosing.
func desktopEntry(exe string) (string, error) {
	if strings.ContainsAny(exe, "\n\r") {
		return "", fmt.Errorf("start at login: the path of Sluice's binary %q holds a line break, which an autostart entry cannot hold; move the binary", exe)
	}
	return "[Desktop Entry]\nType=Application\nName=Sluice\n" +
		"Comment=Pools your Claude accounts behind one local endpoint\n" +
		"Exec=" + execValue(exe) + " " + BackgroundFlag + "\nIcon=" + AppID + "\nTerminal=false\nX-GNOME-Autostart-enabled=true\n", nil
}

// execValue is the Exec key's value that runs arg with no arguments, per
// the Desktop Entry spec: the argument in double quotes with `"`, `\“,
// `$` and `\` escaped by a backslash and `%` doubled (a field code
// otherwise); then the string escaping every value in a desktop file has,
// which doubles each backslash again.
func execValue(arg string) string {
	quoted := `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", "$", `\$`, `\`, `\\`, "%", "%%").Replace(arg) + `"`
	return strings.ReplaceAll(quoted, `\`, `\\`)
}
