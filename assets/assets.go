// Package assets holds Sluice's embedded icons, so the binary needs no files
// beside it. The PNGs are generated (a gate with water flowing through it when
// the proxy is on, a closed gate when it is off) and committed as they are.
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
)

// AppIcon is the 512x512 application icon (windows, launchers, packaging).
var AppIcon fyne.Resource = fyne.NewStaticResource("icon.png", iconPNG)

// TrayOn is the 64x64 tray icon shown while the proxy listens.
var TrayOn fyne.Resource = fyne.NewStaticResource("tray-on.png", trayOnPNG)

// TrayOff is the 64x64 tray icon shown while the proxy is off: a closed gate in
// grey, so the state reads at a glance without colour.
var TrayOff fyne.Resource = fyne.NewStaticResource("tray-off.png", trayOffPNG)
