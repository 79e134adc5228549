// Package assets holds Sluice's embedded icons, so the binary needs no files
// beside it. The PNGs are generated (a gate with water flowing through it when
// the proxy is on, a closed gate when it is off) and committed as they are;
// gen.go derives the per-state tray icons from the on and off ones, with no
// semi-transparent pixel (fyne.io/systray's ARGB conversion garbles those).
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

var (
	//go:embed icon.png
	iconPNG []byte
	//go:embed tray-on.png
	trayOnPNG []byte
	//go:embed tray-off.png
	trayOffPNG []byte
	//go:embed tray-some-limited.png
	traySomeLimitedPNG []byte
	//go:embed tray-all-limited.png
	trayAllLimitedPNG []byte
	//go:embed tray-error.png
	trayErrorPNG []byte
)

// AppIcon is the 512x512 application icon (windows, launchers, packaging).
var AppIcon fyne.Resource = fyne.NewStaticResource("icon.png", iconPNG)

// TrayOn is the 64x64 tray icon shown while the proxy listens.
var TrayOn fyne.Resource = fyne.NewStaticResource("tray-on.png", trayOnPNG)

// TrayOff is the 64x64 tray icon shown while the proxy is off: a closed gate in
// grey, so the state reads at a glance without colour.
var TrayOff fyne.Resource = fyne.NewStaticResource("tray-off.png", trayOffPNG)

// TraySomeLimited is the on icon in amber: the proxy listens but some
// account cannot take requests.
var TraySomeLimited fyne.Resource = fyne.NewStaticResource("tray-some-limited.png", traySomeLimitedPNG)

// TrayAllLimited is a closed gate in orange: the proxy listens but no
// account can take requests, so every request fails.
var TrayAllLimited fyne.Resource = fyne.NewStaticResource("tray-all-limited.png", trayAllLimitedPNG)

// TrayError is a closed gate in red: the proxy could not be started or
// stopped.
var TrayError fyne.Resource = fyne.NewStaticResource("tray-error.png", trayErrorPNG)
