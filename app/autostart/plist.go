package autostart

import (
	"encoding/xml"
	"strings"
)

// launchAgent is the macOS LaunchAgent plist that runs exe with
// BackgroundFlag at login. Each argument is its own <string>, XML-escaped:
// launchd runs them without a shell, so no other quoting applies. It is
// built on every OS so its test runs here too.
func launchAgent(exe string) string {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>Label</key><string>` + AppID + `</string>
<key>ProgramArguments</key><array><string>` + esc(exe) + `</string><string>` + BackgroundFlag + `</string></array>
<key>RunAtLoad</key><true/>
</dict></plist>
`
}

// runValue is the Windows Run value that starts exe with BackgroundFlag:
// the path in double quotes (it may hold spaces; a Windows path cannot
// hold a double quote), then the flag. Built on every OS for its test.
func runValue(exe string) string { return `"` + exe + `" ` + BackgroundFlag }
