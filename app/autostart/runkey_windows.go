package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// runKey is where Windows looks for programs to start at login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// Enabled reports whether Sluice starts at login.
func (a Entry) Enabled() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue("Sluice")
	return err == nil
}

// Set turns starting at login on or off: the Run value starts the tray
// app with BackgroundFlag, so no window pops up at login.
func (a Entry) Set(on bool) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue("Sluice"); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf("start at login: %w", err)
		}
		return nil
	}
	exe, err := a.Exe()
	if err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	if err := k.SetStringValue("Sluice", runValue(exe)); err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}
