// Package app is Sluice's window: the Fyne application of the sluice-window
// program, a client of the engine that another process owns. Like the tray,
// it holds no business logic: it shows what the Engine reports and forwards
// commands.
package app

import (
	"strings"

	"github.com/sluice-proxy/sluice/app/autostart"
	"github.com/sluice-proxy/sluice/owner"
)

// ID is the application ID; it must match FyneApp.toml, which packaging uses.
// Fyne keys preferences and storage on it.
const ID = autostart.AppID

// BackgroundFlag starts the tray app with no window; see owner.BackgroundFlag.
const BackgroundFlag = owner.BackgroundFlag

// capitalize starts a wrapped error's message ("turn proxy on: ...") as a
// sentence for the notification.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
