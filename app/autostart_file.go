//go:build !windows

package app

import "fmt"

// Enabled reports whether Sluice starts at login.
func (a autostart) Enabled() bool {
	p, err := a.entry()
	return err == nil && exists(p)
}

// Set turns starting at login on or off: it writes or removes the entry
// file this OS reads at login.
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
	data, err := entryFile(exe)
	if err != nil {
		return err
	}
	return writeFile(p, []byte(data))
}
