package autostart

import (
	"fmt"
	"path/filepath"
)

// Path is the LaunchAgent: ~/Library/LaunchAgents/AppID.plist.
func (a Entry) Path() (string, error) {
	home, err := a.Home()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", AppID+".plist"), nil
}

// entryFile is the LaunchAgent that runs exe with BackgroundFlag at login.
func entryFile(exe string) (string, error) { return launchAgent(exe), nil }
