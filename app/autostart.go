package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-proxy/sluice/programs"
)

// autostart turns "start Sluice when I log in" on and off: an XDG autostart
// entry on Linux and the BSDs, a LaunchAgent on macOS, a Run value in the
// registry on Windows (autostart_*.go). What starts is the tray app, the
// engine's owner: `sluice` with no arguments, from where this binary is.
type autostart struct {
	// exe is the binary to start (os.Executable).
	exe func() (string, error)
	// home and config are the user's home and config directories (tests
	// point them at a temp dir).
	home, config func() (string, error)
}

// newAutostart returns the autostart of this user and binary. The window
// runs as sluice-window: what starts at login is sluice, installed beside it.
func newAutostart() autostart {
	return autostart{exe: func() (string, error) { return programs.Path(programs.Sluice) }, home: os.UserHomeDir, config: os.UserConfigDir}
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
