package app

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
)

// entry is the LaunchAgent: ~/Library/LaunchAgents/ID.plist.
func (a autostart) entry() (string, error) {
	home, err := a.home()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", ID+".plist"), nil
}

// entryFile is the LaunchAgent that runs exe at login.
func entryFile(exe string) (string, error) {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(exe))
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>Label</key><string>` + ID + `</string>
<key>ProgramArguments</key><array><string>` + b.String() + `</string></array>
<key>RunAtLoad</key><true/>
</dict></plist>
`, nil
}
