package app

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/assets"
)

// ShowStartupError shows why Sluice could not start (most often a locked or
// missing keyring) in a window, since a desktop user launched from a menu
// never sees stderr. It returns when the user closes the window. It must be
// called on the main goroutine.
func ShowStartupError(err error) {
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.AppIcon)
	w := a.NewWindow("Sluice could not start")
	w.SetContent(startupErrorContent(err, a.Quit))
	w.Resize(fyne.NewSize(560, 220))
	w.ShowAndRun()
}

// startupErrorContent is the error window's content, apart for tests.
func startupErrorContent(err error, quit func()) fyne.CanvasObject {
	msg := widget.NewLabel(err.Error())
	msg.Wrapping = fyne.TextWrapWord
	return container.NewBorder(
		widget.NewLabelWithStyle("Sluice could not start", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(widget.NewButton("Quit", quit)),
		nil, nil, msg,
	)
}
