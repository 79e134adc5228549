package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy"
)

// clientToken is what clients send as ANTHROPIC_AUTH_TOKEN. The proxy
// takes any token today; with client keys (issue 8) this is where a key
// of the user's goes.
func clientToken() string { return "sluice" }

// ConnectionSettings are the two shell lines that point a client such as
// Claude Code at Sluice listening on addr.
func ConnectionSettings(addr string) string {
	if addr == "" {
		addr = proxy.DefaultHost + ":8788"
	}
	return "export ANTHROPIC_BASE_URL=http://" + addr + "\n" +
		"export ANTHROPIC_AUTH_TOKEN=" + clientToken() + "\n"
}

// copySettings puts the connection settings on the clipboard. UI
// goroutine only.
func (v *view) copySettings() {
	copySettings(v.addr)
}

func copySettings(addr string) {
	if a := fyne.CurrentApp(); a != nil {
		a.Clipboard().SetContent(ConnectionSettings(addr))
	}
}

// emptyState teaches a new user what to do: add an account, then point a
// client at Sluice. Shown instead of the cards while there are none.
func (v *view) emptyState() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("No accounts yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	add := widget.NewButtonWithIcon("Add an account", theme.ContentAddIcon(), func() { v.showAddAccount() })
	add.Importance = widget.HighImportance
	then := widget.NewLabelWithStyle("Then, in the shell you start Claude Code from:", fyne.TextAlignCenter, fyne.TextStyle{})
	v.shellLines = widget.NewLabelWithStyle(ConnectionSettings(""), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.shellLines.Selectable = true
	copy := widget.NewButtonWithIcon("Copy these lines", theme.ContentCopyIcon(), v.copySettings)
	return container.NewCenter(container.NewVBox(title, container.NewCenter(add), then,
		container.NewCenter(v.shellLines), container.NewCenter(copy)))
}
