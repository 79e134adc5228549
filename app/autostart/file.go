//go:build !windows

package autostart

import "fmt"

// Enabled reports whether Sluice starts at login.
func (a Entry) Enabled() bool {
	p, err := a.Path()
	return err == nil && exists(p)
}

// Set turns starting at login on or off: it writes or removes the entry
// file this OS reads at login.
func (a Entry) Set(on bool) error {
	p, err := a.Path()
	if err != nil {
		return err
	}
	if !on {
		return removeFile(p)
	}
	exe, err := a.Exe()
	if err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	data, err := entryFile(exe)
	if err != nil {
		return err
	}
	return writeFile(p, []byte(data))
}
