// Package autostart turns "start Sluice when I log in" on and off: an XDG
// autostart entry on Linux and the BSDs, a LaunchAgent on macOS, a Run
// value in the registry on Windows. Every entry starts the tray app with
// no window (`sluice --background`). It imports no GUI library, so the
// window's checkbox and `sluice settings set start-at-login` share it.
package autostart

import (
	"errors"
	"fmt"
	"github.com/sluice-proxy/sluice/programs"
	"os"
	"path/filepath"
)

// AppID is the application's ID (FyneApp.toml's): the entry's file name.
const AppID = "io.github.sluiceproxy.sluice"

// BackgroundFlag starts the tray app with no window: what every entry
// passes, so a start at login does not pop the window up.
const BackgroundFlag = "--background"

// Entry is this user's login entry for one binary.
type Entry struct {
	// Exe is the binary to start: sluice, beside the running program.
	Exe func() (string, error)
	// Home and Config are the user's home and config directories (tests
	// point XDG_CONFIG_HOME or these at a temp dir).
	Home, Config func() (string, error)
}

// New returns the entry of this user and of the sluice program.
func New() Entry {
	return Entry{Exe: sluiceProgram, Home: os.UserHomeDir, Config: os.UserConfigDir}
}

// writeFile writes an autostart file (0600: it names the binary to run at
// every login, so only the user may change it) through a temp file, so a
// crash leaves the old entry or the new one, never half of one.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}

// removeFile removes an autostart file; one already gone is fine.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}

// exists reports whether path names a file.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// sluiceProgram is the program the entry starts: sluice, the tray app,
// found beside the running program (the window runs as sluice-window, the
// CLI as sluice) or on PATH.
func sluiceProgram() (string, error) { return programs.Path(programs.Sluice) }
